// Reads the collectors' state out of a spool directory without opening the spool: safe beside a running daemon.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoException } from './spool-files.js';
import { listSegments, readSegment } from './spool-segments.js';
import { applyStateChanges, readCheckpoint, type StateMaps } from './spool-state.js';

export interface SpoolStateSnapshot {
  state: StateMaps;
  /** Byte ranges that did not decode (a frame still being written at the tail, or corruption): skipped. */
  skippedRanges: number;
}

/**
 * The state as Spool.open would rebuild it (checkpoint, then every state change appended after it), read-only:
 * no lock, no torn-tail cut, no offset written, so a report can run while `wispmeter collect` appends.
 *
 * NOTE: the daemon replaces state.json by rename (a reader sees the old or the new file whole) and writes the
 * checkpoint before it deletes the segments it covers. A segment that vanishes between the listing and the read
 * therefore means a newer checkpoint exists: start over from it (a few times at most). A frame being appended at
 * the tail fails its length or CRC check and is skipped, as if read a moment earlier.
 */
export async function readSpoolState(dir: string, attempts = 5): Promise<SpoolStateSnapshot | undefined> {
  try {
    await stat(join(dir, 'segments'));
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOnce(dir);
    } catch (e) {
      if (!(isErrnoException(e) && e.code === 'ENOENT') || attempt >= attempts) throw new Error(`reading the spool state in ${dir}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}

async function readOnce(dir: string): Promise<SpoolStateSnapshot> {
  const checkpoint = await readCheckpoint(join(dir, 'state.json'));
  const state: StateMaps = checkpoint?.state ?? new Map();
  const from = checkpoint?.offset ?? 0;
  const segments = await listSegments(join(dir, 'segments'));
  let skippedRanges = 0;
  for (const [i, seg] of segments.entries()) {
    const next = segments[i + 1]?.base;
    if (next !== undefined && next <= from) continue;
    // The last segment grows while we read: its size now is where this read ends.
    const end = (await stat(seg.path)).size;
    let pos = Math.max(0, from - seg.base);
    while (pos < end) {
      const out: Parameters<typeof readSegment>[4] = [];
      pos = await readSegment(seg, pos, end, { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024, used: 0 }, out, () => skippedRanges++);
      for (const e of out) if (e.entry.state) applyStateChanges(state, e.entry.state);
      if (out.length === 0) break;
    }
  }
  return { state, skippedRanges };
}
