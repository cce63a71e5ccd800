// The durable spool: an append-only checksummed log with group commit, named consumers, a size cap and collector state.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { assertConsumerName, removeOffset, writeOffset } from './spool-consumers.js';
import { fsyncDir, isErrnoException } from './spool-files.js';
import { encodeFrame } from './spool-frame.js';
import { createSpoolMetrics, type SpoolMetrics } from './spool-metrics.js';
import { recoverSpool, type RecoveredSpool } from './spool-recovery.js';
import { SegmentWriter } from './spool-segment-writer.js';
import { readSegment, type Segment, type SkippedRange } from './spool-segments.js';
import { applyStateChanges, copyState, serializeCheckpoint, writeCheckpoint, type StateMaps } from './spool-state.js';
import { TailCache } from './spool-tail-cache.js';
import { SpoolFullError, type SpooledEntry, type SpoolEntry, type SpoolWriter } from './spool-types.js';

export interface SpoolOptions {
  /** append() rejects with SpoolFullError while this many bytes are unconsumed (SpoolConfig.maxBytes). */
  maxBytes: number;
  /** A new segment is started before a write once the current one has reached this size (SpoolConfig.segmentBytes). */
  segmentBytes: number;
  logger: Logger;
  /** Where the wispmeter_spool_* metrics go; a private registry when omitted. */
  registry?: Registry;
}

interface PendingAppend {
  frame: Buffer;
  entry: SpoolEntry;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface DataWaiter {
  offset: number;
  wake: () => void;
}

const DEFAULT_READ_BYTES = 4 * 1024 * 1024;
const TAIL_CACHE_BYTES = 32 * 1024 * 1024;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/**
 * Files under `dir`: segments/<20-digit base offset>.log, offsets/<consumer>, state.json (and the sink runners'
 * dead-letter/). A segment is a run of frames (spool-frame.ts); a group commit never spans two segments.
 * Offsets are global byte positions that never go back, not even when every segment has been deleted.
 *
 * Readers only ever see bytes that have been fsynced: a consumer can therefore never commit an offset that a
 * crash takes back, and the offsets appended after a restart cannot collide with ones it already read.
 *
 * Damage: on open, bytes after the last valid frame of the last segment are a torn tail and are cut (warn).
 * A bad frame followed by a valid one, anywhere, is not a tail: it is skipped to the next valid frame, logged
 * as an error and counted. NOTE: skipping to the next frame (rather than to the next segment, or refusing to
 * start) keeps every intact record of a billing-grade log and keeps the collector acking; frames are found
 * again by their CRC, and a false match inside JSON text is practically impossible (see findNextFrame).
 */
export class Spool implements SpoolWriter {
  /** The spool directory; sink runners put their dead-letter files under it. */
  readonly dir: string;
  private readonly opts: SpoolOptions;
  private readonly log: Logger;
  private readonly metrics: SpoolMetrics;
  private readonly segDir: string;
  private readonly offDir: string;
  private readonly statePath: string;
  /** Oldest first; the last one is being appended to (shared with the writer, which pushes on a roll). */
  private readonly segments: Segment[];
  private readonly writer: SegmentWriter;
  private readonly consumers: Map<string, number>;
  /** Collector state as of the durable end, kept current by every commit. */
  private readonly liveState: StateMaps;
  /** The state as it stood at open: what state(scope) answers. */
  private openState: StateMaps = new Map();
  private checkpointOffset: number | undefined;
  private readonly corruptSeen: Set<number>;
  /** The newest entries' records, so readers that keep up skip the disk and the JSON parse. */
  private readonly tail = new TailCache(TAIL_CACHE_BYTES);

  private queue: PendingAppend[] = [];
  /** Bytes queued or being written: counted against the cap before they are durable. */
  private pendingBytes = 0;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly dataWaiters = new Set<DataWaiter>();
  /** Offset files, checkpoints and deletions run one at a time, in order. */
  private maintenance: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(dir: string, opts: SpoolOptions, log: Logger, metrics: SpoolMetrics, r: RecoveredSpool) {
    this.dir = dir;
    this.opts = opts;
    this.log = log;
    this.metrics = metrics;
    this.segDir = join(dir, 'segments');
    this.offDir = join(dir, 'offsets');
    this.statePath = join(dir, 'state.json');
    this.segments = r.segments;
    this.consumers = r.consumers;
    this.liveState = r.state;
    this.checkpointOffset = r.checkpointOffset;
    this.corruptSeen = r.corruptSeen;
    this.writer = new SegmentWriter(this.segDir, r.segments, r.activeFh, r.activeSize, opts.segmentBytes, () => this.onRoll(), log);
  }

