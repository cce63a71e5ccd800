// Usage query rows between SQLite and UsageTotal: from better-sqlite3's raw arrays, and as columns a read worker
// can transfer (typed arrays move between threads without a copy; a string table carries subscribers and classes).
import type { UsageTotal } from '../usage-store.js';

export interface ReadWorkerData {
  path: string;
  busyTimeoutMs: number;
}

export interface ReadRequest {
  id: number;
  sql: string;
  params: Record<string, string | bigint>;
  byClass: boolean;
}

export interface RowColumns {
  /** Distinct subscriber and class names; the index columns point into it. */
  strings: string[];
  subscriber: Uint32Array;
  /** Index of the class name, or 0xffffffff when the query was not byClass. */
  class: Uint32Array;
  time: Float64Array;
  down: BigInt64Array;
  up: BigInt64Array;
}

export type ReadResponse = { id: number; columns: RowColumns } | { id: number; error: { message: string; code?: string } };

const NO_CLASS = 0xffffffff;

/** Raw rows (subscriber, [class,] bucket, bytes_down, bytes_up as usageSql selects them, integers as bigint) to UsageTotal. */
export function rowsFromRaw(raw: readonly unknown[][], byClass: boolean): UsageTotal[] {
  const c = byClass ? 1 : 0;
  const rows: UsageTotal[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    const row: UsageTotal = { subscriber: r[0] as string, time: Number(r[1 + c] as bigint), bytesDown: r[2 + c] as bigint, bytesUp: r[3 + c] as bigint };
    if (byClass) row.class = (r[1] as string | null) ?? '';
    rows[i] = row;
  }
  return rows;
}

/** The same raw rows as transferable columns. Sums are below 2^63 (each record's bytes are checked on write). */
export function packRows(raw: readonly unknown[][], byClass: boolean): RowColumns {
  const n = raw.length;
  const cols: RowColumns = {
    strings: [], subscriber: new Uint32Array(n), class: new Uint32Array(n), time: new Float64Array(n), down: new BigInt64Array(n), up: new BigInt64Array(n),
  };
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = cols.strings.push(s) - 1;
      index.set(s, i);
    }
    return i;
  };
  const c = byClass ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const r = raw[i]!;
    cols.subscriber[i] = intern(r[0] as string);
    cols.class[i] = byClass ? intern((r[1] as string | null) ?? '') : NO_CLASS;
    cols.time[i] = Number(r[1 + c] as bigint);
    cols.down[i] = r[2 + c] as bigint;
    cols.up[i] = r[3 + c] as bigint;
  }
  return cols;
}

export function rowsFromColumns(cols: RowColumns): UsageTotal[] {
  const n = cols.time.length;
  const rows: UsageTotal[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: UsageTotal = { subscriber: cols.strings[cols.subscriber[i]!]!, time: cols.time[i]!, bytesDown: cols.down[i]!, bytesUp: cols.up[i]! };
    const k = cols.class[i]!;
    if (k !== NO_CLASS) row.class = cols.strings[k]!;
    rows[i] = row;
  }
  return rows;
}
