// The invoice ledger: one SQLite file holding billing runs, drafts, finalized invoices and credit notes (with their
// canonical document), gap-free number series, one-off charges waiting for a run, payments and delivery attempts.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Customer } from '../../config/catalog-schema.js';
import { localParts } from '../../rating/calendar.js';
import type { CreditUse, RatedInvoice, TaxSummary } from '../../rating/fee.js';
import { type Dec, dec, sum, ZERO } from '../../rating/money.js';
import type { BillingConfig } from '../config.js';
import type { DailyUsage, InvoiceDocument } from '../document.js';
import { buildDocument } from '../document-build.js';
import { documentFromJson, documentToJson } from '../document-json.js';
import { numberFormatFor } from '../run/numbering.js';
import { type LedgerLine, type LineRow, type LineTaxRow, lineFromRow, lineToDocumentLine, lineToFee, lineToRow } from './ledger-rows.js';
import { prepareStatements } from './ledger-sql.js';
import { IMMUTABLE, LEDGER_SCHEMA_VERSION, migrateLedger } from './migrations.js';

export type DocumentKind = 'invoice' | 'credit_note';

/** What a run hands the ledger for one customer and period: the rating, late-usage adjustments, daily usage. */
export interface DraftInput {
  rated: RatedInvoice;
  adjustments: LedgerLine[];
  dailyUsage: DailyUsage[];
}

export type DraftOutcome = 'drafted' | 'already-finalized';

/** Everything finalization needs besides the draft rows. */
export interface FinalizeContext {
  now: Date;
  billing: BillingConfig;
  customer: (id: string) => Customer;
}

export interface FinalizedRef {
  invoiceId: number;
  customerId: string;
  period: string;
  number: string;
  total: Dec;
  amountDue: Dec;
  currency: string;
}

export type FinalizeOutcome =
  | { status: 'finalized'; ref: FinalizedRef }
  | { status: 'already-finalized'; number: string }
  | { status: 'no-draft' }
  /** The draft was rated on ledger state that changed since (a one-off charge or a credit used by another invoice): dropped, rate again. */
  | { status: 'stale'; reason: string };

export interface InvoiceRow {
  id: number;
  kind: DocumentKind;
  status: 'draft' | 'finalized';
  customer_id: string;
  period_label: string;
  period_from: string;
  period_to: string;
  timezone: string;
  currency: string;
  subtotal: string;
  tax_total: string;
  total: string;
  amount_due: string;
  reverse_charge: number;
  notes: string;
  run_id: number | null;
  corrects_invoice_id: number | null;
  reason: string | null;
  created_at: string;
  series: string | null;
  sequence: number | null;
  number: string | null;
  issue_date: string | null;
  due_date: string | null;
  finalized_at: string | null;
  document_json: string | null;
}

/** An invoice or credit note with what has been paid and credited against it. */
export interface InvoiceBalance {
  id: number;
  kind: DocumentKind;
  number: string;
  customerId: string;
  period: string;
  issueDate: string;
  dueDate: string;
  currency: string;
  total: Dec;
  amountDue: Dec;
  paid: Dec;
  credited: Dec;
  balance: Dec;
  status: 'open' | 'partly_paid' | 'paid' | 'credited' | 'credit_note';
}

/** Thrown when the database refuses to change a finalized row. */
export class ImmutableError extends Error {
  constructor(what: string, options?: { cause: unknown }) {
    super(`${what}: refused, finalized documents are immutable (issue a credit note instead)`, options);
    this.name = 'ImmutableError';
  }
}

export interface LedgerOptions {
  /** How long a write waits for another process's lock (default 30 s: a run's transaction is short). */
  busyTimeoutMs?: number;
  /** Read only: nothing is migrated or written (a dry run). The file must exist and be up to date. */
  readOnly?: boolean;
}

export class Ledger {
  private readonly st: ReturnType<typeof prepareStatements>;

  private constructor(readonly db: Database.Database, readonly path: string) {
    this.st = prepareStatements(db);
  }

