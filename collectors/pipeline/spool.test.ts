// Tests of the durable spool: framing, group commit, torn tails, corruption, consumers, the cap and state.
import { cp, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Registry, type Counter } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame } from './spool-frame.js';
import { Spool, type SpoolOptions } from './spool.js';
import { SpoolFullError, type SpoolEntry } from './spool-types.js';
import { recordId, type UsageRecord } from './usage-record.js';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

function record(i: number, bytesDown = BigInt(i) * 1000n): UsageRecord {
  return {
    id: recordId('radius', 'nas1', `sub${i}`, i),
    source: 'radius',
    device: 'nas1',
    subscriber: `sub${i % 7}`,
    session: `s${i}`,
    start: 1_700_000_000_000 + i * 300_000,
    end: 1_700_000_300_000 + i * 300_000,
    bytesDown,
    bytesUp: BigInt(i),
  };
}

const entry = (i: number): SpoolEntry => ({ records: [record(i)] });

async function counter(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name) as Counter | undefined;
  if (!m) throw new Error(`no metric ${name}`);
  const v = await m.get();
  return v.values.reduce((s, x) => s + x.value, 0);
}

async function readAll(spool: Spool, from = spool.startOffset): Promise<SpoolEntry[]> {
  const out: SpoolEntry[] = [];
  let pos = from;
  for (;;) {
    const batch = await spool.read(pos, 1000);
    if (batch.length === 0) return out;
    for (const e of batch) out.push(e.entry);
    pos = batch[batch.length - 1]!.next;
  }
}

const ids = (entries: SpoolEntry[]): string[] => entries.flatMap((e) => e.records.map((r) => r.id));

let dir: string;
let log: ReturnType<typeof capturingLogger>;
let registry: Registry;
const opened: Spool[] = [];

