// What a customer's page shows, read from the catalog, one store query and the ledger: no HTML here.
import type { Catalog, Customer } from '../config/catalog-schema.js';
import type { InvoiceBalance } from '../billing-export/ledger/ledger.js';
import { BYTES_PER_UNIT, type ByteUnit } from '../rating/bytes.js';
import { billingPeriod, localParts, parseInstant, type Period } from '../rating/calendar.js';
import { formatMoney } from '../rating/money.js';
import { piecesOf } from '../rating/proration.js';
import { subscribersOf } from '../rating/rate.js';
import { dailyUsage, localDays, readBillingUsage } from '../billing-export/run/daily-usage.js';
import type { UsageStore } from '../store/usage-store.js';

export interface Quota {
  planName: string;
  /** Allowance in bytes per full period, from the plan's quota_overage charge `included`. */
  bytes: bigint;
  unit: ByteUnit;
  /** Which traffic counts against it, as the charge counts it. */
  direction: 'down' | 'up' | 'both';
}

export interface DayUsage {
  /** YYYY-MM-DD in the customer's zone. */
  date: string;
  bytesDown: bigint;
  bytesUp: bigint;
}

export interface InvoiceEntry {
  number: string;
  kind: 'invoice' | 'credit_note';
  period: string;
  total: string;
  currency: string;
  status: InvoiceBalance['status'];
}

export interface CustomerView {
  customerId: string;
  name: string;
  timezone: string;
  periodLabel: string;
  period: Period;
  /** The previous period's label, for the "earlier" link; undefined before the first subscription started. */
  previousLabel: string | undefined;
  current: boolean;
  subscribers: string[];
  bytesDown: bigint;
  bytesUp: bigint;
  quota: Quota | undefined;
  days: DayUsage[];
  invoices: InvoiceEntry[];
}

/** The "YYYY-MM" billing period an instant falls in, for a billing day and zone. */
export function periodLabelAt(ms: number, billingDay: number, tz: string): string {
  const p = localParts(ms, tz);
  const months = p.year * 12 + (p.month - 1) - (p.day >= billingDay ? 0 : 1);
  return `${Math.floor(months / 12)}-${String((months % 12) + 1).padStart(2, '0')}`;
}

export function previousPeriodLabel(label: string): string {
  const [y, m] = label.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** The quota of the plan the customer is on at `at` (its first quota_overage charge), if any. */
export function quotaAt(catalog: Catalog, c: Customer, period: Period, at: number): Quota | undefined {
  for (const sub of c.subscriptions) {
    const piece = piecesOf(sub, period, c.timezone).find((p) => p.from <= at && at < p.to);
    const plan = piece?.planId === undefined ? undefined : catalog.plans.get(piece.planId);
    const charge = plan?.charges.find((ch) => ch.model === 'quota_overage');
    if (!plan || !charge || charge.model !== 'quota_overage') continue;
    const bytes = BigInt(charge.included.mul(BYTES_PER_UNIT[charge.unit].toString()).round(0, 0).toFixed(0));
    return { planName: plan.name, bytes, unit: charge.unit, direction: charge.usage.direction };
  }
  return undefined;
}

/** Bytes counted against a quota. */
export function countedBytes(q: Quota, down: bigint, up: bigint): bigint {
  return q.direction === 'down' ? down : q.direction === 'up' ? up : down + up;
}

/**
 * The period's usage per local day, counted as the customer's invoice counts it: read as the billing run reads it
 * and summed by the same dailyUsage, so with RADIUS and NetFlow both in the store a subscriber's traffic counts
 * once (the plan's source precedence), not once per source. Days without traffic up to `until` show as zero.
 */
export async function readDays(store: UsageStore, catalog: Catalog, c: Customer, period: Period, until: number): Promise<DayUsage[]> {
  const days = new Map<string, DayUsage>();
  const end = Math.min(period.to, until);
  for (const d of localDays(period, c.timezone)) if (d.start < end) days.set(d.date, { date: d.date, bytesDown: 0n, bytesUp: 0n });
  if (subscribersOf(c).length > 0) {
    for (const d of dailyUsage(await readBillingUsage(store, catalog, c, period), period, c.timezone)) days.set(d.date, d);
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

export async function buildView(
  input: { catalog: Catalog; store: UsageStore; invoices: (customerId: string) => InvoiceBalance[] },
  c: Customer,
  nowMs: number,
  requestedLabel: string | undefined,
): Promise<CustomerView> {
  const currentLabel = periodLabelAt(nowMs, c.billingDay, c.timezone);
  const periodLabel = requestedLabel ?? currentLabel;
  const period = billingPeriod(periodLabel, c.billingDay, c.timezone);
  const current = periodLabel === currentLabel;
  const days = await readDays(input.store, input.catalog, c, period, current ? nowMs : period.to);
  const bytesDown = days.reduce((s, d) => s + d.bytesDown, 0n);
  const bytesUp = days.reduce((s, d) => s + d.bytesUp, 0n);
  const previousLabel = previousPeriodLabel(periodLabel);
  const firstService = Math.min(...c.subscriptions.map((s) => parseInstant(s.start, c.timezone)));
  return {
    customerId: c.id,
    name: c.legalName,
    timezone: c.timezone,
    periodLabel,
    period,
    previousLabel: billingPeriod(previousLabel, c.billingDay, c.timezone).to > firstService ? previousLabel : undefined,
    current,
    subscribers: subscribersOf(c),
    bytesDown,
    bytesUp,
    quota: quotaAt(input.catalog, c, period, current ? nowMs : period.to - 1),
    days,
    invoices: input.invoices(c.id).map((b) => ({
      number: b.number, kind: b.kind, period: b.period, total: formatMoney(b.total, b.currency as Parameters<typeof formatMoney>[1]), currency: b.currency, status: b.status,
    })),
  };
}
