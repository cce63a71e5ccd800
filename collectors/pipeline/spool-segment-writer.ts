// The spool's write end: appends a group to the last segment with one write and one fdatasync, and rolls segments.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { fsyncDir } from './spool-files.js';
import { segmentPath, type Segment } from './spool-segments.js';

/**
 * Segments are written with O_DSYNC: each write returns once its data is on disk, the same guarantee as write
 * then fdatasync, in one trip to the thread pool instead of two (on 2 busy cores each trip is a context switch).
 */
export const SEGMENT_WRITE_FLAGS = constants.O_RDWR | constants.O_DSYNC;

export class SegmentWriter {
  /** Set when a failed write could not be undone: the file may hold garbage, so nothing more is appended. */
  broken: Error | undefined;

  /**
   * `segments` is the spool's list, shared: a roll pushes the new segment onto it. `size` is the durable size of
   * the last segment, whose handle is `fh`.
   */
  constructor(
    private readonly segDir: string,
    private readonly segments: Segment[],
    private fh: FileHandle,
    private size: number,
    private readonly segmentBytes: number,
    private readonly onRoll: () => void,
    private readonly log: Logger,
  ) {}

  /** End of the durable data: where the next write starts. */
  get end(): number {
    return this.segments[this.segments.length - 1]!.base + this.size;
  }

  /**
   * Writes `buf` at the end and fdatasyncs it. `onDurable` runs synchronously with the end moving forward, so no
   * other task can observe the new end without what `onDurable` does (the spool applies state changes there).
   */
  async write(buf: Buffer, onDurable: () => void): Promise<void> {
    if (this.broken) throw this.broken;
    // Rolling before a write, not after, keeps a group in one segment: frames never span two files.
    if (this.size >= this.segmentBytes) await this.roll();
    const fh = this.fh;
    try {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await fh.write(buf, done, buf.length - done, this.size + done);
        done += bytesWritten;
      }
    } catch (e) {
      await this.undo(fh);
      throw new Error(`spool: write to ${this.segments[this.segments.length - 1]!.path} failed`, { cause: e });
    }
    this.size += buf.length;
    onDurable();
  }

  /** Without this, the next group would land after the garbage of the failed one and hide behind a "torn tail". */
  private async undo(fh: FileHandle): Promise<void> {
    try {
      await fh.truncate(this.size);
      await fh.datasync();
    } catch (e) {
      this.broken = new Error('spool: a failed write could not be undone; appends are refused until restart', { cause: e });
      this.log.fatal({ err: e }, this.broken.message);
    }
  }

  private async roll(): Promise<void> {
    const base = this.end;
    const path = segmentPath(this.segDir, base);
    // 'w', not 'wx': a roll that failed at the directory fsync is retried over its own empty file.
    const fh = await open(path, SEGMENT_WRITE_FLAGS | constants.O_CREAT | constants.O_TRUNC);
    try {
      await fsyncDir(this.segDir);
    } catch (e) {
      await fh.close();
      throw e;
    }
    const old = this.fh;
    this.fh = fh;
    this.size = 0;
    this.segments.push({ base, path });
    await old.close();
    this.onRoll();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