  /** Opens (creating if needed) the ledger file and brings its schema up to date. */
  static open(path: string, options: LedgerOptions = {}): Ledger {
    let db: Database.Database;
    try {
      if (!options.readOnly) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, options.readOnly ? { readonly: true, fileMustExist: true } : {});
    } catch (err) {
      throw new Error(`ledger ${path}: cannot open the SQLite file`, { cause: err });
    }
    if (options.readOnly) {
      const version = Number(db.pragma('user_version', { simple: true }));
      if (version !== LEDGER_SCHEMA_VERSION) {
        db.close();
        throw new Error(`ledger ${path}: schema version ${version}, expected ${LEDGER_SCHEMA_VERSION} (run any writing command once to migrate it)`);
      }
      return new Ledger(db, path);
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 30_000}`);
      db.pragma('journal_mode = WAL');
      // FULL: a finalized invoice (and its number) must survive a power cut once the run reports it.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrateLedger(db, path);
    } catch (err) {
      db.close();
      throw err instanceof Error && err.message.startsWith('ledger') ? err : new Error(`ledger ${path}: cannot prepare the file`, { cause: err });
    }
    return new Ledger(db, path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken first, so two processes serialize. */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof Error && err.message.includes(IMMUTABLE)) throw new ImmutableError(`ledger ${this.path}`, { cause: err });
      throw err;
    }
  }

  // ---- runs

  startRun(period: string, customers: readonly string[] | undefined, trigger: 'cli' | 'schedule', now: Date): number {
    const r = this.st.insertRun.run({ period, customers: customers ? JSON.stringify(customers) : '*', trigger, pid: process.pid, started_at: now.toISOString() });
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, outcome: { status: 'finished' | 'failed'; finalized: number; skipped: number; error?: string }, now: Date): void {
    this.st.finishRun.run({ id, status: outcome.status, finalized: outcome.finalized, skipped: outcome.skipped, error: outcome.error ?? null, finished_at: now.toISOString() });
  }

  // ---- what a run reads before rating

  /** The number of the customer's finalized invoice for the period, if any. */
  finalizedNumber(customerId: string, period: string): string | undefined {
    const row = this.st.invoiceFor.get(customerId, period) as { status: string; number: string | null } | undefined;
    return row?.status === 'finalized' ? row.number ?? undefined : undefined;
  }

  /** Whether any invoice (draft or finalized) was ever written: the scheduler's first-period guard asks. */
  hasInvoices(): boolean {
    return this.db.prepare("SELECT 1 FROM invoice WHERE kind = 'invoice' LIMIT 1").get() !== undefined;
  }

  /** Customer ids with a finalized invoice for the period. */
  finalizedCustomers(period: string): Set<string> {
    return new Set((this.st.finalizedCustomers.all(period) as { customer_id: string }[]).map((r) => r.customer_id));
  }

  /** What is left of each catalog credit after the customer's latest finalized invoice that used it. */
  creditBalances(customerId: string): Map<string, Dec> {
    const out = new Map<string, Dec>();
    for (const r of this.st.creditRemaining.all(customerId) as { credit_id: string; remaining: string }[]) out.set(r.credit_id, dec(r.remaining));
    return out;
  }

  /** One-off charges of the customer not yet on a finalized invoice. */
  pendingCharges(customerId: string): { id: string; description: string; amount: Dec; taxCategory: string; createdAt: string }[] {
    return (this.st.pendingFor.all(customerId) as { id: string; description: string; amount: string; tax_category: string; created_at: string }[])
      .map((r) => ({ id: r.id, description: r.description, amount: dec(r.amount), taxCategory: r.tax_category, createdAt: r.created_at }));
  }

  /** Adds a one-off charge for the next run; the same id twice is refused unless it is the same charge. */
  addPendingCharge(c: { id: string; customerId: string; description: string; amount: Dec; taxCategory: string }, now: Date): 'added' | 'exists' {
    return this.write(() => {
      const old = this.db.prepare('SELECT customer_id, description, amount, tax_category FROM pending_charge WHERE id = ?').get(c.id) as
        { customer_id: string; description: string; amount: string; tax_category: string } | undefined;
      if (old) {
        if (old.customer_id === c.customerId && old.description === c.description && dec(old.amount).eq(c.amount) && old.tax_category === c.taxCategory) return 'exists';
        throw new Error(`ledger: one-off charge ${c.id} already exists with other values (expected a new id)`);
      }
      this.db.prepare('INSERT INTO pending_charge (id, customer_id, description, amount, tax_category, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(c.id, c.customerId, c.description, c.amount.toString(), c.taxCategory, now.toISOString());
      return 'added';
    });
  }

  /**
   * Finalized invoices of the customer for periods before `beforeFrom`, newest first (at most `limit`), with their
   * lines and every later adjustment line that already corrected them: what late-usage re-rating compares against.
   */
  earlierInvoices(customerId: string, beforeFrom: string, limit: number): { id: number; number: string; period: string; lines: LedgerLine[]; adjustedBy: LedgerLine[] }[] {
    if (limit <= 0) return [];
    const rows = this.st.earlier.all(customerId, beforeFrom, limit) as { id: number; number: string; period_label: string }[];
    return rows.map((r) => ({
      id: r.id, number: r.number, period: r.period_label,
      lines: this.linesOf(r.id),
      adjustedBy: this.adjustmentsOf(r.id),
    }));
  }

  // ---- drafts and finalization

  /**
   * Saves drafts in one transaction. A customer's earlier draft for the period (left by a run that died) is
   * replaced; a finalized invoice is left alone.
   */
  saveDrafts(drafts: readonly DraftInput[], runId: number, now: Date): DraftOutcome[] {
    return this.write(() => drafts.map((d) => {
      const existing = this.st.invoiceFor.get(d.rated.customerId, d.rated.period.label) as { id: number; status: string } | undefined;
      if (existing?.status === 'finalized') return 'already-finalized';
      if (existing) this.st.deleteDraft.run(existing.id);
      const r = d.rated;
      const id = Number(this.st.insertInvoice.run({
        kind: 'invoice', customer_id: r.customerId, period_label: r.period.label, period_from: r.period.from, period_to: r.period.to,
        timezone: r.period.timezone, currency: r.currency, subtotal: r.subtotal.toString(), tax_total: r.taxTotal.toString(), total: r.total.toString(),
        amount_due: r.amountDue.toString(), reverse_charge: r.reverseCharge ? 1 : 0, notes: JSON.stringify(r.notes), run_id: runId,
        corrects_invoice_id: null, reason: null, created_at: now.toISOString(),
      }).lastInsertRowid);
      this.insertLines(id, [...r.fees, ...d.adjustments]);
      this.insertTaxes(id, r.taxes);
      r.credits.forEach((c) => this.st.insertCredit.run({ invoice_id: id, credit_id: c.creditId, reason: c.reason, available: c.available.toString(), applied: c.applied.toString(), remaining: c.remaining.toString() }));
      for (const u of d.dailyUsage) this.st.insertDaily.run({ invoice_id: id, date: u.date, bytes_down: u.bytesDown, bytes_up: u.bytesUp });
      return 'drafted';
    }));
  }

  /**
   * Finalizes the current drafts of these customers for the period, in one transaction: each takes the next number
   * of its series, its document is built from the draft rows and stored as canonical JSON, and the one-off charges
   * it carries are marked billed. All or none: a crash leaves drafts and untouched series, never a gap.
   */
  finalizeDrafts(keys: readonly { customerId: string; period: string }[], ctx: FinalizeContext): FinalizeOutcome[] {
    return this.write(() => keys.map(({ customerId, period }): FinalizeOutcome => {
      const row = this.st.invoiceRowFor.get(customerId, period) as InvoiceRow | undefined;
      if (!row) return { status: 'no-draft' };
      if (row.status === 'finalized') return { status: 'already-finalized', number: row.number! };
      const lines = this.linesOf(row.id);
      const stale = this.staleness(row, lines);
      if (stale) {
        this.st.deleteDraft.run(row.id);
        return { status: 'stale', reason: stale };
      }
      const doc = this.finalizeRow(row, lines, ctx, undefined);
      // The one-off charges this invoice carries are billed now; one added after its rating waits for the next.
      for (const l of lines) if (l.kind === 'one_off' && l.chargeId.startsWith(PENDING_PREFIX)) this.st.billPending.run(row.id, l.chargeId.slice(PENDING_PREFIX.length), customerId);
      return { status: 'finalized', ref: { invoiceId: row.id, customerId, period, number: doc.number, total: doc.total, amountDue: doc.amountDue, currency: doc.currency } };
    }));
  }

  /**
   * Issues a finalized credit note against an invoice: `lines` are what it credits (positive amounts), in one
   * transaction with its number from the credit-note series.
   */
  issueCreditNote(invoiceNumber: string, lines: readonly LedgerLine[], reason: string, ctx: FinalizeContext): InvoiceDocument {
    return this.write(() => {
      const inv = this.st.byNumber.get(invoiceNumber) as InvoiceRow | undefined;
      if (!inv || inv.kind !== 'invoice') throw new Error(`ledger: no finalized invoice numbered ${invoiceNumber}`);
      // As for a draft invoice, the row's totals and tax summary cover the fee lines; the document adds the
      // adjustment lines (an amount credit is one) and finalization stores the document's totals.
      const fees = lines.filter((l) => l.kind !== 'adjustment');
      const subtotal = sum(fees.map((l) => l.net));
      const taxes = summarizeLineTaxes(fees);
      const taxTotal = sum(taxes.map((t) => t.amount));
      const total = sum(lines.map((l) => l.net)).plus(sum(lines.flatMap((l) => l.taxes.map((t) => t.amount))));
      const already = sumText((this.st.creditedTotal.get(inv.id) as { total: string | null }).total);
      if (total.plus(already).gt(dec(inv.total))) {
        throw new Error(`ledger: credit of ${total.toString()} ${inv.currency} on ${invoiceNumber} exceeds what is left to credit (${dec(inv.total).minus(already).toString()} of ${inv.total})`);
      }
      const id = Number(this.st.insertInvoice.run({
        kind: 'credit_note', customer_id: inv.customer_id, period_label: inv.period_label, period_from: inv.period_from, period_to: inv.period_to,
        timezone: inv.timezone, currency: inv.currency, subtotal: subtotal.toString(), tax_total: taxTotal.toString(), total: subtotal.plus(taxTotal).toString(),
        amount_due: subtotal.plus(taxTotal).toString(), reverse_charge: inv.reverse_charge, notes: JSON.stringify([]), run_id: null,
        corrects_invoice_id: inv.id, reason, created_at: ctx.now.toISOString(),
      }).lastInsertRowid);
      this.insertLines(id, lines);
      this.insertTaxes(id, taxes);
      const row = this.st.invoiceById.get(id) as InvoiceRow;
      return this.finalizeRow(row, this.linesOf(id), ctx, { invoiceNumber, issueDate: inv.issue_date!, reason });
    });
  }

  /**
   * Why a draft can no longer be finalized as rated, if it cannot: a one-off charge it carries was billed by another
   * invoice, a credit it uses was drawn on, or a late-usage difference it bills was billed, by an invoice finalized
   * since (two periods billed at once). Without this check both invoices would carry the same money.
   */
  private staleness(row: InvoiceRow, lines: readonly LedgerLine[]): string | undefined {
    for (const l of lines) {
      if (l.kind !== 'one_off' || !l.chargeId.startsWith(PENDING_PREFIX)) continue;
      const billed = this.st.pendingBilledBy.get(l.chargeId.slice(PENDING_PREFIX.length)) as { invoice_id: number | null } | undefined;
      if (billed?.invoice_id != null) return `one-off charge ${l.chargeId.slice(PENDING_PREFIX.length)} was billed on another invoice`;
    }
    for (const l of lines) {
      if (l.kind !== 'adjustment' || !l.adjusts?.billed) continue;
      const key = (x: LedgerLine) => `${x.subscriptionId}\u0000${x.planId}\u0000${x.chargeId}`;
      const earlier = [...this.linesOf(l.adjusts.invoiceId).filter((x) => x.kind !== 'adjustment'), ...this.adjustmentsOf(l.adjusts.invoiceId)].filter((x) => key(x) === key(l));
      if (!sum(earlier.map((x) => x.amount)).eq(l.adjusts.billed)) return `late usage of ${l.adjusts.invoiceNumber} was adjusted by another invoice`;
    }
    const balances = this.creditBalances(row.customer_id);
    for (const c of this.st.creditsOf.all(row.id) as { credit_id: string; available: string }[]) {
      const left = balances.get(c.credit_id);
      if (left !== undefined && !left.eq(dec(c.available))) return `credit ${c.credit_id} has ${left.toString()} left, not the ${c.available} it was rated with`;
    }
    return undefined;
  }

  private finalizeRow(row: InvoiceRow, lines: LedgerLine[], ctx: FinalizeContext, corrects: InvoiceDocument['corrects']): InvoiceDocument {
    const kind = row.kind;
    const issueDate = localDate(ctx.now, ctx.billing.timezone);
    const dueDate = kind === 'invoice' ? addDays(issueDate, ctx.billing.paymentTermsDays) : issueDate;
    const fmt = numberFormatFor(kind === 'invoice' ? ctx.billing.numbering.invoice : ctx.billing.numbering.creditNote, issueDate);
    this.st.ensureSeries.run(fmt.series, kind);
    const next = this.st.nextSequence.get(fmt.series, kind) as { last_sequence: number } | undefined;
    if (!next) throw new Error(`ledger: number series ${fmt.series} belongs to the other kind of document (expected distinct invoice and credit-note formats)`);
    const sequence = next.last_sequence;
    const number = fmt.format(sequence);

    const rated: RatedInvoice = {
      customerId: row.customer_id,
      period: { label: row.period_label, from: row.period_from, to: row.period_to, timezone: row.timezone },
      currency: row.currency,
      fees: lines.filter((l) => l.kind !== 'adjustment').map((l) => lineToFee(row.customer_id, l)),
      subtotal: dec(row.subtotal),
      taxes: (this.st.taxesOf.all(row.id) as { rate_id: string; name: string; rate: string; base: string; amount: string }[])
        .map((t): TaxSummary => ({ rateId: t.rate_id, name: t.name, rate: dec(t.rate), base: dec(t.base), amount: dec(t.amount) })),
      taxTotal: dec(row.tax_total),
      total: dec(row.total),
      credits: (this.st.creditsOf.all(row.id) as { credit_id: string; reason: string; available: string; applied: string; remaining: string }[])
        .map((c): CreditUse => ({ creditId: c.credit_id, reason: c.reason, available: dec(c.available), applied: dec(c.applied), remaining: dec(c.remaining) })),
      amountDue: dec(row.amount_due),
      reverseCharge: row.reverse_charge === 1,
      notes: JSON.parse(row.notes) as string[],
    };
    const adjustments = lines.filter((l) => l.kind === 'adjustment').map((l, i) => lineToDocumentLine(l, rated.fees.length + i + 1));
    const dailyUsage = (this.st.dailyOf.all(row.id) as { date: string; bytes_down: bigint; bytes_up: bigint }[])
      .map((d) => ({ date: d.date, bytesDown: d.bytes_down, bytesUp: d.bytes_up }));
    const doc = buildDocument(rated, {
      kind, number, series: fmt.series, sequence, issueDate, dueDate, seller: ctx.billing.seller, branding: ctx.billing.branding,
      customer: ctx.customer(row.customer_id), dailyUsage, ...(corrects ? { corrects } : {}), ...(adjustments.length > 0 ? { adjustments } : {}),
    });
    this.st.finalize.run({
      id: row.id, series: fmt.series, sequence, number, issue_date: issueDate, due_date: dueDate, finalized_at: ctx.now.toISOString(),
      document_json: documentToJson(doc), subtotal: doc.subtotal.toString(), tax_total: doc.taxTotal.toString(), total: doc.total.toString(),
      amount_due: doc.amountDue.toString(),
    });
    return doc;
  }

  private insertLines(invoiceId: number, lines: readonly LedgerLine[]): void {
    lines.forEach((l, i) => {
      this.st.insertLine.run(lineToRow(invoiceId, i + 1, l));
      l.taxes.forEach((t, position) => this.st.insertLineTax.run({
        invoice_id: invoiceId, line_no: i + 1, position, rate_id: t.rateId, name: t.name, rate: t.rate.toString(), compound: t.compound ? 1 : 0,
        base: t.base.toString(), amount: t.amount.toString(),
      }));
    });
  }

  private insertTaxes(invoiceId: number, taxes: readonly TaxSummary[]): void {
    taxes.forEach((t, position) => this.st.insertTax.run({ invoice_id: invoiceId, position, rate_id: t.rateId, name: t.name, rate: t.rate.toString(), base: t.base.toString(), amount: t.amount.toString() }));
  }

  // ---- reading finalized documents

  linesOf(invoiceId: number): LedgerLine[] {
    const taxes = this.st.lineTaxesOf.all(invoiceId) as LineTaxRow[];
    return (this.st.linesOf.all(invoiceId) as (LineRow & { adj_number: string | null; adj_from: string | null; adj_to: string | null })[]).map((r) =>
      lineFromRow(r, taxes.filter((t) => t.line_no === r.line_no), r.adj_number ? { number: r.adj_number, from: r.adj_from!, to: r.adj_to! } : undefined));
  }

  /** Adjustment lines on finalized invoices that corrected this invoice's period. */
  private adjustmentsOf(invoiceId: number): LedgerLine[] {
    const out: LedgerLine[] = [];
    for (const r of this.st.adjustingInvoices.all(invoiceId) as { invoice_id: number }[]) {
      out.push(...this.linesOf(r.invoice_id).filter((l) => l.kind === 'adjustment' && l.adjusts?.invoiceId === invoiceId));
    }
    return out;
  }

  row(number: string): InvoiceRow | undefined {
    return this.st.byNumber.get(number) as InvoiceRow | undefined;
  }

  /** The customer's finalized invoice for the period, as stored at finalization, if there is one. */
  finalizedDocument(customerId: string, period: string): InvoiceDocument | undefined {
    const number = this.finalizedNumber(customerId, period);
    return number === undefined ? undefined : this.document(number);
  }

  /** The finalized document exactly as stored at finalization. */
  document(number: string): InvoiceDocument {
    const r = this.row(number);
    if (!r?.document_json) throw new Error(`ledger: no finalized invoice or credit note numbered ${number}`);
    return documentFromJson(r.document_json);
  }

  /** Finalized invoices and credit notes with what was paid and credited, oldest first. */
  balances(filter: { customerId?: string; kind?: DocumentKind } = {}): InvoiceBalance[] {
    const rows = this.st.balances.all({ customer_id: filter.customerId ?? null, kind: filter.kind ?? null }) as
      (InvoiceRow & { paid: string | null; credited: string | null })[];
    return rows.map((r) => {
      const amountDue = dec(r.amount_due);
      const paid = sumText(r.paid);
      const credited = sumText(r.credited);
      const balance = r.kind === 'invoice' ? amountDue.minus(paid).minus(credited) : ZERO;
      const status: InvoiceBalance['status'] = r.kind === 'credit_note' ? 'credit_note'
        : balance.gt(ZERO) ? (paid.gt(ZERO) ? 'partly_paid' : 'open')
        : paid.gt(ZERO) || amountDue.eq(ZERO) ? 'paid' : 'credited';
      return {
        id: r.id, kind: r.kind, number: r.number!, customerId: r.customer_id, period: r.period_label, issueDate: r.issue_date!, dueDate: r.due_date!,
        currency: r.currency, total: dec(r.total), amountDue, paid, credited, balance, status,
      };
    });
  }

  /** Drafts left by a run that stopped before finalizing (the next run replaces them). */
  drafts(): { customerId: string; period: string; createdAt: string }[] {
    return (this.db.prepare("SELECT customer_id, period_label, created_at FROM invoice WHERE status = 'draft' ORDER BY id").all() as { customer_id: string; period_label: string; created_at: string }[])
      .map((r) => ({ customerId: r.customer_id, period: r.period_label, createdAt: r.created_at }));
  }
}

const PENDING_PREFIX = 'pending:';

/** The charge id a one-off charge from the ledger carries on its invoice line. */
export function pendingChargeId(id: string): string {
  return `${PENDING_PREFIX}${id}`;
}

function sumText(csv: string | null): Dec {
  return csv ? sum(csv.split(',').map((s) => dec(s))) : ZERO;
}

/** One summary per rate id over lines, in first-seen order (credit notes copy rounded line taxes). */
function summarizeLineTaxes(lines: readonly LedgerLine[]): TaxSummary[] {
  const out = new Map<string, TaxSummary>();
  for (const l of lines) {
    for (const t of l.taxes) {
      const s = out.get(t.rateId);
      if (s) out.set(t.rateId, { ...s, base: s.base.plus(t.base), amount: s.amount.plus(t.amount) });
      else out.set(t.rateId, { rateId: t.rateId, name: t.name, rate: t.rate, base: t.base, amount: t.amount });
    }
  }
  return [...out.values()];
}

/** YYYY-MM-DD of an instant in a zone. */
export function localDate(now: Date, tz: string): string {
  const p = localParts(now.getTime(), tz);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