async function openSpool(over: Partial<SpoolOptions> = {}, at = dir): Promise<Spool> {
  const s = await Spool.open(at, { maxBytes: 1 << 30, segmentBytes: 1 << 20, logger: log.logger, registry, ...over });
  opened.push(s);
  return s;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wispmeter-spool-'));
  log = capturingLogger();
  registry = new Registry();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}-crashed`, { recursive: true, force: true });
});

async function onlySegment(): Promise<string> {
  const names = await readdir(join(dir, 'segments'));
  expect(names).toHaveLength(1);
  return join(dir, 'segments', names[0]!);
}

describe('Spool', () => {
  it('round-trips records with bigints beyond 2^64 and offsets that chain', async () => {
    const spool = await openSpool();
    const big = 2n ** 64n + 12345n;
    await spool.append({ records: [record(1, big), record(2)] });
    await spool.append({ records: [], state: [{ scope: 'radius', key: 'k', value: { octets: big } }] });
    await spool.close();

    const again = await openSpool();
    const got = await again.read(0, 10);
    expect(got).toHaveLength(2);
    expect(got[0]!.offset).toBe(0);
    expect(got[1]!.offset).toBe(got[0]!.next);
    expect(got[1]!.next).toBe(again.endOffset);
    expect(got[0]!.entry.records).toEqual([record(1, big), record(2)]);
    expect(got[0]!.entry.records[0]!.bytesDown).toBe(big);
    expect(again.state('radius').get('k')).toEqual({ octets: big });
  });

  it('group-commits many concurrent appends: all resolve, all readable, far fewer fsyncs', async () => {
    const spool = await openSpool();
    const appenders = 64;
    const perAppender = 400;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: appenders }, async (_, a) => {
        for (let i = 0; i < perAppender; i++) await spool.append(entry(a * perAppender + i));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const total = appenders * perAppender;
    const batches = await counter(registry, 'wispmeter_spool_fsync_batches_total');
    console.log(`spool: ${total} appends by ${appenders} appenders in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} appends/s, ${batches} fsyncs`);

    expect(await counter(registry, 'wispmeter_spool_appended_entries_total')).toBe(total);
    expect(batches).toBeLessThan(total / 4);
    const got = ids(await readAll(spool));
    expect(got).toHaveLength(total);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: total }, (_, i) => record(i).id)));
  });

  it('reads the same chain of entries whatever the slice size, across segments', async () => {
    const spool = await openSpool({ segmentBytes: 700 });
    for (let i = 0; i < 40; i++) await spool.append({ records: Array.from({ length: (i % 3) + 1 }, (_, k) => record(i * 10 + k)) });
    const whole = await spool.read(0, 1000, 1 << 20);
    expect(whole).toHaveLength(40);
    for (const [maxEntries, maxBytes] of [[1, 1 << 20], [7, 1 << 20], [1000, 1], [1000, 300], [3, 500]] as const) {
      const got = [];
      for (let pos = 0; pos < spool.endOffset; ) {
        const batch = await spool.read(pos, maxEntries, maxBytes);
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(maxEntries);
        got.push(...batch);
        pos = batch[batch.length - 1]!.next;
      }
      expect(got).toEqual(whole);
    }
  });

  it('cuts a torn tail (half a frame) with a warning, keeps earlier entries, appends after it', async () => {
    let spool = await openSpool();
    for (let i = 0; i < 5; i++) await spool.append(entry(i));
    const goodEnd = spool.endOffset;
    await spool.close();
    const file = await onlySegment();
    const half = encodeFrame(entry(99)).subarray(0, 30);
    await writeFile(file, half, { flag: 'a' });

    spool = await openSpool();
    const warn = log.lines.find((l) => l.msg === 'cut a torn tail from the spool');
    expect(warn).toMatchObject({ file, offset: goodEnd, bytesCut: 30 });
    expect(spool.endOffset).toBe(goodEnd);
    expect((await stat(file)).size).toBe(goodEnd);
    expect(await counter(registry, 'wispmeter_spool_torn_tail_cuts_total')).toBe(1);

    await spool.append(entry(5));
    await spool.close();
    spool = await openSpool();
    expect(ids(await readAll(spool))).toEqual([0, 1, 2, 3, 4, 5].map((i) => record(i).id));
  });

  it('cuts trailing garbage and a tail whose CRC does not match', async () => {
    let spool = await openSpool();
    for (let i = 0; i < 3; i++) await spool.append(entry(i));
    const goodEnd = spool.endOffset;
    await spool.close();
    const file = await onlySegment();
    const bad = encodeFrame(entry(3));
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff; // last frame complete but its payload flipped: a torn sector
    await writeFile(file, Buffer.concat([bad, Buffer.from('garbage\0\0\0')]), { flag: 'a' });

    spool = await openSpool();
    expect(spool.endOffset).toBe(goodEnd);
    expect(log.lines.filter((l) => l.msg === 'cut a torn tail from the spool')).toHaveLength(1);
    expect(ids(await readAll(spool))).toEqual([0, 1, 2].map((i) => record(i).id));
  });

  it('skips a corrupt frame in the middle of the last segment without cutting what follows', async () => {
    let spool = await openSpool();
    const offsets: number[] = [];
    for (let i = 0; i < 5; i++) {
      offsets.push(spool.endOffset);
      await spool.append(entry(i));
    }
    const end = spool.endOffset;
    await spool.close();
    const file = await onlySegment();
    const fh = await open(file, 'r+');
    await fh.write(Buffer.from('X'), 0, 1, offsets[2]! + 20); // inside entry 2's payload
    await fh.close();

    spool = await openSpool();
    expect(spool.endOffset).toBe(end);
    expect(log.lines.filter((l) => l.msg.startsWith('cut a torn tail'))).toHaveLength(0);
    const err = log.lines.find((l) => l.msg.startsWith('corrupt range'));
    expect(err).toMatchObject({ level: 50, file, offset: offsets[2], bytes: offsets[3]! - offsets[2]!, reason: 'CRC mismatch' });

    const got = await spool.read(0, 100);
    // The corrupt range reads as an empty entry so that consumers commit past it.
    expect(got.map((e) => [e.offset, e.next, e.entry.records.length])).toEqual([
      [offsets[0], offsets[1], 1],
      [offsets[1], offsets[2], 1],
      [offsets[2], offsets[3], 0],
      [offsets[3], offsets[4], 1],
      [offsets[4], end, 1],
    ]);
    await spool.read(0, 100);
    expect(await counter(registry, 'wispmeter_spool_corrupt_ranges_total')).toBe(1);
  });

  it('skips corruption found by a reader in an older segment', async () => {
    let spool = await openSpool({ segmentBytes: 600 });
    for (let i = 0; i < 20; i++) await spool.append(entry(i));
    await spool.close();
    const names = (await readdir(join(dir, 'segments'))).sort();
    expect(names.length).toBeGreaterThan(2);
    const first = join(dir, 'segments', names[0]!);
    const fh = await open(first, 'r+');
    await fh.write(Buffer.from([0xff, 0xff, 0xff, 0x7f]), 0, 4, 0); // first frame's length: runs past the segment
    await fh.close();

    spool = await openSpool({ segmentBytes: 600 });
    const got = await readAll(spool);
    expect(got[0]!.records).toEqual([]);
    expect(ids(got)).toEqual(Array.from({ length: 19 }, (_, i) => record(i + 1).id));
    expect(log.lines.find((l) => l.msg.startsWith('corrupt range'))).toMatchObject({ file: first, offset: 0, reason: 'frame runs past the segment end' });
  });

  it('keeps consumer offsets and deletes a segment only when every consumer is past it', async () => {
    let spool = await openSpool({ segmentBytes: 500 });
    expect(spool.consumer('influx')).toBe(0);
    expect(spool.consumer('embedded')).toBe(0);
    for (let i = 0; i < 30; i++) await spool.append(entry(i));
    const segmentsBefore = (await readdir(join(dir, 'segments'))).length;
    expect(segmentsBefore).toBeGreaterThan(3);

    const all = await spool.read(0, 1000);
    const mid = all[15]!.next;
    await spool.commit('embedded', spool.endOffset);
    expect((await readdir(join(dir, 'segments'))).length).toBe(segmentsBefore); // influx still at 0

    await spool.commit('influx', mid);
    const left = await readdir(join(dir, 'segments'));
    expect(left.length).toBeLessThan(segmentsBefore);
    expect(spool.startOffset).toBeLessThanOrEqual(mid);
    await expect(spool.read(0, 1)).rejects.toThrow(RangeError);
    expect(ids((await spool.read(mid, 1000)).map((e) => e.entry))).toEqual(Array.from({ length: 14 }, (_, i) => record(i + 16).id));
    await spool.close();

    spool = await openSpool({ segmentBytes: 500 });
    expect(spool.consumer('influx')).toBe(mid);
    expect(spool.consumer('embedded')).toBe(spool.endOffset);
    expect(await readFile(join(dir, 'offsets', 'influx'), 'utf8')).toBe(`${mid}\n`);

    // Offsets never go back, even when every segment is gone.
    await spool.dropConsumer('influx');
    const end = spool.endOffset;
    await spool.append(entry(30));
    await spool.commit('embedded', spool.endOffset);
    await spool.close();
    spool = await openSpool({ segmentBytes: 1 });
    expect(spool.startOffset).toBeGreaterThanOrEqual(end);
    expect(spool.consumerNames()).toEqual(['embedded']);
  });

  it('rejects appends with SpoolFullError at the cap and accepts them again after a commit', async () => {
    const spool = await openSpool({ maxBytes: 2000, segmentBytes: 400 });
    spool.consumer('sink');
    let accepted = 0;
    let full: unknown;
    for (let i = 0; i < 100 && !full; i++) {
      try {
        await spool.append(entry(i));
        accepted++;
      } catch (e) {
        full = e;
      }
    }
    expect(full).toBeInstanceOf(SpoolFullError);
    expect(accepted).toBeGreaterThan(3);
    expect(spool.unconsumedBytes).toBeGreaterThanOrEqual(2000);
    expect(await counter(registry, 'wispmeter_spool_full_rejections_total')).toBe(1);
    await expect(spool.append(entry(1000))).rejects.toBeInstanceOf(SpoolFullError);

    await spool.commit('sink', spool.endOffset);
    await spool.append(entry(1001));
    expect(ids((await spool.read(spool.consumer('sink'), 10)).map((e) => e.entry))).toEqual([record(1001).id]);
  });

  it('rebuilds state from the checkpoint, from replay, and after the segments that carried it were deleted', async () => {
    const opts = { segmentBytes: 400 };
    let spool = await openSpool(opts);
    spool.consumer('sink');
    await spool.append({ records: [record(0)], state: [{ scope: 'radius', key: 'a', value: 1n }, { scope: 'radius', key: 'b', value: 'x' }] });
    for (let i = 1; i < 10; i++) await spool.append(entry(i));
    await spool.append({ records: [], state: [{ scope: 'radius', key: 'b', value: null }, { scope: 'snmp', key: 'if1', value: [1, 2] }] });
    await spool.commit('sink', spool.endOffset); // deletes the segments holding those changes
    expect(spool.startOffset).toBeGreaterThan(0);
    const checkpoint = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { offset: number };
    expect(checkpoint.offset).toBeGreaterThanOrEqual(spool.startOffset);

    await spool.append({ records: [], state: [{ scope: 'radius', key: 'c', value: { n: 3n } }] });
    // A crash: copy the files while the spool is open, so close() writes no final checkpoint into the copy.
    const crashed = `${dir}-crashed`;
    await cp(dir, crashed, { recursive: true });
    await spool.close();

    const expected = { radius: new Map<string, unknown>([['a', 1n], ['c', { n: 3n }]]), snmp: new Map([['if1', [1, 2]]]) };
    for (const at of [dir, crashed]) {
      spool = await openSpool(opts, at);
      expect(spool.state('radius')).toEqual(expected.radius);
      expect(spool.state('snmp')).toEqual(expected.snmp);
      expect(spool.state('none').size).toBe(0);
    }
    // state() is the state at open, not a live view.
    await spool.append({ records: [], state: [{ scope: 'radius', key: 'd', value: 4 }] });
    expect(spool.state('radius').has('d')).toBe(false);
  });

  it('wakes a waiter when data arrives, and on abort', async () => {
    const spool = await openSpool();
    const end = spool.endOffset;
    let woke = false;
    const waiting = spool.waitForData(end).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(woke).toBe(false);
    await spool.append(entry(1));
    await waiting;
    expect(woke).toBe(true);

    const ac = new AbortController();
    const aborted = spool.waitForData(spool.endOffset, ac.signal);
    ac.abort();
    await aborted;
  });

  it('rejects (never resolves) appends whose write fails, and refuses appends after close', async () => {
    const spool = await openSpool();
    await spool.append(entry(1));
    // Pull the file out from under it: the write fails with EBADF and so does the undo.
    await (spool as unknown as { writer: { fh: { close(): Promise<void> } } }).writer.fh.close();
    const results = await Promise.allSettled([spool.append(entry(2)), spool.append(entry(3))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(spool.append(entry(4))).rejects.toThrow(/refused until restart/);
    opened.splice(opened.indexOf(spool), 1);

    const other = await openSpool({}, join(dir, 'other'));
    const closing = other.append(entry(5));
    await Promise.all([other.close(), other.close()]);
    await closing;
    await expect(other.append(entry(6))).rejects.toThrow(/closed/);
  });
});
