// `wispmeter invoices list|show|export|credit|send|push|deliveries`: the ledger's finalized documents, rendered from what
// was stored, and their delivery by e-mail and webhook.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvoiceDocument } from '../billing-export/document.js';
import { type InvoiceBalance, Ledger } from '../billing-export/ledger/ledger.js';
import { creditNoteLines, type CreditSpec } from '../billing-export/run/credit-note.js';
import { renderCsv, renderHtml, renderPdf, renderQuickBooksCsv, renderUbl, renderXeroCsv } from '../billing-export/render/index.js';
import { deliver, type DeliveryOutcome } from '../billing-export/push/deliver.js';
import { type Channel, type Delivery, DeliveryLog, type DeliveryStatus } from '../billing-export/push/delivery-log.js';
import { createMailer } from '../billing-export/push/email.js';
import { documentsToDeliver, type DocumentRef, emailDeliveries, emailSender, webhookDeliveries, webhookSender } from '../billing-export/push/invoice-deliveries.js';
import { DECIMAL_TEXT, dec, formatMoney, ZERO } from '../rating/money.js';
import { billingConfig, type CatalogFlags, ledgerPath, loadCatalogFor } from './bill.js';
import { letterheadLogo } from './letterhead-logo.js';
import { FlagError, resolveConfig, type CommonFlags } from './options.js';

export const INVOICE_STATUSES = ['open', 'partly_paid', 'paid', 'credited', 'credit_note'] as const;
export const EXPORT_FORMATS = ['html', 'pdf', 'csv', 'json', 'ubl', 'quickbooks', 'xero'] as const;

export interface InvoicesListFlags extends CommonFlags {
  customer?: string;
  status?: (typeof INVOICE_STATUSES)[number];
  format: 'table' | 'json';
}

export interface InvoicesExportFlags extends CommonFlags {
  format: (typeof EXPORT_FORMATS)[number];
  out: string;
}

export interface InvoicesCreditFlags extends CatalogFlags {
  reason: string;
  lines?: string;
  amount?: string;
}

/** Opens an existing ledger; listing or exporting from a data dir that was never billed is an error, not an empty file. */
function openExisting(flags: CommonFlags): Ledger {
  const path = ledgerPath(resolveConfig(flags));
  if (!existsSync(path)) throw new Error(`no ledger at ${path} yet (expected one written by \`wispmeter bill run\`; check --config or --data-dir)`);
  return Ledger.open(path);
}

function balanceJson(b: InvoiceBalance) {
  const m = (d: typeof b.total) => formatMoney(d, b.currency);
  return {
    number: b.number, kind: b.kind, customerId: b.customerId, period: b.period, issueDate: b.issueDate, dueDate: b.dueDate, currency: b.currency,
    total: m(b.total), amountDue: m(b.amountDue), paid: m(b.paid), credited: m(b.credited), balance: m(b.balance), status: b.status,
  };
}

