// Revenue assurance: what each source saw per subscriber, what nobody is billed for, what is billed for nothing,
// and invoices whose usage evidence the store no longer agrees with. Reads through UsageStore, like rating.
import type { Catalog, Customer } from '../config/catalog-schema.js';
import type { InvoiceDocument } from '../billing-export/document.js';
import { readBillingUsage } from '../billing-export/run/daily-usage.js';
import type { Period } from '../rating/calendar.js';
import { customerPeriod, rateCustomer, subscribersOf } from '../rating/rate.js';
import { piecesOf } from '../rating/proration.js';
import { ALL_SOURCES, type UsageSourceName } from '../rating/usage.js';
import type { UsageStore } from '../store/usage-store.js';
import { RADIUS_SCOPE, topUnattributedAddresses, UNATTRIBUTED_SCOPE, unstoppedSessions, type UnattributedAddresses, type UnstoppedSession } from './collector-evidence.js';

/** Pseudo-subscribers the NetFlow collector keeps traffic under that belongs to no one (collectors/netflow). */
export const PSEUDO_SUBSCRIBERS: readonly string[] = ['(unattributed)', '(internal)'];

export interface Bytes {
  down: bigint;
  up: bigint;
}

export interface SubscriberLine {
  customerId: string;
  subscriber: string;
  bySource: Partial<Record<UsageSourceName, Bytes>>;
  /** (largest − smallest) / largest of the sources' down + up totals, in percent; undefined with fewer than two sources. */
  deviationPct?: number;
  flagged: boolean;
}

export interface ReconcileReport {
  period: string;
  thresholdPct: number;
  /** Every customer identity that any source saw, with its totals per source. */
  subscribers: SubscriberLine[];
  /** Identities with usage that no customer of the catalog claims (a leaked or unconfigured subscriber). */
  unknownUsage: { subscriber: string; bytes: Bytes; sources: UsageSourceName[] }[];
  /** Customers with usage in their period but no subscription in service in it. */
  usageWithoutService: { customerId: string; bytes: Bytes }[];
  /** Subscriptions in service during the period whose customer shows no usage at all. */
  idleSubscriptions: { customerId: string; subscriptionId: string }[];
  /** Traffic the flow collector could tie to no subscriber, or to two at once. */
  unattributed: { subscriber: string; bytes: Bytes }[];
  /** Finalized invoices whose usage fees counted other bytes than the store now holds for them. */
  invoiceMismatches: { number: string; customerId: string; billedBytes: bigint; storeBytes: bigint }[];
  /** RADIUS sessions no Stop ended that went silent (collector-evidence.ts has the definition); with the customer claiming the subscriber. */
  unstoppedSessions: (UnstoppedSession & { customerId?: string })[];
  /** The addresses behind the unattributed flows; undefined when the NetFlow collector kept none for the period. */
  unattributedAddresses?: UnattributedAddresses;
  staleAfterMs: number;
  notes: string[];
}

export interface ReconcileOptions {
  period: string;
  /** Deviation between sources above which a subscriber is flagged, in percent (default 5). */
  thresholdPct?: number;
  /** The finalized invoice of a customer for the period, when a ledger is there. */
  invoiceOf?: (customerId: string) => InvoiceDocument | undefined;
  /** The collectors' spool state (readSpoolState), for unstopped sessions and unattributed addresses; not checked without. */
  collectorState?: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  /** A session silent this long is reported as never stopped (default 1 h: set it to twice the NAS's interim interval). */
  staleAfterMs?: number;
  /** How many unattributed addresses to list (default 10). */
  topAddresses?: number;
  /** The time of the report (default now): sessions are judged as of the period's end or now, whichever is earlier. */
  now?: number;
}

export const DEFAULT_STALE_AFTER_MS = 3_600_000;

const ZERO: Bytes = { down: 0n, up: 0n };
const add = (a: Bytes, b: Bytes): Bytes => ({ down: a.down + b.down, up: a.up + b.up });
const total = (b: Bytes) => b.down + b.up;

/** Bytes per subscriber and source over [from, to), one store query per source. */
async function bySubscriberAndSource(store: UsageStore, range: Period): Promise<Map<string, Partial<Record<UsageSourceName, Bytes>>>> {
  const out = new Map<string, Partial<Record<UsageSourceName, Bytes>>>();
  for (const source of ALL_SOURCES) {
    const answer = await store.queryUsage({ from: range.from, to: range.to, sources: [source] });
    for (const r of answer.rows) {
      const m = out.get(r.subscriber) ?? {};
      m[source] = add(m[source] ?? ZERO, { down: r.bytesDown, up: r.bytesUp });
      out.set(r.subscriber, m);
    }
  }
  return out;
}

/** (max − min) / max of the nonzero-or-present sources, in percent, to two decimals. */
export function deviationPct(bySource: Partial<Record<UsageSourceName, Bytes>>): number | undefined {
  const totals = Object.values(bySource).map(total);
  if (totals.length < 2) return undefined;
  const max = totals.reduce((a, b) => (a > b ? a : b));
  const min = totals.reduce((a, b) => (a < b ? a : b));
  if (max === 0n) return 0;
  // Basis points in bigint, then to a number: exact for any byte count.
  return Number(((max - min) * 10_000n) / max) / 100;
}

