// The newest durable entries kept in memory, so sink runners that keep up never re-read and re-parse the disk.
import type { SpooledEntry } from './spool-types.js';

/**
 * Entries in offset order, contiguous: each one's `offset` is the previous one's `next`. Only records are kept
 * (readers of the live spool want nothing else; state is replayed from disk at open). Bounded by frame bytes:
 * past the budget the oldest go, and a reader that far behind reads the disk as before.
 */
export class TailCache {
  private entries: SpooledEntry[] = [];
  /** Index of the first live entry in `entries` (dropping from the front without shifting every time). */
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a durable group that starts at `offset`; frames' sizes give each entry's span. */
  add(offset: number, group: readonly { frame: Buffer; records: SpooledEntry['entry']['records'] }[]): void {
    const last = this.entries[this.entries.length - 1];
    // A gap (a group we never saw, e.g. after a failed write was undone) breaks contiguity: start over.
    if (last && last.next !== offset) this.clear();
    let pos = offset;
    for (const { frame, records } of group) {
      this.entries.push({ offset: pos, next: pos + frame.length, entry: { records } });
      pos += frame.length;
      this.bytes += frame.length;
    }
    while (this.bytes > this.maxBytes && this.head < this.entries.length) this.dropOne();
    this.compact();
  }

  /** Forgets everything before `offset` (every consumer is past it). */
  trimBefore(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.next <= offset) this.dropOne();
    this.compact();
  }

  /**
   * Entries from exactly `offset`, within the limits; undefined when the cache does not start at or before it
   * (the caller reads the disk instead).
   */
  read(offset: number, maxEntries: number, maxBytes: number): SpooledEntry[] | undefined {
    if (this.head >= this.entries.length || this.entries[this.head]!.offset > offset) return undefined;
    if (this.entries[this.entries.length - 1]!.next === offset) return [];
    let i = this.search(offset);
    if (i === undefined) return undefined;
    const out: SpooledEntry[] = [];
    let used = 0;
    for (; i < this.entries.length && out.length < maxEntries; i++) {
      const e = this.entries[i]!;
      const size = e.next - e.offset;
      if (out.length > 0 && used + size > maxBytes) break;
      used += size;
      out.push(e);
    }
    return out;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }

  private search(offset: number): number | undefined {
    let lo = this.head;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.entries[mid]!.offset;
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined; // not an entry boundary: let the disk path report it as it always has
  }

  private dropOne(): void {
    const e = this.entries[this.head++]!;
    this.bytes -= e.next - e.offset;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