export function runInvoicesList(flags: InvoicesListFlags): void {
  const ledger = openExisting(flags);
  try {
    const rows = ledger.balances(flags.customer ? { customerId: flags.customer } : {}).filter((b) => !flags.status || b.status === flags.status).map(balanceJson);
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const head = ['NUMBER', 'CUSTOMER', 'PERIOD', 'ISSUED', 'DUE', 'TOTAL', 'PAID', 'BALANCE', 'CUR', 'STATUS'];
    const table = rows.map((r) => [r.number, r.customerId, r.period, r.issueDate, r.dueDate, r.total, r.paid, r.balance, r.currency, r.status]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => (i >= 5 && i <= 7 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    process.stdout.write(`${[line(head), ...table.map(line)].join('\n')}\n`);
  } finally {
    ledger.close();
  }
}

export function runInvoicesShow(number: string, flags: CommonFlags & { format: 'text' | 'json' }): void {
  const ledger = openExisting(flags);
  try {
    const row = ledger.row(number);
    if (!row) throw new Error(`invoices show: no finalized invoice or credit note numbered ${number} (see \`wispmeter invoices list\`)`);
    if (flags.format === 'json') {
      // Exactly the stored canonical document: what every renderer renders.
      process.stdout.write(row.document_json!);
      return;
    }
    const doc = ledger.document(number);
    const balance = ledger.balances({ customerId: row.customer_id }).find((b) => b.number === number)!;
    process.stdout.write(`${documentText(doc, balance)}\n`);
  } finally {
    ledger.close();
  }
}

function documentText(doc: InvoiceDocument, b: InvoiceBalance): string {
  const m = (d: InvoiceDocument['total']) => formatMoney(d, doc.currency);
  const out = [
    `${doc.kind === 'invoice' ? 'Invoice' : 'Credit note'} ${doc.number}   issued ${doc.issueDate}   due ${doc.dueDate}`,
    `${doc.buyer.legalName} (${doc.buyer.customerId})   period ${doc.period.label} [${doc.period.from}, ${doc.period.to}) ${doc.period.timezone}`,
  ];
  if (doc.corrects) out.push(`corrects ${doc.corrects.invoiceNumber} of ${doc.corrects.issueDate}: ${doc.corrects.reason}`);
  for (const l of doc.lines) out.push(`${String(l.lineNo).padStart(3)}  ${l.description}  ${l.quantity.round(6).toString()} ${l.unit}  ${m(l.amount)}`);
  out.push(`subtotal ${m(doc.subtotal)}`);
  for (const t of doc.taxes) out.push(`${t.name} on ${m(t.base)}: ${m(t.amount)}`);
  out.push(`total ${m(doc.total)} ${doc.currency}`);
  for (const c of doc.credits) if (!c.applied.eq(ZERO)) out.push(`credit ${c.creditId} (${c.reason}): −${m(c.applied)}`);
  out.push(`amount due ${m(doc.amountDue)}`);
  if (doc.kind === 'invoice') out.push(`paid ${m(b.paid)}, credited ${m(b.credited)}, balance ${m(b.balance)} (${b.status})`);
  return out.join('\n');
}

export async function runInvoicesExport(numbers: string[], flags: InvoicesExportFlags): Promise<void> {
  const ledger = openExisting(flags);
  try {
    const docs = numbers.map((n) => ({ n, doc: ledger.document(n), json: ledger.row(n)!.document_json! }));
    const logo = letterheadLogo;
    mkdirSync(flags.out, { recursive: true });
    const written: string[] = [];
    const write = (name: string, content: string | Buffer) => {
      const file = join(flags.out, name);
      writeFileSync(file, content);
      written.push(file);
    };
    switch (flags.format) {
      case 'json':
        for (const d of docs) write(`${d.n}.json`, d.json);
        break;
      case 'html':
        for (const d of docs) write(`${d.n}.html`, renderHtml(d.doc, logo(d.doc)));
        break;
      case 'pdf':
        for (const d of docs) write(`${d.n}.pdf`, await renderPdf(d.doc, logo(d.doc)));
        break;
      case 'ubl':
        for (const d of docs) write(`${d.n}.xml`, renderUbl(d.doc));
        break;
      case 'csv':
        write(exportName(numbers, 'csv'), renderCsv(docs.map((d) => d.doc)));
        break;
      case 'quickbooks':
        write(exportName(numbers, 'quickbooks.csv'), renderQuickBooksCsv(docs.map((d) => d.doc)));
        break;
      case 'xero':
        write(exportName(numbers, 'xero.csv'), renderXeroCsv(docs.map((d) => d.doc)));
        break;
      default: {
        const never: never = flags.format;
        throw new FlagError('--format', `unknown format ${String(never)}`);
      }
    }
    process.stdout.write(`${written.join('\n')}\n`);
  } finally {
    ledger.close();
  }
}

function exportName(numbers: readonly string[], ext: string): string {
  return numbers.length === 1 ? `${numbers[0]}.${ext}` : `${numbers[0]}..${numbers.at(-1)}.${ext}`;
}

export function runInvoicesCredit(number: string, flags: InvoicesCreditFlags): void {
  if (flags.reason.trim() === '') throw new FlagError('--reason', 'empty (expected why the invoice is corrected; it is printed on the credit note)');
  if ((flags.lines === undefined) === (flags.amount === undefined)) throw new FlagError('--lines', 'give --lines N[,N…] or --amount X (one of them)');
  let spec: CreditSpec;
  if (flags.lines !== undefined) {
    const ns = flags.lines.split(',').map((s) => s.trim());
    if (ns.some((s) => !/^[1-9]\d*$/.test(s))) throw new FlagError('--lines', `"${flags.lines}" (expected line numbers such as 1,3)`);
    spec = { lines: ns.map(Number) };
  } else {
    if (!DECIMAL_TEXT.test(flags.amount!)) throw new FlagError('--amount', `not an amount: "${flags.amount}" (expected a decimal such as 12.50, tax included)`);
    spec = { amount: dec(flags.amount!) };
  }
  const config = resolveConfig(flags);
  const billing = billingConfig(config, flags);
  const catalog = loadCatalogFor(config, flags);
  const ledger = Ledger.open(ledgerPath(config));
  try {
    const inv = ledger.row(number);
    const customer = catalog.customers.find((c) => c.id === inv?.customer_id);
    const lines = creditNoteLines(ledger, number, spec, flags.reason, catalog.rounding.mode);
    const doc = ledger.issueCreditNote(number, lines, flags.reason, {
      now: new Date(), billing,
      customer: (id) => {
        if (!customer) throw new Error(`invoices credit: customer ${id} of ${number} is not in the catalog (expected it in the customers file)`);
        return customer;
      },
    });
    process.stdout.write(`${doc.number}  credits ${number}  ${formatMoney(doc.total, doc.currency)} ${doc.currency}  (${flags.reason})\n`);
  } finally {
    ledger.close();
  }
}

// ---- send (e-mail) and push (webhooks): every attempt in the ledger's delivery_attempt table

export interface InvoicesDeliverFlags extends CatalogFlags {
  period?: string;
  dryRun?: boolean;
  resend?: boolean;
  /** As of this instant (tests, replays): decides which retries are due. */
  now?: string;
  format: 'table' | 'json';
}

export interface InvoicesDeliveriesFlags extends CommonFlags {
  status?: DeliveryStatus;
  channel?: Channel;
  number?: string;
  format: 'table' | 'json';
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Named documents, a period's, or (neither given) what waits for a retry. */
function selection(numbers: string[], flags: InvoicesDeliverFlags): { numbers?: string[]; period?: string } | 'unfinished' {
  if (numbers.length > 0 && flags.period) throw new FlagError('--period', 'give document numbers or --period, not both');
  if (flags.period !== undefined && !PERIOD.test(flags.period)) throw new FlagError('--period', `not a billing period: "${flags.period}" (expected YYYY-MM, e.g. 2025-12)`);
  if (numbers.length > 0) return { numbers };
  return flags.period ? { period: flags.period } : 'unfinished';
}

function clock(flags: InvoicesDeliverFlags): () => Date {
  if (flags.now === undefined) return () => new Date();
  const t = Date.parse(flags.now);
  if (Number.isNaN(t)) throw new FlagError('--now', `not an instant: "${flags.now}" (expected ISO 8601, e.g. 2026-01-02T09:00:00Z)`);
  return () => new Date(t);
}

export async function runInvoicesSend(numbers: string[], flags: InvoicesDeliverFlags): Promise<void> {
  const config = resolveConfig(flags);
  const email = billingConfig(config, flags).email;
  if (!email) throw new FlagError('--config', 'no billing.email section (expected smtp host, from and subject; see docs/billing.md, "Sending and pushing")');
  const sel = selection(numbers, flags);
  const now = clock(flags);
  const catalog = config.catalog || flags.customers ? loadCatalogFor(config, flags) : undefined;
  const ledger = openExisting(flags);
  try {
    const log = new DeliveryLog(ledger);
    let deliveries: Delivery[];
    let missing: DocumentRef[] = [];
    if (sel === 'unfinished') deliveries = log.unfinished('email');
    else {
      // The catalog's address now (a customer may have changed it since finalization), else the one on the document.
      const recipientOf = (d: DocumentRef) => {
        const customer = catalog?.customers.find((c) => c.id === d.customerId);
        return customer ? customer.email : ledger.document(d.number).buyer.email;
      };
      ({ deliveries, missing } = emailDeliveries(documentsToDeliver(ledger, sel), recipientOf));
    }
    const report: DeliveryReportLine[] = missing.map((d) => ({ number: d.number, channel: 'email', target: '-', status: 'no-address', detail: `customer ${d.customerId} has no email in the catalog` }));
    if (flags.dryRun) report.push(...deliveries.map((d) => previewLine(log, d, now(), flags.resend)));
    else if (deliveries.length > 0) {
      const mailer = createMailer(email);
      try {
        const outcomes = await deliver(deliveries, emailSender(ledger, mailer, email, letterheadLogo), log, { policy: email.retry, now, force: flags.resend ?? false });
        report.push(...outcomes.map(outcomeLine));
      } finally {
        mailer.close();
      }
    }
    printDeliveryReport('email', report, flags);
  } finally {
    ledger.close();
  }
}

export async function runInvoicesPush(numbers: string[], flags: InvoicesDeliverFlags): Promise<void> {
  const config = resolveConfig(flags);
  const webhooks = billingConfig(config, flags).webhooks;
  if (!webhooks) throw new FlagError('--config', 'no billing.webhooks section (expected endpoints with name, url and secret; see docs/billing.md, "Sending and pushing")');
  const sel = selection(numbers, flags);
  const now = clock(flags);
  const ledger = openExisting(flags);
  try {
    const log = new DeliveryLog(ledger);
    // The signature's timestamp is the wall clock (receivers check it); --now only decides what is due.
    const deliveries = sel === 'unfinished' ? log.unfinished('webhook') : webhookDeliveries(documentsToDeliver(ledger, sel), webhooks.endpoints);
    const report = flags.dryRun
      ? deliveries.map((d) => previewLine(log, d, now(), flags.resend))
      : (await deliver(deliveries, webhookSender(ledger, webhooks.endpoints, () => new Date()), log, { policy: webhooks.retry, now, force: flags.resend ?? false })).map(outcomeLine);
    printDeliveryReport('webhook', report, flags);
  } finally {
    ledger.close();
  }
}

export function runInvoicesDeliveries(flags: InvoicesDeliveriesFlags): void {
  const ledger = openExisting(flags);
  try {
    const rows = new DeliveryLog(ledger).states({ ...(flags.status ? { status: flags.status } : {}), ...(flags.channel ? { channel: flags.channel } : {}), ...(flags.number ? { number: flags.number } : {}) })
      .map((s) => ({
        number: s.number, channel: s.channel, target: s.target, status: s.status, attempts: s.attempts, lastAttemptAt: s.updated_at,
        nextAttemptAt: s.next_attempt_at, error: s.error, messageId: s.message_id, idempotencyKey: s.idempotency_key,
      }));
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const head = ['NUMBER', 'CHANNEL', 'TARGET', 'STATUS', 'ATTEMPTS', 'LAST', 'NEXT', 'ERROR'];
    const table = rows.map((r) => [r.number, r.channel, r.target, r.status, String(r.attempts), r.lastAttemptAt, r.nextAttemptAt ?? '-', r.error ?? '']);
    process.stdout.write(`${alignTable(head, table)}\n`);
  } finally {
    ledger.close();
  }
}

/** What happened to one delivery in this run; a skipped one says why (`already-delivered`, `not-due`, …). */
type ReportStatus = Exclude<DeliveryOutcome['status'], 'skipped'> | SkipReasonText | 'no-address' | 'would-send';
type SkipReasonText = 'already-delivered' | 'dead-before' | 'not-due' | 'in-flight';

interface DeliveryReportLine {
  number: string;
  channel: Channel;
  target: string;
  status: ReportStatus;
  detail: string;
}

function outcomeLine(o: DeliveryOutcome): DeliveryReportLine {
  const { delivery: d, row } = o;
  const base = { number: d.number, channel: d.channel, target: d.target };
  switch (o.status) {
    case 'delivered':
      return { ...base, status: 'delivered', detail: `attempt ${row.attempt}${row.message_id ? ` ${row.message_id}` : ''}` };
    case 'retry':
      return { ...base, status: 'retry', detail: `attempt ${row.attempt} failed, next at ${row.next_attempt_at}: ${row.error}` };
    case 'dead':
      return { ...base, status: 'dead', detail: `attempt ${row.attempt}: ${row.error}` };
    case 'skipped':
      switch (o.reason) {
        case 'delivered':
          return { ...base, status: 'already-delivered', detail: `on ${row.updated_at} (--resend to send again)` };
        case 'dead':
          return { ...base, status: 'dead-before', detail: `since ${row.updated_at}: ${row.error} (--resend to try again)` };
        case 'not-due':
          return { ...base, status: 'not-due', detail: `next attempt at ${row.next_attempt_at}` };
        case 'in-flight':
          return { ...base, status: 'in-flight', detail: `attempt ${row.attempt} in flight since ${row.updated_at}` };
        default: {
          const never: never = o.reason;
          throw new Error(`unknown skip reason ${String(never)}`);
        }
      }
    default: {
      const never: never = o;
      throw new Error(`unknown delivery outcome ${String(never)}`);
    }
  }
}

function previewLine(log: DeliveryLog, d: Delivery, now: Date, force = false): DeliveryReportLine {
  const p = log.preview(d, now, force);
  if (p.status === 'would-send') return { number: d.number, channel: d.channel, target: d.target, status: 'would-send', detail: `attempt ${p.attempt}` };
  return outcomeLine({ delivery: d, status: 'skipped', reason: p.reason, row: p.last });
}

/** Exit 1 unless every document is delivered (now or before): no address, a retry or a dead delivery needs a look. */
function printDeliveryReport(channel: Channel, lines: DeliveryReportLine[], flags: InvoicesDeliverFlags): void {
  const count = (...s: ReportStatus[]) => lines.filter((l) => s.includes(l.status)).length;
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify({ channel, dryRun: flags.dryRun ?? false, deliveries: lines }, null, 2)}\n`);
  else {
    if (lines.length > 0) process.stdout.write(`${alignTable(undefined, lines.map((l) => [l.number, l.channel, l.target, l.status, l.detail]))}\n`);
    process.stdout.write(`${channel}: ${flags.dryRun ? `${count('would-send')} to send` : `${count('delivered')} delivered`}, ${count('already-delivered')} already delivered, `
      + `${count('retry', 'not-due', 'in-flight')} waiting, ${count('dead', 'dead-before')} dead, ${count('no-address')} without an address\n`);
  }
  if (!flags.dryRun && lines.some((l) => l.status !== 'delivered' && l.status !== 'already-delivered')) process.exitCode = 1;
}

function alignTable(head: string[] | undefined, rows: string[][]): string {
  const all = head ? [head, ...rows] : rows;
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
