// A billing run for (period, customers): rate through the rating engine, save drafts, finalize with gap-free numbers.
// Safe to repeat (a finalized customer is skipped), safe to run twice at once (the ledger's write lock and its one
// invoice per customer and period), safe to kill (drafts left behind are replaced and finalized by the next run).
import type { Logger } from 'pino';
import type { Catalog, Customer } from '../../config/catalog-schema.js';
import type { RatedInvoice } from '../../rating/fee.js';
import { customerPeriod, rateCustomer } from '../../rating/rate.js';
import { readAhead } from '../../rating/read-ahead.js';
import type { UsageStore } from '../../store/usage-store.js';
import type { BillingConfig } from '../config.js';
import type { DraftInput, FinalizedRef, Ledger } from '../ledger/ledger.js';
import { pendingChargeId } from '../ledger/ledger.js';
import type { LedgerLine } from '../ledger/ledger-rows.js';
import { dailyUsage, readBillingUsage } from './daily-usage.js';
import { lateUsageAdjustments } from './late-usage.js';
import type { LedgerReader } from './ledger-reader.js';

/** Customers whose drafts are prepared ahead of the one being batched (as ratePeriod's per-customer read-ahead). */
const READ_AHEAD = 8;

export interface BillingRunDeps {
  store: UsageStore;
  catalog: Catalog;
  billing: BillingConfig;
  log: Logger;
  /** The ledger to write; a dry run passes only a reader. */
  ledger: Ledger | { reader: LedgerReader };
  now?: () => Date;
}

export interface BillingRunOptions {
  /** Billing period label, "YYYY-MM" (each customer's own billing day and zone). */
  period: string;
  /** Only these customers; every customer of the catalog otherwise. */
  customerIds?: readonly string[];
  trigger?: 'cli' | 'schedule';
  /** Invoices finalized per transaction (default 100): fewer fsyncs; a crash loses at most one batch of drafts. */
  batchSize?: number;
  /** Called after each committed step; tests use it to kill the process between transactions. */
  onStep?: (step: 'drafted' | 'finalized', count: number) => void;
}

/** What a dry run would invoice for one customer. */
export interface Preview {
  rated: RatedInvoice;
  adjustments: LedgerLine[];
}

export interface BillingRunReport {
  runId?: number;
  period: string;
  finalized: FinalizedRef[];
  /** Customers whose invoice for the period already existed, with its number. */
  skipped: { customerId: string; number: string }[];
  /** Customers with nothing to bill for the period (no service, charges or adjustments): no empty invoice is made. */
  empty: string[];
  /** Dry run only. */
  previews: Preview[];
}

