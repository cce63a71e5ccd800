// Scheduled billing: each customer's period is billed on their billing day, at `schedule.at` in their zone (croner).
// Every tick bills every period that is due and not yet invoiced, oldest first, so downtime is caught up in order.
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Catalog, Customer } from '../../config/catalog-schema.js';
import { billingPeriod, parseInstant, periodIndex } from '../../rating/calendar.js';
import type { UsageStore } from '../../store/usage-store.js';
import type { BillingConfig } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import type { InvoiceDocument } from '../document.js';
import type { HtmlOptions } from '../render/index.js';
import { type BillingRunReport, runBilling } from './billing-run.js';
import { type DeliveryPassReport, deliverScheduled, scheduledChannels } from './schedule-delivery.js';
import { leaseHolderId, SchedulerLease } from './schedule-lease.js';

/** At most this many periods are looked back over: a schedule is not a way to bill decades of history. */
const MAX_PERIODS = 120;

const label = (index: number) => `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
const indexOf = (l: string) => Number(l.slice(0, 4)) * 12 + Number(l.slice(5, 7)) - 1;

const crons = new Map<string, Cron>();

/** The croner job of a customer's billing moment: minute hour billing-day, every month, in their zone (paused). */
export function billingCron(c: Pick<Customer, 'billingDay' | 'timezone'>, at: string): Cron {
  const [hh, mm] = at.split(':').map(Number) as [number, number];
  return new Cron(`${mm} ${hh} ${c.billingDay} * *`, { timezone: c.timezone, paused: true });
}

/** One paused job per (day, time, zone), only asked for next runs: catch-up asks it once per customer and period. */
function cachedCron(c: Customer, at: string): Cron {
  const key = `${c.billingDay} ${at} ${c.timezone}`;
  let job = crons.get(key);
  if (!job) crons.set(key, (job = billingCron(c, at)));
  return job;
}

/** When a period of the customer is due: the first billing moment at or after the period's end. */
export function dueAt(c: Customer, period: string, at: string): number {
  const end = billingPeriod(period, c.billingDay, c.timezone).to;
  const next = cachedCron(c, at).nextRun(new Date(end - 1));
  if (!next) throw new Error(`schedule: no billing moment after ${new Date(end).toISOString()} for ${c.id}`);
  return next.getTime();
}

/**
 * Periods of the customer due by `now`, oldest first: from `firstPeriod` (or the period of the first subscription's
 * start) to the last whose billing moment has passed, skipping periods with no subscription in service.
 */
export function duePeriods(c: Customer, now: number, at: string, firstPeriod?: string): string[] {
  if (c.subscriptions.length === 0) return [];
  const starts = c.subscriptions.map((s) => parseInstant(s.start, c.timezone));
  const ends = c.subscriptions.map((s) => (s.end === undefined ? Infinity : parseInstant(s.end, c.timezone)));
  let i = firstPeriod ? indexOf(firstPeriod) : periodIndex(Math.min(...starts), c.billingDay, c.timezone);
  const latest = periodIndex(now, c.billingDay, c.timezone);
  i = Math.max(i, latest - MAX_PERIODS);
  const out: string[] = [];
  for (; i <= latest; i++) {
    const p = label(i);
    if (dueAt(c, p, at) > now) break;
    const { from, to } = billingPeriod(p, c.billingDay, c.timezone);
    if (starts.some((s, k) => s < to && ends[k]! > from)) out.push(p);
  }
  return out;
}

export interface ScheduleDeps {
  ledger: Ledger;
  store: UsageStore;
  catalog: Catalog;
  billing: BillingConfig;
  log: Logger;
  /** The clock; tests pin it with --now. */
  now: () => Date;
  /** Invoices finalized per transaction (default 100). */
  batchSize?: number;
  /** Called after each committed step of a run, once the lease is renewed (tests kill the process here). */
  onStep?: (step: 'drafted' | 'finalized', count: number) => void;
  /** Render options of a document for the e-mail (the letterhead logo). */
  renderOptions?: (doc: InvoiceDocument) => HtmlOptions;
}

export type TickResult =
  /** `deliveries`: the delivery pass after billing, when billing.schedule.deliver asks for one. */
  | { status: 'billed'; runs: BillingRunReport[]; deliveries?: DeliveryPassReport }
  | { status: 'busy'; holder: string; expiresAt: number };

/** One delivery pass under the lease, renewed before each attempt. */
function deliveryPass(deps: ScheduleDeps, lease: SchedulerLease): Promise<DeliveryPassReport> {
  return deliverScheduled({
    ledger: deps.ledger, catalog: deps.catalog, billing: deps.billing, log: deps.log, now: deps.now,
    ...(deps.renderOptions ? { renderOptions: deps.renderOptions } : {}),
    beforeEach: () => {
      if (!lease.renew(deps.now().getTime())) throw new Error('schedule: the scheduler lease was lost (another scheduler took over); stopping');
    },
  });
}

/** Delivers what waits (billing.schedule.deliver) under the scheduler lease, between billing moments. */
export async function deliverDue(deps: ScheduleDeps, lease: SchedulerLease): Promise<{ status: 'delivered'; deliveries: DeliveryPassReport } | { status: 'busy'; holder: string; expiresAt: number }> {
  const got = lease.acquire(deps.now().getTime());
  if (!got.ok) return { status: 'busy', holder: got.held.holder, expiresAt: got.held.expiresAt };
  try {
    return { status: 'delivered', deliveries: await deliveryPass(deps, lease) };
  } finally {
    lease.release();
  }
}

/** The scheduler's inputs that say what is due: enough for a dry run, which opens the ledger read-only. */
export type DueDeps = Pick<ScheduleDeps, 'store' | 'catalog' | 'billing'> & { ledger: Pick<Ledger, 'finalizedCustomers' | 'hasInvoices'> };

/** Thrown before anything is billed when billing.schedule.firstPeriod is needed and missing. */
export class FirstPeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirstPeriodError';
  }
}

/**
 * Every due, not yet invoiced (period → customer ids), oldest period first. On a ledger that never held an invoice,
 * with usage in the store before the latest due period and no billing.schedule.firstPeriod, it refuses: a first start
 * on a data dir with history would otherwise finalize an invoice for every past month, and finalized is for ever.
 */
export async function dueWork(deps: DueDeps, now: number): Promise<Map<string, string[]>> {
  const due = new Map<string, string[]>();
  for (const c of deps.catalog.customers) {
    for (const p of duePeriods(c, now, deps.billing.schedule.at, deps.billing.schedule.firstPeriod)) {
      const list = due.get(p) ?? [];
      list.push(c.id);
      due.set(p, list);
    }
  }
  const periods = [...due.keys()].sort();
  if (deps.billing.schedule.firstPeriod === undefined && periods.length > 1 && !deps.ledger.hasInvoices()) {
    const latest = periods.at(-1)!;
    const older = await usageBefore(deps, periods[0]!, latest);
    if (older) {
      const past = periods.slice(0, -1).reduce((n, p) => n + due.get(p)!.length, 0);
      throw new FirstPeriodError(
        `bill schedule: the ledger is empty and the store holds usage before ${latest} (${older}); without billing.schedule.firstPeriod ` +
        `the scheduler would finalize ${past} invoice(s) for ${periods.length - 1} past period(s) (${periods[0]} to ${periods.at(-2)}), and finalized invoices cannot be undone. ` +
        `Set billing.schedule.firstPeriod to the first period to bill (e.g. "${latest}"); bill older periods on purpose with \`bill run --period\`, or see them with \`bill schedule --dry-run\``,
      );
    }
  }
  const out = new Map<string, string[]>();
  for (const period of periods) {
    const done = deps.ledger.finalizedCustomers(period);
    const customerIds = due.get(period)!.filter((id) => !done.has(id));
    if (customerIds.length > 0) out.set(period, customerIds);
  }
  return out;
}

