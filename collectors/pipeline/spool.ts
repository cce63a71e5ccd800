// The durable spool: an append-only checksummed log with group commit, named consumers, a size cap and collector state.
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { assertConsumerName, loadOffsets, removeOffset, writeOffset } from './spool-consumers.js';
import { fsyncDir, isErrnoException } from './spool-files.js';
import { encodeFrame } from './spool-frame.js';
import { createSpoolMetrics, type SpoolMetrics } from './spool-metrics.js';
import { listSegments, readSegment, scanSegment, segmentPath, type Segment, type SkippedRange } from './spool-segments.js';
import { applyStateChanges, copyState, readCheckpoint, serializeCheckpoint, writeCheckpoint, type StateMaps } from './spool-state.js';
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

interface SpoolInit {
  dir: string;
  opts: SpoolOptions;
  log: Logger;
  metrics: SpoolMetrics;
  segments: Segment[];
  activeFh: FileHandle;
  activeSize: number;
  consumers: Map<string, number>;
  state: StateMaps;
  checkpointOffset: number | undefined;
  corruptSeen: Set<number>;
}

const DEFAULT_READ_BYTES = 4 * 1024 * 1024;

/**
 * Files under `dir`: segments/<20-digit base offset>.log, offsets/<consumer>, state.json.
 * Offsets are global byte positions that never go back, not even when every segment has been deleted.
 *
 * Readers only ever see bytes that have been fsynced: a consumer can therefore never commit an offset that a
 * crash takes back, and the offsets appended after a restart cannot collide with ones it already read.
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
  private readonly segments: Segment[];
  private activeFh: FileHandle;
  /** Durable size of the last segment; the end of the spool is its base plus this. */
  private activeSize: number;
  private readonly consumers: Map<string, number>;
  /** Collector state as of the durable end, kept current by every commit. */
  private readonly liveState: StateMaps;
  /** The state as it stood at open: what state(scope) answers. */
  private openState: StateMaps = new Map();
  private checkpointOffset: number | undefined;
  private readonly corruptSeen: Set<number>;

  private queue: PendingAppend[] = [];
  /** Bytes queued or being written: counted against the cap before they are durable. */
  private pendingBytes = 0;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly dataWaiters = new Set<DataWaiter>();
  /** Offset files, checkpoints and deletions run one at a time, in order. */
  private maintenance: Promise<void> = Promise.resolve();
  /** Set when a failed write could not be undone: the file may hold garbage, so nothing more is appended. */
  private broken: Error | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(init: SpoolInit) {
    this.dir = init.dir;
    this.opts = init.opts;
    this.log = init.log;
    this.metrics = init.metrics;
    this.segDir = join(init.dir, 'segments');
    this.offDir = join(init.dir, 'offsets');
    this.statePath = join(init.dir, 'state.json');
    this.segments = init.segments;
    this.activeFh = init.activeFh;
    this.activeSize = init.activeSize;
    this.consumers = init.consumers;
    this.liveState = init.state;
    this.checkpointOffset = init.checkpointOffset;
    this.corruptSeen = init.corruptSeen;
  }

  static async open(dir: string, opts: SpoolOptions): Promise<Spool> {
    if (!(opts.segmentBytes > 0) || !(opts.maxBytes > 0)) throw new Error('spool: segmentBytes and maxBytes must be > 0');
    const log = opts.logger.child({ component: 'spool' });
    const metrics = createSpoolMetrics(opts.registry ?? new Registry());
    const segDir = join(dir, 'segments');
    const offDir = join(dir, 'offsets');
    await mkdir(segDir, { recursive: true });
    await mkdir(offDir, { recursive: true });

    const statePath = join(dir, 'state.json');
    const checkpoint = await readCheckpoint(statePath).catch((err: unknown) => {
      // Refusing to start would stop metering altogether; losing state costs at most one delta per open session.
      log.error({ err, file: statePath }, 'state checkpoint unreadable; state is rebuilt from the retained segments only');
      return undefined;
    });
    const consumers = await loadOffsets(offDir, (file, why) => log.error({ file: join(offDir, file), why }, 'ignoring consumer offset file'));

    let segments = await listSegments(segDir);
    if (segments.length === 0) {
      // Offsets never go back: a fresh segment starts where the consumers and the checkpoint left off.
      const base = Math.max(0, checkpoint?.offset ?? 0, ...consumers.values());
      const path = segmentPath(segDir, base);
      await (await open(path, 'w')).close();
      await fsyncDir(segDir);
      await fsyncDir(dir);
      segments = [{ base, path }];
    }
    const last = segments[segments.length - 1]!;
    const activeFh = await open(last.path, 'r+');
    const corruptSeen = new Set<number>();
    let activeSize: number;
    try {
      activeSize = await Spool.recoverTail(activeFh, last, log, metrics, corruptSeen);
    } catch (e) {
      await activeFh.close();
      throw e;
    }

    const start = segments[0]!.base;
    const end = last.base + activeSize;
    for (const [name, offset] of consumers) {
      const clamped = Math.min(Math.max(offset, start), end);
      if (clamped !== offset) {
        log.warn({ consumer: name, offset, start, end }, 'consumer offset outside the spool; clamped');
        consumers.set(name, clamped);
      }
    }

    const spool = new Spool({
      dir, opts, log, metrics, segments, activeFh, activeSize, consumers,
      state: checkpoint?.state ?? new Map(),
      checkpointOffset: checkpoint?.offset,
      corruptSeen,
    });
    let replayFrom = checkpoint?.offset ?? start;
    if (replayFrom < start || (!checkpoint && start > 0)) {
      log.warn({ checkpoint: checkpoint?.offset ?? null, start }, 'state changes before the oldest segment were deleted without a checkpoint');
      replayFrom = start;
    }
    if (replayFrom > end) log.warn({ checkpoint: replayFrom, end }, 'state checkpoint is ahead of the spool end');
    try {
      await spool.replayState(replayFrom);
    } catch (e) {
      await activeFh.close();
      throw e;
    }
    spool.openState = copyState(spool.liveState);
    metrics.segments.set(segments.length);
    spool.updateGauges();
    log.info({ dir, start, end, segments: segments.length, consumers: Object.fromEntries(consumers), replayedFrom: replayFrom }, 'spool opened');
    return spool;
  }

  /** Cuts a torn tail off the last segment and returns its valid size. Corruption followed by valid frames is kept. */
  private static async recoverTail(fh: FileHandle, seg: Segment, log: Logger, metrics: SpoolMetrics, corruptSeen: Set<number>): Promise<number> {
    const buf = await fh.readFile();
    const scan = scanSegment(buf);
    for (const s of scan.skipped) {
      corruptSeen.add(seg.base + s.from);
      metrics.corruptRanges.inc();
      log.error({ file: seg.path, offset: seg.base + s.from, bytes: s.to - s.from, reason: s.reason }, 'corrupt range inside the spool; skipped to the next valid frame');
    }
    if (scan.end < buf.length) {
      await fh.truncate(scan.end);
      await fh.datasync();
      metrics.tornTailCuts.inc();
      metrics.tornTailBytes.inc(buf.length - scan.end);
      log.warn({ file: seg.path, offset: seg.base + scan.end, bytesCut: buf.length - scan.end, reason: scan.tailReason }, 'cut a torn tail from the spool');
    }
    return scan.end;
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
    return this.segments[this.segments.length - 1]!.base + this.activeSize;
  }

  /** Start of the oldest segment still on disk. */
  get startOffset(): number {
    return this.segments[0]!.base;
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
    if (this.broken) return Promise.reject(this.broken);
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
      const group = this.queue;
      this.queue = [];
      let bytes = 0;
      for (const p of group) bytes += p.frame.length;
      try {
        if (this.broken) throw this.broken;
        await this.writeGroup(group, bytes);
        for (const p of group) p.resolve();
        this.afterGroup(group.length, bytes);
      } catch (e) {
        this.pendingBytes -= bytes; // writeGroup only throws before it counts the group as durable
        this.metrics.writeErrors.inc();
        const err = e instanceof Error ? e : new Error(String(e));
        this.log.error({ err, entries: group.length }, 'spool write failed; appends rejected');
        for (const p of group) p.reject(err);
      }
    }
    this.writing = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async writeGroup(group: PendingAppend[], bytes: number): Promise<void> {
    if (this.activeSize >= this.opts.segmentBytes) await this.roll();
    const buf = group.length === 1 ? group[0]!.frame : Buffer.concat(group.map((p) => p.frame), bytes);
    const fh = this.activeFh;
    const started = performance.now();
    try {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await fh.write(buf, done, buf.length - done, this.activeSize + done);
        done += bytesWritten;
      }
      await fh.datasync();
    } catch (e) {
      await this.undoPartialWrite(fh);
      throw new Error(`spool: write to ${this.segments[this.segments.length - 1]!.path} failed`, { cause: e });
    }
    this.metrics.fsyncDuration.observe((performance.now() - started) / 1000);
    // In one synchronous step with the new end: a checkpoint running between an await here would otherwise
    // claim to cover entries whose state changes it does not hold.
    this.activeSize += bytes;
    this.pendingBytes -= bytes;
    for (const p of group) if (p.entry.state) applyStateChanges(this.liveState, p.entry.state);
  }

  /** Without this, the next group would land after the garbage of the failed one and hide behind a "torn tail". */
  private async undoPartialWrite(fh: FileHandle): Promise<void> {
    try {
      await fh.truncate(this.activeSize);
      await fh.datasync();
    } catch (e) {
      this.broken = new Error('spool: a failed write could not be undone; appends are refused until restart', { cause: e });
      this.log.fatal({ err: e }, this.broken.message);
    }
  }

  private async roll(): Promise<void> {
    const base = this.endOffset;
    const path = segmentPath(this.segDir, base);
    // 'w', not 'wx': a roll that failed at the directory fsync is retried over its own empty file.
    const fh = await open(path, 'w');
    try {
      await fsyncDir(this.segDir);
    } catch (e) {
      await fh.close();
      throw e;
    }
    const old = this.activeFh;
    this.activeFh = fh;
    this.activeSize = 0;
    this.segments.push({ base, path });
    this.metrics.segments.set(this.segments.length);
    await old.close();
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
    this.updateGauges();
    return this.serialize(async () => {
      await removeOffset(this.offDir, name);
      await this.deleteConsumedSegments();
    });
  }

  private async deleteConsumedSegments(): Promise<void> {
    if (this.consumers.size === 0) return;
    const min = this.minConsumerOffset();
    let n = 0;
    while (n < this.segments.length - 1 && this.segments[n + 1]!.base <= min) n++;
    if (n === 0) return;
    const coveredTo = this.segments[n]!.base;
    // The state changes in these segments must live on in the checkpoint before the segments go.
    if (this.checkpointOffset === undefined || this.checkpointOffset < coveredTo) await this.checkpoint();
    // And the offsets that allow the deletion must survive a crash, or a consumer would restart inside a hole.
    await fsyncDir(this.offDir);
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
    await this.activeFh.close();
    this.openState = new Map();
    this.log.info({ dir: this.dir, end: this.endOffset }, 'spool closed');
  }
}
