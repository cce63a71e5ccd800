// UsageRecord → InfluxDB line protocol: measurement `usage`, bounded tags, integer fields, idempotent timestamps.
import { createHash } from 'node:crypto';
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';

export const MEASUREMENT = 'usage';

const NS_PER_MS = 1_000_000n;
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Nanoseconds since the epoch for a record: end_ms × 10^6 + (sha256(id) mod 10^6).
 *
 * Influx keeps one value per (measurement, tag set, field, timestamp), so a replay of the same record writes
 * the same point and overwrites it. The sub-millisecond offset, drawn from the record id, keeps two
 * different records of one series that end in the same millisecond apart: they collide only when their
 * ids hash to the same offset, odds 10^-6 per pair (n records in one series and millisecond: about
 * n(n-1)/2 × 10^-6). The offset stays below 1 ms, so `time >= from AND time < to` on ms bounds and
 * GROUP BY time() buckets select exactly the records whose `end` falls in the range.
 */
export function pointTimestampNs(r: Pick<UsageRecord, 'id' | 'end'>): bigint {
  const digest = createHash('sha256').update(r.id).digest();
  return BigInt(r.end) * NS_PER_MS + (digest.readBigUInt64BE(0) % NS_PER_MS);
}

/** Measurement names: commas and spaces are escaped. */
export function escapeMeasurement(s: string): string {
  return s.replace(/[, ]/g, (c) => '\\' + c).replace(/\n/g, '\\n');
}

/**
 * Tag keys and values: commas, spaces and equals signs are escaped with a backslash; newlines, carriage
 * returns and tabs become `\n`, `\r`, `\t` (line protocol has no way to carry them raw).
 *
 * NOTE: backslashes are written as they are (as the official clients do), because InfluxDB 1.x and 2.x
 * keep `\\` in a tag value as two backslashes: `DOMAIN\user` round-trips unchanged. Only a backslash
 * that would swallow the next separator (one at the end, or before an escaped character) is doubled,
 * which VictoriaMetrics reads back as one backslash; InfluxDB 1.x rejects such a value (400), so that
 * one point fails instead of corrupting the line.
 */
export function escapeTag(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    switch (c) {
      case ',':
      case ' ':
      case '=':
        out += '\\' + c;
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\\': {
        const next = s[i + 1];
        const swallows = next === undefined || next === ',' || next === ' ' || next === '=' || next === '\\' || next === '\n' || next === '\r' || next === '\t';
        out += swallows ? '\\\\' : '\\';
        break;
      }
      default:
        out += c;
    }
  }
  return out;
}

/** String field values go in double quotes; inside them only `"` and `\` are escaped. */
export function quoteFieldString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

/** Integer fields carry the `i` suffix; influx integers are signed 64-bit. */
export function integerField(v: bigint, name: string, id: string): string {
  if (v < 0n || v > MAX_INT64) throw new RangeError(`record ${id}: ${name} ${v} is outside 0..2^63-1`);
  return `${v}i`;
}

export interface LineOptions {
  /** Write the session as a string field (evidence; a field, never a tag, so cardinality stays bounded). */
  sessionField: boolean;
}

/** One line of line protocol for a record. Tags are sorted by key, as Influx prefers. Throws RangeError on a byte count outside int64. */
export function toLine(r: UsageRecord, opts: LineOptions = { sessionField: true }): string {
  // Influx has no empty tag values: an empty one is left out and reads back as "" in GROUP BY.
  let tags = '';
  // `class` is a handful of configured names (zero-rated, on-net…): bounded like the other tags.
  for (const [key, value] of [['class', r.class ?? ''], ['device', r.device], ['source', r.source], ['subscriber', r.subscriber]] as const) {
    if (value !== '') tags += `,${key}=${escapeTag(value)}`;
  }
  let fields = `bytes_down=${integerField(r.bytesDown, 'bytesDown', r.id)},bytes_up=${integerField(r.bytesUp, 'bytesUp', r.id)}`;
  if (opts.sessionField && r.session !== undefined) fields += `,session=${quoteFieldString(r.session)}`;
  return `${MEASUREMENT}${tags} ${fields} ${pointTimestampNs(r)}`;
}
