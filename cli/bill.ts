// `wispmeter bill run|schedule|charge`: billing runs into the ledger, the scheduler, one-off charges for the next run.
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadCatalog } from '../config/catalog-load.js';
import type { Catalog } from '../config/catalog-schema.js';
import type { Config } from '../config/schema.js';
import type { BillingConfig } from '../billing-export/config.js';
import { Ledger } from '../billing-export/ledger/ledger.js';
import type { LedgerLine } from '../billing-export/ledger/ledger-rows.js';
import { allocateUnapplied } from '../billing-export/payments/payments.js';
import { type BillingRunReport, runBilling } from '../billing-export/run/billing-run.js';
import { openLedgerForReading } from '../billing-export/run/ledger-reader.js';
import { BillingScheduler, billDue, dueWork } from '../billing-export/run/schedule.js';
import { leaseHolderId, SchedulerLease } from '../billing-export/run/schedule-lease.js';
import type { DeliveryPassReport } from '../billing-export/run/schedule-delivery.js';
import type { DeliveryOutcome } from '../billing-export/push/deliver.js';
import { DECIMAL_TEXT, dec, formatMoney } from '../rating/money.js';
import { invoiceToJson, invoiceToTable } from '../rating/invoice-json.js';
import { letterheadLogo } from './letterhead-logo.js';
import { createLogger } from './logger.js';
import { FlagError, resolveConfig, type CommonFlags } from './options.js';
import { openUsageStore, PERIOD_READERS } from './stores.js';

export interface CatalogFlags extends CommonFlags {
  plans?: string;
  customers?: string;
}

export interface BillRunFlags extends CatalogFlags {
  period: string;
  customer?: string[];
  dryRun?: boolean;
  store: 'embedded' | 'influx';
  format: 'table' | 'json';
  batch?: string;
}

export interface BillScheduleFlags extends CatalogFlags {
  store: 'embedded' | 'influx';
  batch?: string;
  once?: boolean;
  now?: string;
  dryRun?: boolean;
}

export interface BillChargeFlags extends CatalogFlags {
  customer: string;
  id: string;
  description: string;
  amount: string;
  taxCategory: string;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The `billing:` section, or a clear error naming where it goes. */
export function billingConfig(config: Config, flags: CommonFlags): BillingConfig {
  if (!config.billing) {
    throw new FlagError('--config', `${flags.config ? `${flags.config} has` : 'no --config given, so there is'} no billing: section (expected the seller, numbering and terms; see config/wispmeter.sample.yaml)`);
  }
  return config.billing;
}

export function ledgerPath(config: Config): string {
  const file = config.billing?.ledger ?? 'ledger.sqlite';
  return isAbsolute(file) ? file : join(config.dataDir, file);
}

export function loadCatalogFor(config: Config, flags: CatalogFlags): Catalog {
  const plans = flags.plans ? resolve(flags.plans) : config.catalog?.plans;
  const customers = flags.customers ? resolve(flags.customers) : config.catalog?.customers;
  if (!plans || !customers) throw new FlagError('--plans', 'no catalog: give --plans FILE and --customers FILE, or catalog.plans and catalog.customers in the config');
  return loadCatalog({ plans, customers });
}

function parseBatch(batch: string | undefined): number | undefined {
  const n = batch === undefined ? undefined : Number(batch);
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 10_000)) throw new FlagError('--batch', `"${batch}" (expected an integer from 1 to 10000)`);
  return n;
}

/** A sync pause for the kill and concurrency tests (WISPMETER_TEST_STEP_DELAY_MS), so a kill can land mid-run. */
function testHooks(): ((step: 'drafted' | 'finalized', count: number) => void) | undefined {
  const delay = Number(process.env.WISPMETER_TEST_STEP_DELAY_MS ?? 0);
  const kill = /^(drafted|finalized):(\d+)$/.exec(process.env.WISPMETER_TEST_KILL_AFTER ?? '');
  if (!delay && !kill) return undefined;
  return (step, count) => {
    process.stderr.write(`bill: ${step} ${count}\n`);
    if (kill && step === kill[1] && count >= Number(kill[2])) process.kill(process.pid, 'SIGKILL');
    if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
  };
}

