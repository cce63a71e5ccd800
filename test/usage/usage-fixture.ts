// Usage records for store integration tests: awkward subscriber names, bucket edges, same-ms twins, sums above 2^53.
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';
import type { UsageTotal } from '../../store/usage-store.js';

export const DAY = 86_400_000;

export interface FixtureOptions {
  /** Epoch ms at 00:00 UTC of the first day. */
  day0: number;
  /** Add counts whose sums exceed 2^53 (not for stores that keep float64, like VictoriaMetrics). */
  huge: boolean;
  /** Add two records of one series ending in the same millisecond (not for ms-precision stores). */
  sameMillisecond: boolean;
}

export const SUBSCRIBERS = ['alice', "o'brien", 'a,b c=d', 'DOMAIN\\user', 'say "hi"', 'müller@realm'];

/** Deterministic records spread over two days, each subscriber from two devices and two sources. */
export function usageRecords(opts: FixtureOptions): UsageRecord[] {
  const out: UsageRecord[] = [];
  let n = 0;
  const add = (subscriber: string, end: number, down: bigint, up: bigint, device = 'nas-1', source: UsageRecord['source'] = 'radius', cls?: string): void => {
    n++;
    out.push({ id: `${source}:fixture-${n}`, source, device, subscriber, session: `sess-${n % 7}`, ...(cls ? { class: cls } : {}), start: end - 300_000, end, bytesDown: down, bytesUp: up });
  };
  SUBSCRIBERS.forEach((subscriber, s) => {
    for (let i = 0; i < 24; i++) {
      // Every 2h17m from 00:03 so records land in many 5m/1h buckets on both days.
      const end = opts.day0 + 180_000 + i * 8_220_000 + s * 1000;
      add(subscriber, end, BigInt(1_000_000 * (i + 1) + s), BigInt(10_000 * (i + 1)), i % 2 ? 'nas-2' : 'nas-1', i % 3 ? 'radius' : 'snmp');
    }
  });
  // NetFlow records, some in a class (a zero-rated CDN cache), some in none.
  SUBSCRIBERS.slice(0, 3).forEach((subscriber, s) => {
    for (let i = 0; i < 6; i++) add(subscriber, opts.day0 + 3_600_000 * (i * 3 + 1) + s, BigInt(500_000 + i), BigInt(700 + s), 'router-1', 'netflow', i % 2 ? 'zero-rated' : undefined);
  });
  // Bucket edges: exactly on a 5m/1h/1d boundary, and one millisecond before.
  add('alice', opts.day0 + DAY, 7n, 7n);
  add('alice', opts.day0 + DAY - 1, 11n, 11n);
  add('alice', opts.day0 + 3_600_000, 13n, 13n);
  if (opts.sameMillisecond) {
    add('alice', opts.day0 + 5 * 3_600_000 + 123, 1000n, 1n);
    add('alice', opts.day0 + 5 * 3_600_000 + 123, 2000n, 2n);
  }
  if (opts.huge) {
    add('carrier', opts.day0 + 12 * 3_600_000, 2n ** 53n + 1n, 2n ** 53n + 3n);
    add('carrier', opts.day0 + 12 * 3_600_000 + 60_000, 2n ** 53n + 1n, 5n);
  }
  return out;
}

/** Totals as plain strings, so a failed comparison prints readable diffs (bigints print fine too, but rows are long). */
export function show(rows: UsageTotal[]): string[] {
  return rows.map((r) => `${r.subscriber}${r.class !== undefined ? ` [${r.class}]` : ''} @${new Date(r.time).toISOString()} down=${r.bytesDown} up=${r.bytesUp}`);
}
