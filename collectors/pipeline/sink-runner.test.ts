// Tests of the sink runner over a real spool and an in-memory sink that can be told to fail.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry, type Counter } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sink, SinkResult } from './sink.js';
import { SinkRunner, type SinkRunnerOptions } from './sink-runner.js';
import { Spool } from './spool.js';
import { recordId, type UsageRecord } from './usage-record.js';

function record(i: number): UsageRecord {
  return {
    id: recordId('radius', 'nas1', i),
    source: 'radius',
    device: 'nas1',
    subscriber: `sub${i % 5}`,
    start: i * 300_000,
    end: (i + 1) * 300_000,
    bytesDown: 2n ** 60n + BigInt(i),
    bytesUp: BigInt(i),
  };
}

/** Keeps what it accepted; `script` answers the next writes (then ok), or `answer` answers every write. */
class MemorySink implements Sink {
  readonly batches: UsageRecord[][] = [];
  readonly attempts: UsageRecord[][] = [];
  script: SinkResult[] = [];
  answer: SinkResult | undefined;
  /** Ids whose presence makes the sink refuse the whole batch, as a store's validation or a database does. */
  refuses = new Set<string>();
  constructor(readonly name: string) {}
  async write(batch: readonly UsageRecord[]): Promise<SinkResult> {
    this.attempts.push([...batch]);
    const bad = batch.find((r) => this.refuses.has(r.id));
    if (bad) return { status: 'failed', error: new Error(`400 bad point ${bad.id}`) };
    const r = this.answer ?? this.script.shift() ?? { status: 'ok' };
    if (r.status === 'ok') this.batches.push([...batch]);
    return r;
  }
  async close(): Promise<void> {}
  get ids(): string[] {
    return this.batches.flat().map((r) => r.id);
  }
}

const retryable: SinkResult = { status: 'retryable', error: new Error('influx down') };
const silent = pino({ level: 'silent' });

let dir: string;
let registry: Registry;
let spool: Spool;
const runners: SinkRunner[] = [];

function runner(sink: Sink, over: Partial<SinkRunnerOptions> = {}): SinkRunner {
  const r = new SinkRunner({ spool, sink, logger: silent, registry, batchSize: 10, backoff: { initialMs: 5, maxMs: 20 }, ...over });
  runners.push(r);
  return r;
}

async function metric(name: string): Promise<number> {
  const m = registry.getSingleMetric(name) as Counter | undefined;
  return (await m!.get()).values.reduce((s, v) => s + v.value, 0);
}

async function appendRange(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await spool.append({ records: [record(i)] });
}