export async function runBillRun(flags: BillRunFlags): Promise<void> {
  if (!PERIOD.test(flags.period)) throw new FlagError('--period', `not a billing period: "${flags.period}" (expected YYYY-MM, e.g. 2025-12)`);
  const batchSize = parseBatch(flags.batch);
  const config = resolveConfig(flags);
  // Checked before anything is opened: a run without a seller and numbering cannot finalize.
  const billing = flags.dryRun ? config.billing ?? dryRunBilling() : billingConfig(config, flags);
  const catalog = loadCatalogFor(config, flags);
  const unknown = (flags.customer ?? []).filter((id) => !catalog.customers.some((c) => c.id === id));
  if (unknown.length > 0) throw new FlagError('--customer', `unknown customer ${unknown.map((id) => `"${id}"`).join(', ')} (expected an id from the customers file)`);
  const logger = createLogger({ level: flags.logLevel ?? 'warn', pretty: config.log.pretty });
  const store = openUsageStore(config, flags.store, logger, { readers: PERIOD_READERS });
  try {
    if (flags.dryRun) {
      // Reads the ledger (what is already invoiced, credits, late usage) but never writes or creates it.
      const { reader, close } = openLedgerForReading(ledgerPath(config));
      try {
        const report = await runBilling({ store, catalog, billing, log: logger, ledger: { reader } }, { period: flags.period, customerIds: flags.customer });
        process.stdout.write(`${formatDryRun(report, flags.format)}\n`);
      } finally {
        close();
      }
      return;
    }
    const ledger = Ledger.open(ledgerPath(config));
    try {
      const report = await runBilling({ store, catalog, billing, log: logger, ledger }, { period: flags.period, customerIds: flags.customer, batchSize, onStep: testHooks() });
      // Money already on account (prepayments, overpayments) settles the new invoices.
      allocateUnapplied(ledger, new Set(report.finalized.map((f) => f.customerId)), new Date());
      process.stdout.write(`${formatReport(report, flags.format)}\n`);
    } finally {
      ledger.close();
    }
  } finally {
    await store.close();
  }
}

/** A dry run without a billing section still previews the rating; nothing is numbered. */
function dryRunBilling(): BillingConfig {
  return {
    seller: { legalName: '(dry run)', address: { lines: ['-'], countryCode: 'US' }, taxIds: [] },
    branding: { primaryColor: '#000000', accentColor: '#000000', paymentInstructions: [] },
    timezone: 'UTC', numbering: { invoice: 'INV-{YYYY}-{seq:06}', creditNote: 'CN-{YYYY}-{seq:06}' },
    paymentTermsDays: 30, ledger: 'ledger.sqlite', lateUsageLookback: 3, schedule: { at: '06:00', leaseMs: 60_000, deliver: { email: false, webhooks: false, retryEveryMs: 60_000 } },
  };
}

function formatReport(report: BillingRunReport, format: 'table' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify({
      run: report.runId, period: report.period,
      finalized: report.finalized.map((f) => ({ number: f.number, customerId: f.customerId, total: formatMoney(f.total, f.currency), amountDue: formatMoney(f.amountDue, f.currency), currency: f.currency })),
      alreadyInvoiced: report.skipped, nothingToBill: report.empty,
    }, null, 2);
  }
  const lines = report.finalized.map((f) => `${f.number}  ${f.customerId}  ${report.period}  ${formatMoney(f.total, f.currency)} ${f.currency}`);
  lines.push(`run ${report.runId}: ${report.finalized.length} finalized, ${report.skipped.length} already invoiced${report.empty.length > 0 ? `, ${report.empty.length} with nothing to bill` : ''} for ${report.period}`);
  return lines.join('\n');
}

function formatDryRun(report: BillingRunReport, format: 'table' | 'json'): string {
  const adjustmentJson = (a: LedgerLine) => ({ description: a.description, adjusts: a.adjusts?.invoiceNumber, net: a.net.toString(), amount: a.amount.toString(), calculation: a.calculation });
  if (format === 'json') {
    return JSON.stringify({
      dryRun: true, period: report.period,
      invoices: report.previews.map((p) => ({ ...(invoiceToJson(p.rated) as object), adjustments: p.adjustments.map(adjustmentJson) })),
      alreadyInvoiced: report.skipped, nothingToBill: report.empty,
    }, null, 2);
  }
  const out = report.previews.map((p) => [invoiceToTable(p.rated), ...p.adjustments.map((a) => `adjustment (${a.adjusts?.invoiceNumber}): ${a.description}  ${formatMoney(a.amount, p.rated.currency)}`)].join('\n'));
  out.push(`dry run: ${report.previews.length} invoice(s) would be finalized for ${report.period}, ${report.skipped.length} already invoiced; nothing was written`);
  return out.join('\n\n');
}