function inService(c: Customer, period: Period): { subscriptionId: string }[] {
  return c.subscriptions
    .filter((s) => piecesOf(s, period, c.timezone).some((p) => p.planId !== undefined))
    .map((s) => ({ subscriptionId: s.id }));
}

/** Σ bytes counted by the usage fees of an invoice, as finalized or as rated now. */
const countedBytes = (lines: readonly { evidence?: { bytesCounted: bigint } }[]) => lines.reduce((n, l) => n + (l.evidence?.bytesCounted ?? 0n), 0n);

export async function reconcile(store: UsageStore, catalog: Catalog, options: ReconcileOptions): Promise<ReconcileReport> {
  const threshold = options.thresholdPct ?? 5;
  const report: ReconcileReport = {
    period: options.period, thresholdPct: threshold, subscribers: [], unknownUsage: [], usageWithoutService: [], idleSubscriptions: [], unattributed: [], invoiceMismatches: [],
    unstoppedSessions: [], staleAfterMs: options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS, notes: [],
  };
  const customers = [...catalog.customers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Customers' periods differ by billing day and zone: one read per distinct period.
  const reads = new Map<string, Promise<Map<string, Partial<Record<UsageSourceName, Bytes>>>>>();
  const read = (p: Period) => {
    const key = `${p.from}-${p.to}`;
    let r = reads.get(key);
    if (!r) reads.set(key, (r = bySubscriberAndSource(store, p)));
    return r;
  };

  const claimed = new Map<string, string>();
  for (const c of customers) {
    const period = customerPeriod(c, options.period);
    const usage = await read(period);
    let customerBytes = ZERO;
    for (const subscriber of subscribersOf(c)) {
      if (!claimed.has(subscriber)) claimed.set(subscriber, c.id);
      const bySource = usage.get(subscriber);
      if (!bySource) continue;
      const dev = deviationPct(bySource);
      report.subscribers.push({ customerId: c.id, subscriber, bySource, ...(dev === undefined ? {} : { deviationPct: dev }), flagged: dev !== undefined && dev > threshold });
      for (const b of Object.values(bySource)) customerBytes = add(customerBytes, b);
    }
    const service = inService(c, period);
    if (total(customerBytes) > 0n && service.length === 0) report.usageWithoutService.push({ customerId: c.id, bytes: customerBytes });
    if (total(customerBytes) === 0n) for (const s of service) report.idleSubscriptions.push({ customerId: c.id, subscriptionId: s.subscriptionId });

    const invoice = options.invoiceOf?.(c.id);
    if (invoice) {
      const rated = rateCustomer(catalog, c, options.period, await readBillingUsage(store, catalog, c, period));
      const billed = countedBytes(invoice.lines.filter((l) => l.kind !== 'adjustment'));
      const now = countedBytes(rated.fees);
      if (billed !== now) report.invoiceMismatches.push({ number: invoice.number, customerId: c.id, billedBytes: billed, storeBytes: now });
    }
  }

  // Identities nobody claims, over the calendar month in UTC (customers' own periods differ; this is the NOC's view).
  const [y, m] = options.period.split('-').map(Number) as [number, number];
  const month = { from: Date.UTC(y, m - 1, 1), to: Date.UTC(y, m, 1) };
  for (const [subscriber, bySource] of [...(await read(month))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const bytes = Object.values(bySource).reduce(add, ZERO);
    if (PSEUDO_SUBSCRIBERS.includes(subscriber)) report.unattributed.push({ subscriber, bytes });
    else if (!claimed.has(subscriber)) report.unknownUsage.push({ subscriber, bytes, sources: ALL_SOURCES.filter((s) => bySource[s]) });
  }
  report.notes.push(`Sources compared per identity over each customer's own period; unknown and unattributed usage, sessions and addresses over ${options.period} in UTC.`);

  const state = options.collectorState;
  if (!state) {
    report.notes.push('No collector state was read (no spool in the data dir): RADIUS sessions never stopped and unattributed addresses are not checked.');
    return report;
  }
  const asOf = Math.min(options.now ?? Date.now(), month.to);
  for (const s of unstoppedSessions(state.get(RADIUS_SCOPE) ?? new Map(), month, asOf, report.staleAfterMs)) {
    const customerId = claimed.get(s.subscriber);
    report.unstoppedSessions.push(customerId === undefined ? s : { ...s, customerId });
  }
  const addresses = topUnattributedAddresses(state.get(UNATTRIBUTED_SCOPE) ?? new Map(), month, options.topAddresses ?? 10);
  if (addresses.days > 0) {
    report.unattributedAddresses = addresses;
    report.notes.push(
      `Unattributed addresses over the ${addresses.days} day(s) the NetFlow collector kept them for; a flow counts for both its ends, so an address's share is of all unattributed bytes and the shares add up to more than 100 %` +
        (addresses.maxError > 0n ? `; a count may be short by up to ${addresses.maxError} bytes (more distinct addresses than the collector holds).` : '; the counts are exact.'),
    );
  }
  return report;
}
