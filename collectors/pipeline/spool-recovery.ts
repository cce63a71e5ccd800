// Opening a spool directory after a clean stop or a crash: segments, torn tail, consumer offsets, checkpoint.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadOffsets } from './spool-consumers.js';
import { fsyncDir } from './spool-files.js';
import type { SpoolMetrics } from './spool-metrics.js';
import { listSegments, scanSegment, segmentPath, type Segment } from './spool-segments.js';
import { SEGMENT_WRITE_FLAGS } from './spool-segment-writer.js';
import { readCheckpoint, type StateMaps } from './spool-state.js';

export interface RecoveredSpool {
  /** At least one; the last is the active segment, open as `activeFh` with `activeSize` valid bytes. */
  segments: Segment[];
  activeFh: FileHandle;
  activeSize: number;
  /** Clamped into [start, end]. */
  consumers: Map<string, number>;
  /** The checkpointed state; the caller replays entries from `replayFrom` on top of it. */
  state: StateMaps;
  checkpointOffset: number | undefined;
  replayFrom: number;
  /** Offsets of corrupt ranges already reported, so readers do not report them again. */
  corruptSeen: Set<number>;
}

export async function recoverSpool(dir: string, log: Logger, metrics: SpoolMetrics): Promise<RecoveredSpool> {
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
  const activeFh = await open(last.path, SEGMENT_WRITE_FLAGS);
  const corruptSeen = new Set<number>();
  let activeSize: number;
  try {
    activeSize = await cutTornTail(activeFh, last, log, metrics, corruptSeen);
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

  let replayFrom = checkpoint?.offset ?? start;
  if (replayFrom < start || (!checkpoint && start > 0)) {
    log.warn({ checkpoint: checkpoint?.offset ?? null, start }, 'state changes before the oldest segment were deleted without a checkpoint');
    replayFrom = start;
  }
  if (replayFrom > end) log.warn({ checkpoint: replayFrom, end }, 'state checkpoint is ahead of the spool end');

  return {
    segments, activeFh, activeSize, consumers, corruptSeen, replayFrom,
    state: checkpoint?.state ?? new Map(),
    checkpointOffset: checkpoint?.offset,
  };
}

/** Cuts a torn tail off the last segment and returns its valid size. Corruption followed by valid frames is kept. */
async function cutTornTail(fh: FileHandle, seg: Segment, log: Logger, metrics: SpoolMetrics, corruptSeen: Set<number>): Promise<number> {
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