const idsOf = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => record(from + k).id);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wispmeter-runner-'));
  registry = new Registry();
  spool = await Spool.open(dir, { maxBytes: 1 << 30, segmentBytes: 2000, logger: silent, registry });
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop({ drainTimeoutMs: 0 })));
  await spool.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SinkRunner', () => {
  it('delivers in batches, wakes on new data, skips empty entries and lets consumed segments go', async () => {
    const sink = new MemorySink('embedded');
    await appendRange(0, 25);
    await spool.append({ records: [], state: [{ scope: 'radius', key: 'k', value: 1 }] });
    const r = runner(sink);
    r.start();
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(r.committedOffset).toBe(spool.endOffset);
    expect(spool.consumer('embedded')).toBe(spool.endOffset);

    await appendRange(25, 28); // the runner is idle, waiting on the spool
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.ids).toEqual(idsOf(0, 28));
    expect(sink.batches[0]![0]!.bytesDown).toBe(2n ** 60n);
    expect((await readdir(join(dir, 'segments'))).length).toBe(1);
    expect(await metric('wispmeter_sink_records_written_total')).toBe(28);
  });

  it('retries the same batch on retryable answers and loses nothing', async () => {
    const sink = new MemorySink('influx');
    sink.script = [retryable, retryable, { status: 'retryable', error: new Error('429'), retryAfterMs: 30 }];
    await appendRange(0, 15);
    const r = runner(sink);
    r.start();
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.attempts.slice(0, 4).map((b) => b.map((x) => x.id))).toEqual(Array(4).fill(idsOf(0, 10)));
    expect(sink.ids).toEqual(idsOf(0, 15));
    expect(await metric('wispmeter_sink_retries_total')).toBe(3);
  });

  it('splits a rejected batch until the rejected records stand alone: only they are dead-lettered, the rest stored', async () => {
    const sink = new MemorySink('influx');
    sink.refuses = new Set([record(3).id, record(7).id, record(11).id]);
    await appendRange(0, 13);
    const entries = await spool.read(0, 100, 1 << 20);
    const r = runner(sink);
    r.start();
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    const good = idsOf(0, 13).filter((id) => !sink.refuses.has(id));
    expect([...sink.ids].sort()).toEqual([...good].sort());
    const lines = (await readFile(join(dir, 'dead-letter', 'influx.jsonl'), 'utf8')).trim().split('\n');
    const parked = lines.map((l) => JSON.parse(l) as { sink: string; error: string; spoolOffset: number; record: { id: string; bytesDown: string } });
    expect(parked.map((p) => p.record.id)).toEqual([record(3).id, record(7).id, record(11).id]);
    // Each dead letter names the spool entry its record came in (one record per entry here).
    expect(parked.map((p) => p.spoolOffset)).toEqual([3, 7, 11].map((i) => entries[i]!.offset));
    expect(parked[0]).toMatchObject({ sink: 'influx', error: `400 bad point ${record(3).id}`, record: { bytesDown: (2n ** 60n + 3n).toString() } });
    expect(await metric('wispmeter_sink_failures_total')).toBe(2); // batches [0,10) and [10,13)
    expect(await metric('wispmeter_sink_dead_letter_records_total')).toBe(3);
    expect(await metric('wispmeter_sink_records_written_total')).toBe(10);
    expect(await metric('wispmeter_sink_batch_splits_total')).toBeGreaterThan(0);
  });

  it('a batch rejected once is written in halves (nothing dead-lettered when the halves pass)', async () => {
    const sink = new MemorySink('influx');
    sink.script = [{ status: 'failed', error: new Error('400 bad point') }];
    await appendRange(0, 13);
    const r = runner(sink);
    r.start();
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.ids).toEqual(idsOf(0, 13));
    expect(sink.batches.map((b) => b.length)).toEqual([5, 5, 3]);
    expect(await metric('wispmeter_sink_dead_letter_records_total')).toBe(0);
  });

  it('a sink down in the middle of a split is retried, and the split goes on', async () => {
    const sink = new MemorySink('embedded');
    sink.refuses = new Set([record(0).id]);
    // After the first refusal the halves are tried: the first two writes of them meet an outage.
    sink.script = [retryable, retryable];
    await appendRange(0, 10);
    const r = runner(sink);
    r.start();
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect([...sink.ids].sort()).toEqual(idsOf(1, 10).sort());
    expect(await metric('wispmeter_sink_dead_letter_records_total')).toBe(1);
  });

  it('stop() delivers what is left before it returns, and runs once', async () => {
    const sink = new MemorySink('embedded');
    await appendRange(0, 95);
    const r = runner(sink);
    r.start();
    const stops = [r.stop({ drainTimeoutMs: 5000 }), r.stop({ drainTimeoutMs: 0 })];
    await Promise.all(stops);
    expect(sink.ids).toEqual(idsOf(0, 95));
    expect(spool.consumer('embedded')).toBe(spool.endOffset);
  });

  it('stop() gives up at the deadline while the sink is down; the next runner delivers everything', async () => {
    const sink = new MemorySink('influx');
    sink.answer = retryable;
    await appendRange(0, 12);
    const r = runner(sink);
    r.start();
    await new Promise((res) => setTimeout(res, 30));
    const started = Date.now();
    await r.stop({ drainTimeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sink.batches).toEqual([]);
    expect(spool.consumer('influx')).toBe(0);
    expect(await r.waitUntilCaughtUp(10)).toBe(false);

    sink.answer = undefined;
    const next = runner(sink);
    next.start();
    expect(await next.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.ids).toEqual(idsOf(0, 12));
  });

  it('lets the spool grow while a sink is down, up to the cap, then catches up', async () => {
    await spool.close();
    await rm(dir, { recursive: true, force: true });
    spool = await Spool.open(dir, { maxBytes: 3000, segmentBytes: 1000, logger: silent, registry });
    const sink = new MemorySink('influx');
    sink.answer = retryable;
    const r = runner(sink);
    r.start();
    let accepted = 0;
    await expect((async () => {
      for (;;) {
        await spool.append({ records: [record(accepted)] });
        accepted++;
      }
    })()).rejects.toThrow(/spool full/);
    sink.answer = undefined;
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(sink.ids).toEqual(idsOf(0, accepted));
    await spool.append({ records: [record(accepted)] });
  });

  it('health() says since when writes have been failing and why, until one succeeds', async () => {
    const sink = new MemorySink('influx');
    sink.answer = retryable;
    const r = runner(sink);
    expect(r.health()).toMatchObject({ sink: 'influx', lagBytes: 0, failingSince: undefined, lastError: undefined });
    const before = Date.now();
    r.start();
    await appendRange(0, 3);
    while (sink.attempts.length < 3) await new Promise((res) => setTimeout(res, 5));
    const failing = r.health();
    expect(failing.failingSince).toBeGreaterThanOrEqual(before);
    expect(failing.lastError).toBe('influx down');
    expect(failing.lagBytes).toBeGreaterThan(0);
    // The first failure's time stays while the retries go on.
    while (sink.attempts.length < 6) await new Promise((res) => setTimeout(res, 5));
    expect(r.health().failingSince).toBe(failing.failingSince);
    expect(await metric('wispmeter_sink_failing_since_timestamp_seconds')).toBe(failing.failingSince! / 1000);
    sink.answer = undefined;
    expect(await r.waitUntilCaughtUp(5000)).toBe(true);
    expect(r.health()).toMatchObject({ lagBytes: 0, failingSince: undefined, lastError: undefined });
    expect(r.health().lastSuccess).toBeGreaterThanOrEqual(failing.failingSince!);
    expect(await metric('wispmeter_sink_failing_since_timestamp_seconds')).toBe(0);
  });
});
