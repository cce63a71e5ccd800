// The InfluxQL usage query (answered by InfluxDB 1.x, 2.x and 3.x /query) and a lossless reader of its JSON answer.
import { type UsageQuery, type UsageTotal } from '../usage-store.js';
import { JsonNumber, parseJsonLossless, type JsonValue } from './lossless-json.js';
import { MEASUREMENT } from './line-protocol.js';

/** 'it''s' style is not InfluxQL: backslash escapes quotes and backslashes; a raw newline ends the statement. */
export function quoteStringLiteral(s: string): string {
  return "'" + s.replace(/[\\']/g, (c) => '\\' + c).replace(/\n/g, '\\n') + "'";
}

export function quoteIdentifier(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c).replace(/\n/g, '\\n') + '"';
}

const STEP_INTERVAL = { '5m': '5m', '1h': '1h', '1d': '1d' } as const;

/**
 * SELECT sum("bytes_down"), sum("bytes_up") per subscriber (and bucket) over [from, to).
 * Bounds are epoch literals in ms: point times are end_ms×10^6 + an offset below 1 ms, so `time < to`
 * excludes a record that ends exactly at `to`, as the embedded store does. GROUP BY time() buckets are
 * aligned to the epoch (UTC), like the embedded store's; fill(none) leaves out empty buckets.
 */
export function usageInfluxQL(q: UsageQuery, retentionPolicy?: string): string {
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw new RangeError(`usage query: from/to must be integer ms (got ${q.from}, ${q.to})`);
  const from = retentionPolicy ? `${quoteIdentifier(retentionPolicy)}.${quoteIdentifier(MEASUREMENT)}` : quoteIdentifier(MEASUREMENT);
  let where = `time >= ${q.from}ms AND time < ${q.to}ms`;
  if (q.subscriber !== undefined) where += ` AND "subscriber" = ${quoteStringLiteral(q.subscriber)}`;
  if (q.subscribers !== undefined) {
    where += q.subscribers.length ? ` AND (${q.subscribers.map((s) => `"subscriber" = ${quoteStringLiteral(s)}`).join(' OR ')})` : ' AND false';
  }
  if (q.sources !== undefined) {
    // An empty list selects nothing, as in the embedded store.
    where += q.sources.length ? ` AND (${q.sources.map((s) => `"source" = ${quoteStringLiteral(s)}`).join(' OR ')})` : ' AND false';
  }
  const keys = q.byClass ? '"subscriber", "class"' : '"subscriber"';
  const group = q.step ? `GROUP BY ${keys}, time(${STEP_INTERVAL[q.step]}) fill(none)` : `GROUP BY ${keys}`;
  return `SELECT sum("bytes_down") AS "bytes_down", sum("bytes_up") AS "bytes_up" FROM ${from} WHERE ${where} ${group}`;
}

function asObject(v: JsonValue | undefined, what: string): { [key: string]: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof JsonNumber) throw new Error(`influx answer: ${what} is not an object`);
  return v;
}

function asArray(v: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(v)) throw new Error(`influx answer: ${what} is not an array`);
  return v;
}

/** A sum column: an integer (maybe above 2^53), or null when the bucket had no value of that field. */
function toBigInt(v: JsonValue | undefined, what: string): bigint {
  if (v === null || v === undefined) return 0n;
  if (v instanceof JsonNumber && /^-?\d+$/.test(v.raw)) return BigInt(v.raw);
  throw new Error(`influx answer: ${what} is not an integer (${v instanceof JsonNumber ? v.raw : JSON.stringify(v)}); were bytes written as floats?`);
}

/** Reads the JSON of /query?epoch=ms into usage rows; integers are taken from their digits, never via double. */
export function parseUsageAnswer(body: string, q: UsageQuery): UsageTotal[] {
  const root = asObject(parseJsonLossless(body), 'the body');
  if (typeof root.error === 'string') throw new Error(`influx query error: ${root.error}`);
  const rows: UsageTotal[] = [];
  for (const [ri, result] of asArray(root.results ?? [], 'results').entries()) {
    const res = asObject(result, `results[${ri}]`);
    if (typeof res.error === 'string') throw new Error(`influx query error: ${res.error}`);
    for (const [si, s] of asArray(res.series ?? [], 'series').entries()) {
      const series = asObject(s, `series[${si}]`);
      const tags = series.tags === undefined ? {} : asObject(series.tags, `series[${si}].tags`);
      const subscriber = typeof tags.subscriber === 'string' ? tags.subscriber : '';
      const columns = asArray(series.columns, `series[${si}].columns`);
      const col = (name: string): number => {
        const idx = columns.indexOf(name);
        if (idx < 0) throw new Error(`influx answer: series[${si}] has no column "${name}"`);
        return idx;
      };
      const [ti, di, ui] = [col('time'), col('bytes_down'), col('bytes_up')];
      for (const [vi, v] of asArray(series.values ?? [], `series[${si}].values`).entries()) {
        const values = asArray(v, `series[${si}].values[${vi}]`);
        const t = values[ti];
        const time = q.step ? (t instanceof JsonNumber ? Number(t.raw) : NaN) : q.from;
        if (!Number.isSafeInteger(time)) throw new Error(`influx answer: series[${si}].values[${vi}] has no epoch time (was epoch=ms honoured?)`);
        rows.push({
          subscriber,
          ...(q.byClass ? { class: typeof tags.class === 'string' ? tags.class : '' } : {}),
          time,
          bytesDown: toBigInt(values[di], `sum of bytes_down for ${subscriber}`),
          bytesUp: toBigInt(values[ui], `sum of bytes_up for ${subscriber}`),
        });
      }
    }
  }
  return rows;
}

