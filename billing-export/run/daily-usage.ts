// The usage a billing run reads, and its daily sums for the invoice's small chart in the customer's zone.
import type { Catalog, Customer } from '../../config/catalog-schema.js';
import { localParts, type Period, zonedToUtc } from '../../rating/calendar.js';
import { readCustomerUsage, usagePerSourceFor, usageStepFor } from '../../rating/rate.js';
import type { Step, UsageStore } from '../../store/usage-store.js';
import { ALL_SOURCES, type CustomerUsage, type UsageGrain, type UsageRow } from '../../rating/usage.js';
import type { DailyUsage } from '../document.js';

/**
 * The step a billing run reads usage at: rating's own grain when it has buckets, and when rating needs only
 * totals, buckets that still fall on local midnights (hours, or 5 minutes in zones off the whole hour such as
 * India), so the daily chart can be drawn from the same rows rating reads (rating gives the same fees from them).
 */
function billingReadStep(grain: UsageGrain, period: { from: number }, timezone: string): Step {
  if (grain !== 'total') return grain;
  return localParts(period.from, timezone).minute === new Date(period.from).getUTCMinutes() ? '1h' : '5m';
}

/**
 * A customer's usage for one period as a billing run reads it (billingReadStep). Everything that re-rates a billed
 * period (late usage, reconciliation) reads it the same way, so unchanged usage counts the same bytes even at a
 * subscription cut inside an hour.
 */
export function readBillingUsage(store: UsageStore, catalog: Catalog, c: Customer, period: Period): Promise<CustomerUsage> {
  const step = billingReadStep(usageStepFor(catalog, c, period), period, c.timezone);
  return readCustomerUsage(store, c, period, step, usagePerSourceFor(catalog, c, period));
}

/**
 * Sums the rows per local day of [from, to). Rows read once per source (source precedence) would count a
 * subscriber's traffic once per source, so for each subscriber only the first source with rows (radius, netflow,
 * snmp, routeros) counts.
 */
export function dailyUsage(usage: CustomerUsage, period: { from: number; to: number }, timezone: string): DailyUsage[] {
  const chosen = new Map<string, UsageRow['source']>();
  for (const source of ALL_SOURCES) {
    for (const r of usage.rows) if (r.source === source && !chosen.has(r.subscriber)) chosen.set(r.subscriber, source);
  }
  // Local midnights once per day (a month of 5-minute rows is ~9,000 rows; the zone is asked ~31 times, not per row).
  const days = localDays(period, timezone);
  const down = new Array<bigint>(days.length).fill(0n);
  const up = new Array<bigint>(days.length).fill(0n);
  const used = new Array<boolean>(days.length).fill(false);
  for (const r of usage.rows) {
    if (r.source !== undefined && chosen.get(r.subscriber) !== r.source) continue;
    const i = dayIndex(days, r.time);
    if (i < 0) continue;
    down[i]! += r.bytesDown;
    up[i]! += r.bytesUp;
    used[i] = true;
  }
  return days.flatMap((d, i) => (used[i] ? [{ date: d.date, bytesDown: down[i]!, bytesUp: up[i]! }] : []));
}

export interface LocalDay {
  date: string;
  /** UTC ms of the local midnight that starts the day. */
  start: number;
}

/** The local days of [from, to) in `tz`: each with its date and the UTC instant of its midnight. */
export function localDays(period: { from: number; to: number }, tz: string): LocalDay[] {
  const out: LocalDay[] = [];
  const p = localParts(period.from, tz);
  let day = Date.UTC(p.year, p.month - 1, p.day);
  for (let guard = 0; guard < 400; guard++, day += 86_400_000) {
    const d = new Date(day);
    const start = zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, 0, tz);
    if (start >= period.to) break;
    out.push({ date: d.toISOString().slice(0, 10), start });
  }
  return out;
}

/** The day a bucket starting at `time` falls in (binary search over the midnights), or -1 before the first. */
function dayIndex(days: readonly LocalDay[], time: number): number {
  let lo = 0;
  let hi = days.length - 1;
  if (hi < 0 || time < days[0]!.start) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (days[mid]!.start <= time) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
