// Usage as rating sees it: store rows for a customer's identities, filtered by span, direction, source, class and time window.
import type { UsageFilterSpec, TimeWindowSpec } from '../config/catalog-schema.js';
import type { Step, UsageTotal } from '../store/usage-store.js';
import { localParts, type Period } from './calendar.js';
import type { UsageEvidence } from './fee.js';

export type UsageSourceName = 'radius' | 'netflow' | 'snmp' | 'routeros';

export const ALL_SOURCES: readonly UsageSourceName[] = ['radius', 'netflow', 'snmp', 'routeros'];

/**
 * A usage row: a store row (with `class` when read byClass), tagged with the source it was read for when the
 * customer's charges need source precedence (one store query per source); untagged rows are all sources summed.
 */
export interface UsageRow extends UsageTotal {
  source?: UsageSourceName;
}

/**
 * How finely usage is read: store buckets, or 'total': one sum per segment of the period (the stretches between
 * subscription starts, ends, plan changes and suspensions), all that charges without time windows or percentile
 * need. A total is attributed to its segment's start, so span filters still place it exactly.
 */
export type UsageGrain = Step | 'total';

/** The usage of one customer for one billing period, as read from a store. */
export interface CustomerUsage {
  store: string;
  step: UsageGrain;
  queries: string[];
  subscribers: string[];
  rows: readonly UsageRow[];
}

const DAY_INDEX: Record<TimeWindowSpec['days'][number], number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when a bucket starting at `ms` lies in the window, judged by its local wall clock (so DST nights count as lived). */
export function inWindow(ms: number, w: TimeWindowSpec, tz: string): boolean {
  const p = localParts(ms, tz);
  const m = p.hour * 60 + p.minute;
  const from = minutes(w.from);
  const to = minutes(w.to);
  const days = new Set(w.days.map((d) => DAY_INDEX[d]));
  if (from < to) return days.has(p.weekday) && m >= from && m < to;
  if (from === to) return days.has(p.weekday); // a whole day
  // Crosses midnight: the evening belongs to the listed day, the morning to the day after it.
  return (days.has(p.weekday) && m >= from) || (days.has((p.weekday + 6) % 7) && m < to);
}

/** True when some charge picks sources by precedence, so usage must be read once per source. */
export function needsPerSourceRows(filters: readonly UsageFilterSpec[]): boolean {
  return filters.some((f) => f.sources !== undefined);
}

/** Minutes past the hour the windows or the zone cut at, to pick a step fine enough to follow them. */
export function needsFiveMinuteStep(filter: UsageFilterSpec, tz: string, period: Period): boolean {
  const offMinute = (ms: number) => localParts(ms, tz).minute !== new Date(ms).getUTCMinutes();
  return offMinute(period.from) || offMinute(period.to - 1) || filter.unmetered.some((w) => minutes(w.from) % 60 !== 0 || minutes(w.to) % 60 !== 0);
}

export interface MeasuredUsage {
  /** Counted bytes per bucket time (summed over subscribers), for percentile. */
  buckets: Map<number, { down: bigint; up: bigint }>;
  bytesCounted: bigint;
  evidence: UsageEvidence;
}

/** Applies a charge's usage filter to the rows inside `spans` (attributed by bucket start). Row order does not matter. */
export function measureUsage(usage: CustomerUsage, filter: UsageFilterSpec, spans: readonly Period[], tz: string): MeasuredUsage {
  // A day bucket cannot be split by a time-of-day window: refuse instead of billing a guess.
  if ((usage.step === '1d' || usage.step === 'total') && filter.unmetered.length > 0) throw new Error(`rating: unmetered windows need hourly or 5-minute usage (got ${usage.step}; use usageStepFor)`);
  const mine = new Set(usage.subscribers);
  const inSpans = usage.rows.filter((r) => mine.has(r.subscriber) && spans.some((s) => r.time >= s.from && r.time < s.to));
  const notes: string[] = [];
  let rows = inSpans;
  if (filter.sources) {
    // Source precedence per subscriber: the first listed source with any usage wins; rows without a source pass.
    const chosen = new Map<string, UsageSourceName>();
    for (const sub of new Set(rows.map((r) => r.subscriber))) {
      const have = new Set(rows.filter((r) => r.subscriber === sub && r.source).map((r) => r.source!));
      const pick = filter.sources.find((s) => have.has(s));
      if (pick) chosen.set(sub, pick);
    }
    rows = rows.filter((r) => !r.source || chosen.get(r.subscriber) === r.source);
    if (inSpans.some((r) => !r.source)) notes.push(`source precedence ${filter.sources.join(' > ')} not applied to rows read for all sources`);
  }
  const excluded = new Set(filter.excludeClasses);
  if (excluded.size > 0 && rows.some((r) => r.class === undefined)) notes.push(`classes ${[...excluded].join(', ')} not excluded from rows read without byClass`);

  let down = 0n, up = 0n, counted = 0n, unmetered = 0n, excludedBytes = 0n;
  const bySource: Record<string, bigint> = {};
  const buckets = new Map<number, { down: bigint; up: bigint }>();
  const dirBytes = (r: UsageRow) => (filter.direction === 'down' ? r.bytesDown : filter.direction === 'up' ? r.bytesUp : r.bytesDown + r.bytesUp);
  for (const r of rows) {
    down += r.bytesDown;
    up += r.bytesUp;
    const src = r.source ?? 'all';
    bySource[src] = (bySource[src] ?? 0n) + r.bytesDown + r.bytesUp;
    const bytes = dirBytes(r);
    if (excluded.has(r.class ?? '')) { excludedBytes += bytes; continue; }
    if (filter.unmetered.some((w) => inWindow(r.time, w, tz))) { unmetered += bytes; continue; }
    counted += bytes;
    const b = buckets.get(r.time) ?? { down: 0n, up: 0n };
    b.down += r.bytesDown;
    b.up += r.bytesUp;
    buckets.set(r.time, b);
  }
  return {
    buckets,
    bytesCounted: counted,
    evidence: {
      queries: usage.queries, store: usage.store, step: usage.step, subscribers: usage.subscribers,
      spans: spans.map((s) => ({ from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() })),
      direction: filter.direction, rows: rows.length, bytesDown: down, bytesUp: up, bytesCounted: counted,
      bytesUnmetered: unmetered, bytesExcludedClasses: excludedBytes,
      bySource: Object.fromEntries(Object.entries(bySource).sort(([a], [b]) => (a < b ? -1 : 1))), notes,
    },
  };
}