export async function runBillSchedule(flags: BillScheduleFlags): Promise<void> {
  const batchSize = parseBatch(flags.batch);
  const config = resolveConfig(flags);
  const billing = billingConfig(config, flags);
  const catalog = loadCatalogFor(config, flags);
  let clock = () => new Date();
  if (flags.now !== undefined) {
    const t = Date.parse(flags.now);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(flags.now) || Number.isNaN(t)) throw new FlagError('--now', `not an instant: "${flags.now}" (expected e.g. 2026-01-01T06:00:00Z)`);
    if (!flags.once && !flags.dryRun) throw new FlagError('--now', 'only with --once or --dry-run (a running scheduler follows the real clock)');
    clock = () => new Date(t);
  }
  const logger = createLogger({ level: flags.logLevel ?? (flags.once || flags.dryRun ? 'warn' : config.log.level), pretty: config.log.pretty });
  const store = openUsageStore(config, flags.store, logger, { readers: PERIOD_READERS });
  if (flags.dryRun) {
    try {
      await printDueWork({ store, catalog, billing, ledgerFile: ledgerPath(config), now: clock() });
    } finally {
      await store.close();
    }
    return;
  }
  const ledger = Ledger.open(ledgerPath(config));
  const onStep = testHooks();
  const deps = { ledger, store, catalog, billing, log: logger, now: clock, renderOptions: letterheadLogo, ...(onStep ? { onStep } : {}), ...(batchSize ? { batchSize } : {}) };
  try {
    if (flags.once) {
      const r = await billDue(deps, new SchedulerLease(ledger, leaseHolderId(), billing.schedule.leaseMs));
      if (r.status === 'busy') {
        process.stderr.write(`bill schedule: another scheduler (${r.holder}) holds the lease until ${new Date(r.expiresAt).toISOString()}; nothing billed\n`);
        process.exitCode = 3;
        return;
      }
      for (const run of r.runs) {
        for (const f of run.finalized) process.stdout.write(`${f.number}  ${f.customerId}  ${run.period}  ${formatMoney(f.total, f.currency)} ${f.currency}\n`);
      }
      process.stdout.write(`schedule: ${r.runs.reduce((n, run) => n + run.finalized.length, 0)} finalized in ${r.runs.length} period(s)\n`);
      if (r.deliveries) process.stdout.write(`${deliverySummary(r.deliveries)}\n`);
      return;
    }
    // The first-period guard fails the start (exit 1), not a tick the daemon would log and retry for ever.
    await dueWork(deps, clock().getTime());
    await runScheduler(deps, logger);
  } finally {
    ledger.close();
    await store.close();
  }
}

/** `bill schedule --dry-run`: the periods and customers the scheduler would bill now, read from a read-only ledger. */
async function printDueWork(o: { store: ReturnType<typeof openUsageStore>; catalog: Catalog; billing: BillingConfig; ledgerFile: string; now: Date }): Promise<void> {
  const { reader, close } = openLedgerForReading(o.ledgerFile);
  try {
    const due = await dueWork({ store: o.store, catalog: o.catalog, billing: o.billing, ledger: reader }, o.now.getTime());
    for (const [period, ids] of due) process.stdout.write(`${period}  ${ids.length} customer(s): ${ids.join(', ')}\n`);
    const n = [...due.values()].reduce((k, ids) => k + ids.length, 0);
    process.stdout.write(`dry run: ${n} invoice(s) would be finalized in ${due.size} period(s)${o.billing.schedule.firstPeriod ? ` (from billing.schedule.firstPeriod ${o.billing.schedule.firstPeriod})` : ''}; nothing was written\n`);
  } finally {
    close();
  }
}

/** One line per channel, as `invoices send|push` count them. */
function deliverySummary(r: DeliveryPassReport): string {
  const lines: string[] = [];
  for (const channel of ['email', 'webhook'] as const) {
    const mine = r.outcomes.filter((o) => o.delivery.channel === channel);
    const n = (s: DeliveryOutcome['status']) => mine.filter((o) => o.status === s).length;
    const missing = channel === 'email' && r.withoutAddress.length > 0 ? `, ${r.withoutAddress.length} without an address` : '';
    if (mine.length > 0 || missing) lines.push(`${channel}: ${n('delivered')} delivered, ${n('retry') + n('skipped')} waiting, ${n('dead')} dead${missing}`);
  }
  return lines.length > 0 ? lines.join('\n') : 'deliveries: nothing to send';
}

async function runScheduler(deps: ConstructorParameters<typeof BillingScheduler>[0], logger: Logger): Promise<void> {
  const scheduler = new BillingScheduler(deps);
  scheduler.start();
  logger.info('billing scheduler started');
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void scheduler.stop().then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

export async function runBillCharge(flags: BillChargeFlags): Promise<void> {
  const config = resolveConfig(flags);
  const catalog = loadCatalogFor(config, flags);
  const customer = catalog.customers.find((c) => c.id === flags.customer);
  if (!customer) throw new FlagError('--customer', `unknown customer "${flags.customer}" (expected an id from the customers file)`);
  if (!DECIMAL_TEXT.test(flags.amount)) throw new FlagError('--amount', `not an amount: "${flags.amount}" (expected a decimal such as 75.00)`);
  if (!catalog.taxes.categories.includes(flags.taxCategory)) throw new FlagError('--tax-category', `unknown category "${flags.taxCategory}" (expected one of ${catalog.taxes.categories.join(', ')})`);
  const ledger = Ledger.open(ledgerPath(config));
  try {
    const r = ledger.addPendingCharge({ id: flags.id, customerId: customer.id, description: flags.description, amount: dec(flags.amount), taxCategory: flags.taxCategory }, new Date());
    process.stdout.write(`${r === 'added' ? 'added' : 'already waiting'}: ${flags.id} ${customer.id} ${flags.amount} ${customer.currency} (billed on the next run)\n`);
  } finally {
    ledger.close();
  }
}