export async function runBilling(deps: BillingRunDeps, options: BillingRunOptions): Promise<BillingRunReport> {
  const now = deps.now ?? (() => new Date());
  const customers = selectCustomers(deps.catalog, options.customerIds);
  const report: BillingRunReport = { period: options.period, finalized: [], skipped: [], empty: [], previews: [] };
  const reader: LedgerReader = 'reader' in deps.ledger ? deps.ledger.reader : deps.ledger;
  const ledger = 'reader' in deps.ledger ? undefined : deps.ledger;
  const log = deps.log.child({ component: 'billing-run', period: options.period });

  const runId = ledger?.startRun(options.period, options.customerIds, options.trigger ?? 'cli', now());
  report.runId = runId;
  const batchSize = Math.max(1, options.batchSize ?? 100);
  let batch: { customer: Customer; draft: DraftInput }[] = [];
  let drafted = 0;
  const byId = new Map(deps.catalog.customers.map((c) => [c.id, c]));

  /** Customers whose draft went stale at finalization (another invoice used their charge or credit): rated again. */
  let stale: Customer[] = [];
  const flush = () => {
    if (!ledger || runId === undefined || batch.length === 0) return;
    const outcomes = ledger.saveDrafts(batch.map((b) => b.draft), runId, now());
    drafted += outcomes.filter((o) => o === 'drafted').length;
    options.onStep?.('drafted', drafted);
    const results = ledger.finalizeDrafts(batch.map((b) => ({ customerId: b.customer.id, period: options.period })), {
      now: now(), billing: deps.billing,
      customer: (id) => byId.get(id) ?? fail(`billing run: customer ${id} of a draft is not in the catalog`),
    });
    results.forEach((r, i) => {
      const customerId = batch[i]!.customer.id;
      if (r.status === 'finalized') {
        report.finalized.push(r.ref);
        log.info({ customer: customerId, number: r.ref.number, total: r.ref.total.toString(), currency: r.ref.currency }, 'invoice finalized');
      } else if (r.status === 'already-finalized') {
        // Another process finalized it between our check and our transaction.
        report.skipped.push({ customerId, number: r.number });
      } else if (r.status === 'stale') {
        log.info({ customer: customerId, reason: r.reason }, 'draft went stale before finalization; rating it again');
        stale.push(batch[i]!.customer);
      } else {
        throw new Error(`billing run: the draft of ${customerId} for ${options.period} vanished before finalization`);
      }
    });
    options.onStep?.('finalized', report.finalized.length);
    batch = [];
  };

  /** Puts one customer's draft into the batch (or the previews of a dry run); nothing for a customer with nothing to bill. */
  const take = (c: Customer, draft: DraftInput) => {
    if (draft.rated.fees.length === 0 && draft.adjustments.length === 0) report.empty.push(c.id);
    else if (!ledger) report.previews.push({ rated: draft.rated, adjustments: draft.adjustments });
    else {
      batch.push({ customer: c, draft });
      if (batch.length >= batchSize) flush();
    }
  };
  /**
   * Rates the customers in order, with the next few customers' usage reads in flight (the store's read workers or
   * Influx answer them while this thread rates and writes). A draft prepared ahead is still checked for staleness
   * at finalization, like any other.
   */
  const billAll = async (list: readonly Customer[]) => {
    for await (const [c, draft] of readAhead(list, READ_AHEAD, (n) => prepareDraft(deps, reader, n, options.period))) take(c, draft);
  };

  try {
    const done = reader.finalizedCustomers(options.period);
    for (const c of customers) {
      if (done.has(c.id)) report.skipped.push({ customerId: c.id, number: reader.finalizedNumber(c.id, options.period) ?? '?' });
    }
    await billAll(customers.filter((c) => !done.has(c.id)));
    flush();
    // Bounded: each round only sees what other runs finalized meanwhile.
    for (let round = 0; round < 3 && stale.length > 0; round++) {
      const again = stale;
      stale = [];
      await billAll(again);
      flush();
    }
    if (stale.length > 0) throw new Error(`billing run: ${stale.map((c) => c.id).join(', ')} kept going stale (another run is billing them); run again`);
    if (ledger && runId !== undefined) ledger.finishRun(runId, { status: 'finished', finalized: report.finalized.length, skipped: report.skipped.length }, now());
  } catch (err) {
    if (ledger && runId !== undefined) {
      try {
        ledger.finishRun(runId, { status: 'failed', finalized: report.finalized.length, skipped: report.skipped.length, error: err instanceof Error ? err.message : String(err) }, now());
      } catch {
        // The original error matters more than recording it.
      }
    }
    throw err;
  }
  return report;
}

/** Rates one customer's period with its pending one-off charges and credit balances, plus late-usage adjustments. */
async function prepareDraft(deps: BillingRunDeps, reader: LedgerReader, c: Customer, period: string): Promise<DraftInput> {
  const withCharges = withPendingCharges(c, reader, period);
  const p = customerPeriod(withCharges, period);
  // Read in buckets even where rating needs only totals: the invoice's daily chart is drawn from the same rows.
  const usage = await readBillingUsage(deps.store, deps.catalog, withCharges, p);
  const rated = rateCustomer(deps.catalog, withCharges, period, usage, { creditBalances: reader.creditBalances(c.id) });
  const adjustments = await lateUsageAdjustments(deps.store, deps.catalog, c, rated.period.from, deps.billing.lateUsageLookback, reader);
  return { rated, adjustments, dailyUsage: dailyUsage(usage, p, c.timezone) };
}

/**
 * The customer with the ledger's waiting one-off charges added to its first subscription, dated at the start of the
 * period, so rating prices and taxes them like any catalog one-off.
 */
function withPendingCharges(c: Customer, reader: LedgerReader, period: string): Customer {
  const pending = reader.pendingCharges(c.id);
  const first = c.subscriptions[0];
  if (pending.length === 0 || !first) return c;
  const from = new Date(customerPeriod(c, period).from).toISOString();
  const oneOff = pending.map((p) => ({ id: pendingChargeId(p.id), description: p.description, price: p.amount, date: from, taxCategory: p.taxCategory }));
  return { ...c, subscriptions: [{ ...first, oneOff: [...first.oneOff, ...oneOff] }, ...c.subscriptions.slice(1)] };
}

function selectCustomers(catalog: Catalog, ids: readonly string[] | undefined): Customer[] {
  if (ids?.length) {
    const missing = ids.filter((id) => !catalog.customers.some((c) => c.id === id));
    if (missing.length > 0) throw new Error(`billing run: unknown customer ${missing.join(', ')} (expected an id from the customers file)`);
  }
  const wanted = ids?.length ? new Set(ids) : undefined;
  return catalog.customers.filter((c) => !wanted || wanted.has(c.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function fail(message: string): never {
  throw new Error(message);
}
