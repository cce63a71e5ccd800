// Spool segment files: naming, listing, scanning a segment for its valid end, and reading frames back.
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrameAt, findNextFrame, HEADER_BYTES } from './spool-frame.js';
import type { SpooledEntry } from './spool-types.js';

/** A segment holds the global byte range [base, next segment's base); the last one is being appended to. */
export interface Segment {
  base: number;
  path: string;
}

const NAME = /^(\d{20})\.log$/;
/** Larger reads are split; a single frame bigger than this is still read whole. */
const MAX_WINDOW = 16 * 1024 * 1024;

/** Zero-padded so that a plain directory listing sorts segments by offset. */
export function segmentPath(dir: string, base: number): string {
  return join(dir, `${base.toString().padStart(20, '0')}.log`);
}

export async function listSegments(dir: string): Promise<Segment[]> {
  const names = await readdir(dir);
  const segments: Segment[] = [];
  for (const n of names) {
    const m = NAME.exec(n);
    if (m) segments.push({ base: Number(m[1]), path: join(dir, n) });
  }
  return segments.sort((a, b) => a.base - b.base);
}

export async function readAt(fh: FileHandle, pos: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** A corrupt range: [from, to) relative to the segment, skipped to the next valid frame. */
export interface SkippedRange {
  from: number;
  to: number;
  reason: string;
}

/**
 * Walks a whole segment. `end` is where the last valid frame ends; bytes after it are a torn tail. Corruption
 * followed by a valid frame is not a tail: it is skipped (and reported) so the frames after it are kept.
 */
export function scanSegment(buf: Buffer): { end: number; skipped: SkippedRange[]; tailReason?: string } {
  const skipped: SkippedRange[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeFrameAt(buf, pos);
    if (r.kind === 'ok') {
      pos = r.next;
      continue;
    }
    const reason = r.kind === 'short' ? 'truncated frame' : r.reason;
    const next = findNextFrame(buf, pos + 1);
    if (!next) return { end: pos, skipped, tailReason: reason };
    skipped.push({ from: pos, to: next.pos, reason });
    pos = next.pos;
  }
  return { end: pos, skipped };
}

export interface ReadBudget {
  maxEntries: number;
  maxBytes: number;
  /** Frame bytes taken so far by this read, across segments. */
  used: number;
}

/**
 * Reads whole frames from [pos, end) of one segment into `out` until the budget is spent; returns where it
 * stopped. The first frame is always taken even if it alone is over maxBytes, so a reader never stalls.
 * A corrupt range is returned as an entry with no records spanning the skipped bytes: consumers then commit
 * past it like any other entry instead of stopping at it.
 */
export async function readSegment(
  seg: Segment,
  pos: number,
  end: number,
  budget: ReadBudget,
  out: SpooledEntry[],
  onCorrupt: (range: SkippedRange) => void,
): Promise<number> {
  const fh = await open(seg.path, 'r');
  try {
    let buf: Buffer = Buffer.alloc(0);
    let bufPos = pos;
    while (pos < end && out.length < budget.maxEntries) {
      const r = decodeFrameAt(buf, pos - bufPos);
      if (r.kind === 'ok') {
        const size = r.next - (pos - bufPos);
        if (out.length > 0 && budget.used + size > budget.maxBytes) break;
        out.push({ offset: seg.base + pos, next: seg.base + pos + size, entry: r.entry });
        budget.used += size;
        pos += size;
        continue;
      }
      if (r.kind === 'short' && pos + r.need <= end) {
        if (out.length > 0 && budget.used + r.need > budget.maxBytes) break;
        const want = Math.max(r.need, Math.min(end - pos, budget.maxBytes - budget.used, MAX_WINDOW));
        buf = await readAt(fh, pos, want);
        bufPos = pos;
        // A file shorter than its range (truncated behind our back) falls through to the corrupt path.
        if (buf.length >= r.need) continue;
      }
      const reason = r.kind === 'corrupt' ? r.reason : r.need > HEADER_BYTES ? 'frame runs past the segment end' : 'truncated header';
      const rest = await readAt(fh, pos, end - pos);
      const found = findNextFrame(rest, 1);
      const to = found ? pos + found.pos : end;
      onCorrupt({ from: pos, to, reason });
      out.push({ offset: seg.base + pos, next: seg.base + to, entry: { records: [] } });
      buf = rest;
      bufPos = pos;
      pos = to;
    }
    return pos;
  } finally {
    await fh.close();
  }
}