/** The first subscriber with usage from `first`'s start to `latest`'s start (earliest zone of all customers), as text. */
async function usageBefore(deps: DueDeps, first: string, latest: string): Promise<string | undefined> {
  const starts = (p: string) => Math.min(...deps.catalog.customers.map((c) => billingPeriod(p, c.billingDay, c.timezone).from));
  const { rows } = await deps.store.queryUsage({ from: starts(first), to: starts(latest) });
  const used = rows.find((r) => r.bytesDown + r.bytesUp > 0n);
  return used ? `e.g. ${used.subscriber}: ${used.bytesDown + used.bytesUp} bytes from ${first} to ${latest}` : undefined;
}

/**
 * Bills every due, not yet invoiced (customer, period), oldest period first, under the scheduler lease. One billing
 * run per period, for the customers due in it. Then, when billing.schedule.deliver asks, sends and pushes what the
 * scheduled runs finalized and retries what is due.
 */
export async function billDue(deps: ScheduleDeps, lease: SchedulerLease): Promise<TickResult> {
  const start = deps.now().getTime();
  const got = lease.acquire(start);
  if (!got.ok) return { status: 'busy', holder: got.held.holder, expiresAt: got.held.expiresAt };
  const runs: BillingRunReport[] = [];
  try {
    for (const [period, customerIds] of await dueWork(deps, start)) {
      deps.log.info({ period, customers: customerIds.length }, 'billing a due period');
      runs.push(await runBilling(
        { store: deps.store, catalog: deps.catalog, billing: deps.billing, log: deps.log, ledger: deps.ledger, now: deps.now },
        {
          period, customerIds, trigger: 'schedule', ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
          onStep: (step, count) => {
            if (!lease.renew(deps.now().getTime())) throw new Error('schedule: the scheduler lease was lost (another scheduler took over); stopping');
            deps.onStep?.(step, count);
          },
        },
      ));
    }
    if (scheduledChannels(deps.billing).length > 0) return { status: 'billed', runs, deliveries: await deliveryPass(deps, lease) };
  } finally {
    lease.release();
  }
  return { status: 'billed', runs };
}

