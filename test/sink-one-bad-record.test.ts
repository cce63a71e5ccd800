// One record a store refuses (2^63 octets) among many: every other subscriber stored to the byte, only it dead-lettered.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sink } from '../collectors/pipeline/sink.js';
import { SinkRunner } from '../collectors/pipeline/sink-runner.js';
import { Spool } from '../collectors/pipeline/spool.js';
import { recordId, type UsageRecord, type UsageSource } from '../collectors/pipeline/usage-record.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { createInfluxSink } from '../store/influx/influx-sink.js';
import { InfluxUsageStore } from '../store/influx/influx-usage-store.js';
import type { UsageStore } from '../store/usage-store.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { sumUsage } from './usage-sums.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 2, 1);
const SOURCES: readonly UsageSource[] = ['radius', 'netflow', 'snmp', 'routeros'];
const BAD = 2n ** 63n;

/** 400 records of 40 subscribers from every source, with one 2^63-octet record (subscriber "flipped") in the middle. */
function records(): { good: UsageRecord[]; bad: UsageRecord } {
  const good: UsageRecord[] = [];
  for (let i = 0; i < 400; i++) {
    const source = SOURCES[i % SOURCES.length]!;
    good.push({
      id: recordId(source, 'dev', i),
      source,
      device: 'dev',
      subscriber: `sub-${i % 40}`,
      start: T0 + i * 60_000,
      end: T0 + (i + 1) * 60_000,
      // Above 2^53, so a rounding double would show.
      bytesDown: 2n ** 54n + BigInt(i * 7919),
      bytesUp: BigInt(i * 104_729 + 1),
    });
  }
  const bad: UsageRecord = { id: recordId('netflow', 'dev', 'bad'), source: 'netflow', device: 'dev', subscriber: 'flipped', start: T0, end: T0 + 60_000, bytesDown: BAD, bytesUp: 0n };
  return { good, bad };
}

async function runThrough(sink: Sink, dir: string): Promise<{ good: UsageRecord[]; bad: UsageRecord; registry: Registry }> {
  const registry = new Registry();
  const spool = await Spool.open(join(dir, 'spool'), { maxBytes: 1 << 30, segmentBytes: 1 << 20, logger: log, registry });
  const { good, bad } = records();
  // Entries of 50 records; the bad one sits in the fourth entry, so one runner batch (500) holds all of them.
  const all = [...good.slice(0, 170), bad, ...good.slice(170)];
  for (let i = 0; i < all.length; i += 50) await spool.append({ records: all.slice(i, i + 50) });
  const runner = new SinkRunner({ spool, sink, logger: log, registry, batchSize: 500, backoff: { initialMs: 5, maxMs: 20 } });
  runner.start();
  expect(await runner.waitUntilCaughtUp(30_000)).toBe(true);
  await runner.stop({ drainTimeoutMs: 1000 });
  await spool.close();
  return { good, bad, registry };
}

async function expectExact(store: UsageStore, good: readonly UsageRecord[], dir: string, sinkName: string, bad: UsageRecord): Promise<void> {
  const { rows } = await store.queryUsage({ from: T0, to: T0 + 2 * 86_400_000 });
  const stored = new Map(rows.map((r) => [r.subscriber, { down: r.bytesDown, up: r.bytesUp }]));
  expect(stored).toEqual(sumUsage(good, (r) => r.subscriber));
  expect(stored.has('flipped')).toBe(false);
  const lines = (await readFile(join(dir, 'spool', 'dead-letter', `${sinkName}.jsonl`), 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ sink: sinkName, record: { id: bad.id, subscriber: 'flipped', bytesDown: BAD.toString() } });
}

describe('a store refuses one record of a batch', () => {
  let dir: string;
  let influxd: InfluxdServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wispmeter-bad-record-'));
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('embedded: every other subscriber exact to the byte, the 2^63 record alone in the dead-letter file', async () => {
    const at = join(dir, 'embedded');
    const store = EmbeddedStore.open(join(at, 'usage.sqlite'), log);
    try {
      const { good, bad, registry } = await runThrough(store.sink, at);
      await expectExact(store, good, at, 'embedded', bad);
      const dead = (await registry.getSingleMetricAsString('wispmeter_sink_dead_letter_records_total'));
      expect(dead).toContain('wispmeter_sink_dead_letter_records_total{sink="embedded"} 1');
    } finally {
      await store.close();
    }
  });

  it('influx (real influxd): every other subscriber exact to the byte, the 2^63 record alone in the dead-letter file', async () => {
    const at = join(dir, 'influx');
    const config = { version: 1 as const, url: influxd.url, database: influxd.database, batchSize: 64, timeout: 5000 };
    const sink = createInfluxSink(config, log);
    const { good, bad } = await runThrough(sink, at);
    await expectExact(new InfluxUsageStore(config, log), good, at, 'influx', bad);
  });
});