  static async open(dir: string, opts: SpoolOptions): Promise<Spool> {
    if (!(opts.segmentBytes > 0) || !(opts.maxBytes > 0)) throw new Error('spool: segmentBytes and maxBytes must be > 0');
    const log = opts.logger.child({ component: 'spool' });
    const metrics = createSpoolMetrics(opts.registry ?? new Registry());
    const recovered = await recoverSpool(dir, log, metrics);
    const spool = new Spool(dir, opts, log, metrics, recovered);
    try {
      await spool.replayState(recovered.replayFrom);
    } catch (e) {
      await spool.writer.close();
      throw e;
    }
    spool.openState = copyState(spool.liveState);
    metrics.segments.set(spool.segments.length);
    metrics.maxBytes.set(opts.maxBytes);
    spool.updateGauges();
    log.info(
      { dir, start: spool.startOffset, end: spool.endOffset, segments: spool.segments.length, consumers: Object.fromEntries(spool.consumers), replayedFrom: recovered.replayFrom },
      'spool opened',
    );
    return spool;
  }

  private async replayState(from: number): Promise<void> {
    let pos = from;
    while (pos < this.endOffset) {
      const batch = await this.read(pos, 10_000, 16 * 1024 * 1024);
      if (batch.length === 0) break;
      for (const e of batch) if (e.entry.state) applyStateChanges(this.liveState, e.entry.state);
      pos = batch[batch.length - 1]!.next;
    }
  }

  /** End of the durable data: the offset the next group commit will start at. */
  get endOffset(): number {
    return this.writer.end;
  }

  /** Start of the oldest segment still on disk. */
  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** The cap on unconsumed bytes (SpoolOptions.maxBytes). */
  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /** Why appends fail, once a write has failed in a way the spool cannot recover from; undefined while healthy. */
  get failure(): Error | undefined {
    return this.writer.broken ?? undefined;
  }

  /** Bytes between the slowest registered consumer (or the oldest segment, with no consumers) and the end. */
  get unconsumedBytes(): number {
    return this.endOffset - this.minConsumerOffset();
  }