/**
 * The long-running scheduler: catches up at start, then wakes at every customer's billing moment (one croner job
 * per distinct billing day, time and zone) and bills what is due. stop() stops the jobs and waits for a running tick.
 */
export class BillingScheduler {
  private readonly jobs: Cron[] = [];
  private retry: NodeJS.Timeout | undefined;
  private deliveries: NodeJS.Timeout | undefined;
  private deliveryQueued = false;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly lease: SchedulerLease;

  constructor(private readonly deps: ScheduleDeps) {
    this.lease = new SchedulerLease(deps.ledger, leaseHolderId(), deps.billing.schedule.leaseMs);
  }

  start(): void {
    const patterns = new Map<string, Customer>();
    for (const c of this.deps.catalog.customers) patterns.set(`${c.billingDay} ${c.timezone}`, c);
    for (const c of patterns.values()) {
      const job = billingCron(c, this.deps.billing.schedule.at);
      job.schedule(() => void this.tick());
      // Created paused (catch-up only asks paused jobs for their next run): this one must fire.
      job.resume();
      this.jobs.push(job);
    }
    if (scheduledChannels(this.deps.billing).length > 0) {
      // Retries come due between billing moments (minutes to hours apart): look for them every retryEveryMs.
      this.deliveries = setInterval(() => void this.deliverTick(), this.deps.billing.schedule.deliver.retryEveryMs);
      this.deliveries.unref();
    }
    void this.tick();
  }

  /** The next billing moment the scheduler wakes at, over all its jobs (undefined when it has none running). */
  nextWake(): Date | undefined {
    const next = this.jobs.filter((j) => j.isRunning()).map((j) => j.nextRun()).filter((d): d is Date => d !== null);
    return next.length === 0 ? undefined : new Date(Math.min(...next.map((d) => d.getTime())));
  }

  /** Runs one catch-up, after any running one; never two at once in this process. */
  tick(): Promise<void> {
    this.running = this.running.then(async () => {
      if (this.stopped) return;
      try {
        const r = await billDue(this.deps, this.lease);
        if (r.status === 'busy') {
          this.deps.log.info({ holder: r.holder, until: new Date(r.expiresAt).toISOString() }, 'another scheduler holds the lease; standing by');
          // Try again once the lease could have expired, so a standby takes over when the holder dies.
          clearTimeout(this.retry);
          this.retry = setTimeout(() => void this.tick(), Math.max(1000, r.expiresAt - this.deps.now().getTime() + 1000));
          this.retry.unref();
        }
      } catch (err) {
        this.deps.log.error({ err }, 'scheduled billing failed; will retry at the next tick');
      }
    });
    return this.running;
  }

  /** One delivery pass (sends and pushes due), after any running tick; a busy lease means another scheduler does it. */
  deliverTick(): Promise<void> {
    // A pass longer than retryEveryMs (thousands of e-mails) must not queue up one more pass per interval.
    if (this.deliveryQueued) return this.running;
    this.deliveryQueued = true;
    this.running = this.running.then(async () => {
      this.deliveryQueued = false;
      if (this.stopped) return;
      try {
        const r = await deliverDue(this.deps, this.lease);
        if (r.status === 'busy') this.deps.log.debug({ holder: r.holder }, 'another scheduler holds the lease; it delivers');
      } catch (err) {
        this.deps.log.error({ err }, 'scheduled delivery failed; will retry at the next tick');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.deliveries);
    for (const j of this.jobs.splice(0)) j.stop();
    await this.running;
  }
}
