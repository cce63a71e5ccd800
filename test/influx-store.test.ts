// The influx sink (v1 /write) and InfluxUsageStore against a real influxd, compared with the embedded store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxConfig } from '../config/schema.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { createInfluxSink, type InfluxSink } from '../store/influx/influx-sink.js';
import { InfluxUsageStore } from '../store/influx/influx-usage-store.js';
import type { UsageQuery } from '../store/usage-store.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { DAY, show, SUBSCRIBERS, usageRecords } from './usage/usage-fixture.js';

const log = pino({ level: 'silent' });
const DAY0 = Date.UTC(2026, 0, 10);
const records = usageRecords({ day0: DAY0, huge: true, sameMillisecond: true });

describe('influx v1 against real influxd', () => {
  let server: InfluxdServer;
  let config: InfluxConfig;
  let sink: InfluxSink;
  let influx: InfluxUsageStore;
  let embedded: EmbeddedStore;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-influx-it-'));
    embedded = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
    server = await startInfluxd();
    // batchSize 9: a batch of the runner spans several requests.
    config = { version: 1, url: server.url, database: server.database, batchSize: 9, timeout: 5000 };
    sink = createInfluxSink(config, log);
    influx = new InfluxUsageStore(config, log);
  });
  afterAll(async () => {
    await server?.dispose();
    await embedded?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every record, twice (a replay), and both stores agree on the totals', async () => {
    for (let i = 0; i < records.length; i += 20) {
      const batch = records.slice(i, i + 20);
      expect(await sink.write(batch, 5000)).toEqual({ status: 'ok' });
      expect(await embedded.sink.write(batch, 5000)).toEqual({ status: 'ok' });
    }
    // The replay: same records, same points; nothing may double.
    expect(await sink.write(records, 5000)).toEqual({ status: 'ok' });
    expect(await embedded.sink.write(records, 5000)).toEqual({ status: 'ok' });

    const q: UsageQuery = { from: DAY0, to: DAY0 + 2 * DAY };
    const [a, b] = [await influx.queryUsage(q), await embedded.queryUsage(q)];
    expect(show(a.rows)).toEqual(show(b.rows));
    const expected = new Map<string, bigint>();
    for (const r of records) if (r.end >= q.from && r.end < q.to) expected.set(r.subscriber, (expected.get(r.subscriber) ?? 0n) + r.bytesDown);
    expect(new Map(a.rows.map((r) => [r.subscriber, r.bytesDown]))).toEqual(expected);
    expect(a.rows.map((r) => r.subscriber)).toEqual([...SUBSCRIBERS, 'carrier'].sort());
    expect(a.query).toMatch(/^SELECT sum\("bytes_down"\)/);
  });

  it('keeps two records of one series in the same millisecond apart', async () => {
    const at = DAY0 + 5 * 3_600_000 + 123;
    const { rows } = await influx.queryUsage({ from: at, to: at + 1, subscriber: 'alice' });
    expect(rows).toEqual([{ subscriber: 'alice', time: at, bytesDown: 3000n, bytesUp: 3n }]);
  });

  it('sums above 2^53 exactly', async () => {
    const { rows } = await influx.queryUsage({ from: DAY0, to: DAY0 + DAY, subscriber: 'carrier' });
    expect(rows).toEqual([{ subscriber: 'carrier', time: DAY0, bytesDown: 2n * (2n ** 53n + 1n), bytesUp: 2n ** 53n + 8n }]);
  });

  it.each([
    ['only netflow, by class', { sources: ['netflow'], byClass: true }],
    ['radius and snmp, by class, hourly', { sources: ['radius', 'snmp'], byClass: true, step: '1h' }],
    ['no source at all', { sources: [] }],
  ] as const)('filters by source and splits by class like the embedded store: %s', async (_name, extra) => {
    const q: UsageQuery = { from: DAY0, to: DAY0 + 2 * DAY, ...extra, sources: [...extra.sources] };
    const [a, b] = [await influx.queryUsage(q), await embedded.queryUsage(q)];
    expect(show(a.rows)).toEqual(show(b.rows));
    // And both equal the records, summed here without either store.
    const want = new Map<string, bigint>();
    for (const r of records) {
      if (r.end < q.from || r.end >= q.to || !q.sources!.includes(r.source)) continue;
      const key = `${r.subscriber} [${r.class ?? ''}]`;
      want.set(key, (want.get(key) ?? 0n) + r.bytesDown);
    }
    const got = new Map<string, bigint>();
    for (const r of a.rows) got.set(`${r.subscriber} [${r.class}]`, (got.get(`${r.subscriber} [${r.class}]`) ?? 0n) + r.bytesDown);
    expect(got).toEqual(want);
    if (q.sources!.includes('netflow')) expect([...got.keys()]).toContain('alice [zero-rated]');
  });

  it.each(['5m', '1h', '1d'] as const)('agrees with the embedded store in %s buckets', async (step) => {
    // from is not on a bucket edge: both stores still align buckets to the epoch.
    const q: UsageQuery = { from: DAY0 + 60_000, to: DAY0 + 2 * DAY - 1, step };
    const [a, b] = [await influx.queryUsage(q), await embedded.queryUsage(q)];
    expect(a.rows.length).toBeGreaterThan(SUBSCRIBERS.length);
    expect(show(a.rows)).toEqual(show(b.rows));
  });

  it.each(SUBSCRIBERS)('filters by subscriber %j (escaped in InfluxQL)', async (subscriber) => {
    const q: UsageQuery = { from: DAY0, to: DAY0 + 2 * DAY, subscriber, step: '1h' };
    const [a, b] = [await influx.queryUsage(q), await embedded.queryUsage(q)];
    expect(a.rows.length).toBeGreaterThan(0);
    expect(show(a.rows)).toEqual(show(b.rows));
  });

  it('answers retryable while influxd is down and ok once it is back, keeping what it had', async () => {
    const extra = { ...records[0]!, id: 'radius:after-restart', end: DAY0 + 2 * DAY + 5, bytesDown: 5n, bytesUp: 6n };
    await server.stop();
    const down = await sink.write([extra], 2000);
    expect(down.status).toBe('retryable');
    if (down.status === 'retryable') expect(down.error.message).toMatch(/influx v1 write .*ECONNREFUSED/);
    await server.restart();
    expect(await sink.write([extra], 5000)).toEqual({ status: 'ok' });
    const { rows } = await influx.queryUsage({ from: DAY0, to: DAY0 + 3 * DAY, subscriber: extra.subscriber });
    const { rows: before } = await embedded.queryUsage({ from: DAY0, to: DAY0 + 3 * DAY, subscriber: extra.subscriber });
    expect(rows[0]?.bytesDown).toBe((before[0]?.bytesDown ?? 0n) + 5n);
  });

  it('a missing database is retryable (operator error), a field type conflict is failed', async () => {
    const wrongDb = createInfluxSink({ ...config, database: 'nope' }, log);
    const r = await wrongDb.write([records[0]!], 5000);
    expect(r.status).toBe('retryable');
    if (r.status === 'retryable') expect(r.error.message).toMatch(/HTTP 404: database not found/);
    // A database where someone wrote bytes_down as a float first: our integer points conflict → 400 partial write.
    const post = async (path: string, body: string): Promise<Response> => await fetch(`${server.url}${path}`, { method: 'POST', body });
    await fetch(`${server.url}/query?q=${encodeURIComponent('CREATE DATABASE "floaty"')}`, { method: 'POST' });
    expect((await post('/write?db=floaty&precision=ms', `usage,subscriber=x bytes_down=1.5,bytes_up=1.5 ${DAY0}`)).status).toBe(204);
    const conflict = await createInfluxSink({ ...config, database: 'floaty' }, log).write([records[0]!], 5000);
    expect(conflict.status).toBe('failed');
    if (conflict.status === 'failed') expect(conflict.error.message).toMatch(/HTTP 400: partial write: field type conflict/);
  });
});