  /**
   * Resolves once the entry is fsynced together with every other append of the same group. The entry must not be
   * mutated until then: its state changes are applied to the live state after the fsync.
   */
  append(entry: SpoolEntry): Promise<void> {
    if (this.closing) return Promise.reject(new Error('spool: closed'));
    if (this.writer.broken) return Promise.reject(this.writer.broken);
    let frame: Buffer;
    try {
      frame = encodeFrame(entry);
    } catch (e) {
      return Promise.reject(new Error('spool: entry cannot be serialized', { cause: e }));
    }
    const unconsumed = this.unconsumedBytes + this.pendingBytes;
    if (unconsumed >= this.opts.maxBytes) {
      this.metrics.fullRejections.inc();
      return Promise.reject(new SpoolFullError(unconsumed, this.opts.maxBytes));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, entry, resolve, reject });
      this.pendingBytes += frame.length;
      if (!this.writing) {
        this.writing = true;
        void this.writeLoop();
      }
    });
  }

  /** One group per turn: everything queued is written with one write and one fdatasync. */
  private async writeLoop(): Promise<void> {
    for (;;) {
      // Yield a turn first so that every append made in this turn (and every appender just woken by the last
      // group) joins the group instead of paying for its own fsync.
      await new Promise<void>((r) => setImmediate(r));
      if (this.queue.length === 0) break;
      // Capped so that a burst becomes several fsyncs instead of one huge buffer and one long stall.
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.frame.length <= MAX_GROUP_BYTES)) bytes += this.queue[n++]!.frame.length;
      const group = this.queue.splice(0, n);
      try {
        const buf = group.length === 1 ? group[0]!.frame : Buffer.concat(group.map((p) => p.frame), bytes);
        const started = performance.now();
        const groupStart = this.writer.end;
        await this.writer.write(buf, () => {
          this.tail.add(groupStart, group.map((p) => ({ frame: p.frame, records: p.entry.records })));
          this.pendingBytes -= bytes;
          for (const p of group) if (p.entry.state) applyStateChanges(this.liveState, p.entry.state);
        });
        this.metrics.fsyncDuration.observe((performance.now() - started) / 1000);
        for (const p of group) p.resolve();
        this.afterGroup(group.length, bytes);
      } catch (e) {
        this.pendingBytes -= bytes; // write() only throws before the group is durable
        this.metrics.writeErrors.inc();
        const err = e instanceof Error ? e : new Error(String(e));
        this.log.error({ err, entries: group.length }, 'spool write failed; appends rejected');
        for (const p of group) p.reject(err);
      }
    }
    this.writing = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private onRoll(): void {
    this.metrics.segments.set(this.segments.length);
    // A checkpoint per segment bounds how much a restart has to replay to rebuild the state.
    this.serialize(() => this.checkpoint()).catch((err: unknown) => this.log.error({ err }, 'state checkpoint failed'));
  }

  private afterGroup(entries: number, bytes: number): void {
    this.metrics.fsyncBatches.inc();
    this.metrics.appendedEntries.inc(entries);
    this.metrics.appendedBytes.inc(bytes);
    this.updateGauges();
    const end = this.endOffset;
    for (const w of this.dataWaiters) if (end > w.offset) w.wake();
  }

  private updateGauges(): void {
    const end = this.endOffset;
    this.metrics.unconsumedBytes.set(end - this.minConsumerOffset());
    for (const [name, offset] of this.consumers) this.metrics.consumerLag.set({ consumer: name }, end - offset);
  }

  private minConsumerOffset(): number {
    // With no consumer registered nothing is consumed: the cap then counts everything retained.
    let min = this.consumers.size === 0 ? this.startOffset : Infinity;
    for (const o of this.consumers.values()) if (o < min) min = o;
    return min;
  }

  /**
   * The committed offset of a consumer. A new consumer starts at the oldest retained entry (records are
   * idempotent, so it may see ones another sink already has) and is registered at once: from now on no segment
   * it has not read is deleted.
   */
  consumer(name: string): number {
    assertConsumerName(name);
    const known = this.consumers.get(name);
    if (known !== undefined) return known;
    const offset = this.startOffset;
    this.consumers.set(name, offset);
    this.updateGauges();
    this.serialize(() => writeOffset(this.offDir, name, offset)).catch((err: unknown) => this.log.error({ err, consumer: name }, 'writing consumer offset failed'));
    this.log.info({ consumer: name, offset }, 'new spool consumer');
    return offset;
  }

  /** Names of the consumers that hold segments back (from offsets/ on disk and consumer() calls). */
  consumerNames(): string[] {
    return [...this.consumers.keys()];
  }

  /**
   * Records that `name` has everything before `offset` (an entry's `next`), then deletes the segments every
   * consumer is past. The offset is in effect (for the cap and deletion) at once; the promise is its file write.
   */
  commit(name: string, offset: number): Promise<void> {
    assertConsumerName(name);
    if (this.closed) return Promise.reject(new Error('spool: closed'));
    if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
      return Promise.reject(new RangeError(`spool: commit of ${name} at ${offset} is outside [${this.startOffset}, ${this.endOffset}]`));
    }
    this.consumers.set(name, offset);
    this.tail.trimBefore(this.minConsumerOffset());
    this.updateGauges();
    return this.serialize(async () => {
      const latest = this.consumers.get(name);
      if (latest === undefined) return; // dropped meanwhile
      await writeOffset(this.offDir, name, latest);
      await this.deleteConsumedSegments();
    });
  }

  /** Forgets a consumer (a sink removed from the config) so it no longer holds segments back. */
  dropConsumer(name: string): Promise<void> {
    assertConsumerName(name);
    this.consumers.delete(name);
    this.metrics.consumerLag.remove({ consumer: name });
    this.tail.trimBefore(this.minConsumerOffset());
    this.updateGauges();
    return this.serialize(async () => {
      await removeOffset(this.offDir, name);
      await this.deleteConsumedSegments();
    });
  }

  /** How many of the oldest segments every consumer is past (never the active one). */
  private consumedSegments(): number {
    if (this.consumers.size === 0) return 0;
    const min = this.minConsumerOffset();
    let n = 0;
    while (n < this.segments.length - 1 && this.segments[n + 1]!.base <= min) n++;
    return n;
  }

  private async deleteConsumedSegments(): Promise<void> {
    let n = this.consumedSegments();
    if (n === 0) return;
    const coveredTo = this.segments[n]!.base;
    // The state changes in these segments must live on in the checkpoint before the segments go.
    if (this.checkpointOffset === undefined || this.checkpointOffset < coveredTo) await this.checkpoint();
    // And the offsets that allow the deletion must survive a crash, or a consumer would restart inside a hole.
    await fsyncDir(this.offDir);
    // A consumer registered during those awaits starts at the oldest segment: count again before deleting.
    n = Math.min(n, this.consumedSegments());
    if (n === 0) return;
    const doomed = this.segments.splice(0, n);
    for (const s of doomed) {
      await unlink(s.path).catch((e: unknown) => {
        if (!(isErrnoException(e) && e.code === 'ENOENT')) throw e;
      });
    }
    await fsyncDir(this.segDir);
    this.metrics.segments.set(this.segments.length);
    this.log.debug({ deleted: doomed.map((s) => s.path), start: this.startOffset }, 'deleted consumed segments');
  }

  private async checkpoint(): Promise<void> {
    const offset = this.endOffset;
    if (offset === this.checkpointOffset) return;
    // Serialized in this turn, so the snapshot is exactly the state of the entries before `offset`.
    const text = serializeCheckpoint(offset, this.liveState);
    await writeCheckpoint(this.statePath, text);
    this.checkpointOffset = offset;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(fn);
    this.maintenance = run.then(() => undefined, () => undefined);
    return run;
  }

  /**
   * Entries from `fromOffset` (an entry's `offset` or `next`) up to the durable end, at most `maxEntries` and about
   * `maxBytes` of frames (at least one entry). A corrupt range comes back as an entry with no records spanning it.
   */
  async read(fromOffset: number, maxEntries: number, maxBytes = DEFAULT_READ_BYTES): Promise<SpooledEntry[]> {
    if (this.closed) throw new Error('spool: closed');
    if (fromOffset < this.startOffset) throw new RangeError(`spool: offset ${fromOffset} was deleted (the spool starts at ${this.startOffset})`);
    // Snapshot both together: a roll or a deletion during the read must not change the ranges read.
    const cached = this.tail.read(fromOffset, maxEntries, maxBytes);
    if (cached) return cached;
    const segments = this.segments.slice();
    const end = this.endOffset;
    const out: SpooledEntry[] = [];
    const budget = { maxEntries, maxBytes, used: 0 };
    let pos = fromOffset;
    let i = segments.length - 1;
    while (i > 0 && segments[i]!.base > pos) i--;
    while (pos < end && i < segments.length && out.length < maxEntries) {
      const seg = segments[i]!;
      const segEnd = segments[i + 1]?.base ?? end;
      if (pos < segEnd) {
        try {
          pos = seg.base + (await readSegment(seg, pos - seg.base, segEnd - seg.base, budget, out, (r) => this.reportCorrupt(seg, r)));
        } catch (e) {
          if (isErrnoException(e) && e.code === 'ENOENT' && pos < this.startOffset) {
            throw new RangeError(`spool: offset ${pos} was deleted while being read (the spool starts at ${this.startOffset})`);
          }
          throw e;
        }
        if (pos < segEnd) break; // budget spent
      }
      i++;
    }
    return out;
  }

  private reportCorrupt(seg: Segment, r: SkippedRange): void {
    const offset = seg.base + r.from;
    if (this.corruptSeen.has(offset)) return;
    this.corruptSeen.add(offset);
    this.metrics.corruptRanges.inc();
    this.log.error({ file: seg.path, offset, bytes: r.to - r.from, reason: r.reason }, 'corrupt range inside the spool; skipped to the next valid frame');
  }

  /** Resolves when data past `offset` is durable, when `signal` aborts, or when the spool closes. */
  waitForData(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.endOffset > offset || this.closing || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w: DataWaiter = {
        offset,
        wake: () => {
          this.dataWaiters.delete(w);
          signal?.removeEventListener('abort', w.wake);
          resolve();
        },
      };
      signal?.addEventListener('abort', w.wake, { once: true });
      this.dataWaiters.add(w);
    });
  }

  state(scope: string): ReadonlyMap<string, unknown> {
    return new Map(this.openState.get(scope) ?? []);
  }

  /** Flushes queued appends, checkpoints the state and closes the files. Later appends reject; runs once. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    if (this.writing) await new Promise<void>((r) => this.idleWaiters.push(r));
    for (const w of [...this.dataWaiters]) w.wake();
    try {
      await this.serialize(() => this.checkpoint());
    } catch (err) {
      this.log.error({ err }, 'final state checkpoint failed; the next open replays from the previous one');
    }
    this.closed = true;
    await this.writer.close();
    this.openState = new Map();
    this.log.info({ dir: this.dir, end: this.endOffset }, 'spool closed');
  }
}
