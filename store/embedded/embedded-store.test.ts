// The embedded store on temp files: idempotent overwrite, buckets, bigint sums, subscriber filter, schema version.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';
import { EmbeddedStore } from './embedded-store.js';
import { SCHEMA_VERSION } from './migrations.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0); // a Thursday, 10:00 UTC

function rec(id: string, subscriber: string, end: number, down: bigint, up: bigint, extra: Partial<UsageRecord> = {}): UsageRecord {
  return { id, source: 'radius', device: 'nas-1', subscriber, start: end - 60_000, end, bytesDown: down, bytesUp: up, ...extra };
}

describe('EmbeddedStore', () => {
  let dir: string;
  let store: EmbeddedStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-embedded-'));
    store = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes its folder when the data dir does not exist yet (a first bill run before any collect)', async () => {
    const nested = EmbeddedStore.open(join(dir, 'fresh', 'data', 'usage.sqlite'), log);
    try {
      expect((await nested.queryUsage({ from: 0, to: 1 })).rows).toEqual([]);
    } finally {
      await nested.close();
    }
  });

  it('overwrites a replayed record instead of adding it', async () => {
    const batch = [rec('r1', 'alice', T0, 100n, 10n), rec('r2', 'alice', T0 + 1, 50n, 5n)];
    expect(await store.sink.write(batch, 1000)).toEqual({ status: 'ok' });
    expect(await store.sink.write(batch, 1000)).toEqual({ status: 'ok' });
    // A corrected record with the same id replaces the old values.
    expect(await store.sink.write([rec('r2', 'alice', T0 + 1, 70n, 7n)], 1000)).toEqual({ status: 'ok' });
    const { rows } = await store.queryUsage({ from: T0 - 1, to: T0 + 10 });
    expect(rows).toEqual([{ subscriber: 'alice', time: T0 - 1, bytesDown: 170n, bytesUp: 17n }]);
  });

  it('attributes a record by its end time: [from, to) includes from and excludes to', async () => {
    await store.sink.write([rec('a', 'bob', T0, 1n, 0n), rec('b', 'bob', T0 + 3_600_000, 2n, 0n)], 1000);
    const { rows } = await store.queryUsage({ from: T0, to: T0 + 3_600_000 });
    expect(rows).toEqual([{ subscriber: 'bob', time: T0, bytesDown: 1n, bytesUp: 0n }]);
  });

  it('sums above 2^53 exactly, as bigint', async () => {
    const big = 2n ** 53n + 1n;
    await store.sink.write([rec('x1', 'carol', T0, big, big), rec('x2', 'carol', T0 + 5, big, 3n)], 1000);
    const { rows } = await store.queryUsage({ from: T0, to: T0 + 10 });
    expect(rows[0]?.bytesDown).toBe(2n * big);
    expect(rows[0]?.bytesUp).toBe(big + 3n);
    expect(typeof rows[0]?.bytesDown).toBe('bigint');
  });

  it('buckets by 5m, 1h and 1d aligned to the epoch in UTC, sorted by subscriber then time', async () => {
    const records = [
      rec('1', 'zed', T0 + 299_999, 1n, 1n), // 10:04:59.999 → 10:00 bucket
      rec('2', 'zed', T0 + 300_000, 2n, 2n), // 10:05 → 10:05 bucket
      rec('3', 'amy', T0 + 3_600_000 + 1, 4n, 4n), // 11:00:00.001
      rec('4', 'amy', T0 - 10 * 3_600_000 - 1, 8n, 8n), // 23:59:59.999 the day before
    ];
    await store.sink.write(records, 1000);
    const from = T0 - 86_400_000;
    const to = T0 + 86_400_000;
    const m5 = await store.queryUsage({ from, to, step: '5m' });
    expect(m5.rows.map((r) => [r.subscriber, new Date(r.time).toISOString(), r.bytesDown])).toEqual([
      ['amy', '2026-01-14T23:55:00.000Z', 8n],
      ['amy', '2026-01-15T11:00:00.000Z', 4n],
      ['zed', '2026-01-15T10:00:00.000Z', 1n],
      ['zed', '2026-01-15T10:05:00.000Z', 2n],
    ]);
    const h1 = await store.queryUsage({ from, to, step: '1h' });
    expect(h1.rows.map((r) => [r.subscriber, new Date(r.time).toISOString(), r.bytesDown])).toEqual([
      ['amy', '2026-01-14T23:00:00.000Z', 8n],
      ['amy', '2026-01-15T11:00:00.000Z', 4n],
      ['zed', '2026-01-15T10:00:00.000Z', 3n],
    ]);
    const d1 = await store.queryUsage({ from, to, step: '1d' });
    expect(d1.rows.map((r) => [r.subscriber, new Date(r.time).toISOString(), r.bytesDown])).toEqual([
      ['amy', '2026-01-14T00:00:00.000Z', 8n],
      ['amy', '2026-01-15T00:00:00.000Z', 4n],
      ['zed', '2026-01-15T00:00:00.000Z', 3n],
    ]);
  });

  it('filters by subscriber and shows the SQL with its parameters as evidence', async () => {
    await store.sink.write([rec('1', "o'brien", T0, 5n, 6n), rec('2', 'other', T0, 7n, 8n)], 1000);
    const answer = await store.queryUsage({ from: T0, to: T0 + 1, subscriber: "o'brien" });
    expect(answer.rows).toEqual([{ subscriber: "o'brien", time: T0, bytesDown: 5n, bytesUp: 6n }]);
    expect(answer.query).toContain('WHERE end_ms >= @from AND end_ms < @to AND subscriber = @subscriber');
    expect(answer.query).toContain(`@from = ${T0}, @to = ${T0 + 1}, @subscriber = 'o''brien'`);
    expect((await store.queryUsage({ from: T0, to: T0 + 1, subscriber: 'nobody' })).rows).toEqual([]);
  });

  it('fails a batch with a byte count outside int64 and writes none of it', async () => {
    const result = await store.sink.write([rec('ok', 'a', T0, 1n, 1n), rec('bad', 'a', T0, 2n ** 63n, 0n)], 1000);
    expect(result.status).toBe('failed');
    expect((await store.queryUsage({ from: T0, to: T0 + 1 })).rows).toEqual([]);
  });

  it('answers retryable while another connection holds the write lock', async () => {
    await store.close();
    store = EmbeddedStore.open(join(dir, 'usage.sqlite'), log, { busyTimeoutMs: 50 });
    const other = new Database(join(dir, 'usage.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const result = await store.sink.write([rec('1', 'a', T0, 1n, 1n)], 1000);
      expect(result.status).toBe('retryable');
      if (result.status === 'retryable') expect(result.error.message).toMatch(/SQLITE_BUSY/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await store.sink.write([rec('1', 'a', T0, 1n, 1n)], 1000)).toEqual({ status: 'ok' });
  });

  it('keeps records across reopen, in WAL mode, at the current schema version', async () => {
    await store.sink.write([rec('1', 'a', T0, 1n, 2n)], 1000);
    await store.close();
    store = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
    expect((await store.queryUsage({ from: T0, to: T0 + 1 })).rows).toHaveLength(1);
    const raw = new Database(join(dir, 'usage.sqlite'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a file written by a newer schema version', async () => {
    await store.close();
    const path = join(dir, 'usage.sqlite');
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => EmbeddedStore.open(path, log)).toThrow(/newer than this wispmeter knows/);
    store = EmbeddedStore.open(join(dir, 'other.sqlite'), log);
  });
});

describe('EmbeddedStore with read workers', () => {
  it('answers every query shape exactly as the in-thread reads do, many at once, and fails clearly after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wispmeter-embedded-pool-'));
    const path = join(dir, 'usage.sqlite');
    const plain = EmbeddedStore.open(path, log);
    const pooled = EmbeddedStore.open(path, log, { readers: 2 });
    try {
      const big = 2n ** 62n;
      const subs = ['alice', 'bob', 'zoë', "o'brien"];
      const records = subs.flatMap((s, i) => Array.from({ length: 50 }, (_, k) =>
        rec(`${s}-${k}`, s, T0 + k * 600_000, BigInt(k + 1) * (k === 7 ? big / 64n : 1000n), BigInt(i), k % 3 === 0 ? { class: 'zero-rated' } : {})));
      expect(await plain.sink.write(records, 1000)).toEqual({ status: 'ok' });
      const from = T0 - 1, to = T0 + 50 * 600_000;
      const queries = [
        { from, to },
        { from, to, byClass: true },
        { from, to, step: '1h' as const, byClass: true },
        { from, to, step: '5m' as const, subscriber: 'zoë' },
        { from, to, subscribers: ['bob', "o'brien"], byClass: true },
        { from, to, subscribers: [] },
        { from, to, sources: ['netflow' as const] },
      ];
      const [a, b] = await Promise.all([Promise.all(queries.map((q) => plain.queryUsage(q))), Promise.all(queries.map((q) => pooled.queryUsage(q)))]);
      expect(b).toEqual(a);
      expect(a[1]!.rows.some((r) => r.class === 'zero-rated')).toBe(true);
      expect(a[0]!.rows.find((r) => r.subscriber === 'alice')!.bytesDown).toBeGreaterThan(2n ** 53n);
    } finally {
      await pooled.close();
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(pooled.queryUsage({ from: 0, to: 1 })).rejects.toThrow(/after close/);
  });
});
