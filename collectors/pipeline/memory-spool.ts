// An in-memory SpoolWriter for tests: keeps entries and state, with a controllable delay and failure.
import type { SpoolEntry, SpoolWriter } from './spool-types.js';
import type { UsageRecord } from './usage-record.js';

export class MemorySpool implements SpoolWriter {
  readonly entries: SpoolEntry[] = [];
  private readonly scopes = new Map<string, Map<string, unknown>>();
  /** Set to make the next appends reject (e.g. with SpoolFullError). */
  failWith: Error | undefined;
  /** Each append waits this long, standing in for the fsync. */
  delayMs = 0;
  /** When set, appends wait until release() is called. */
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(initial?: Record<string, Record<string, unknown>>) {
    for (const [scope, kv] of Object.entries(initial ?? {})) this.scopes.set(scope, new Map(Object.entries(kv)));
  }

  async append(entry: SpoolEntry): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    // Deep copy through JSON-like cloning, as a real spool serializes (bigints survive structuredClone).
    const copy = structuredClone(entry);
    this.entries.push(copy);
    for (const c of copy.state ?? []) {
      const m = this.scopes.get(c.scope) ?? new Map<string, unknown>();
      this.scopes.set(c.scope, m);
      if (c.value === null) m.delete(c.key);
      else m.set(c.key, c.value);
    }
  }

  state(scope: string): ReadonlyMap<string, unknown> {
    return new Map(this.scopes.get(scope) ?? []);
  }

  /** Holds every append until release(). */
  hold(): void {
    this.gate = new Promise((r) => { this.openGate = r; });
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  records(): UsageRecord[] {
    return this.entries.flatMap((e) => e.records);
  }

  /** Per subscriber: summed deltas, with records deduplicated by id as a store would (last write wins). */
  totals(): Map<string, { bytesDown: bigint; bytesUp: bigint }> {
    const byId = new Map<string, UsageRecord>();
    for (const r of this.records()) byId.set(r.id, r);
    const out = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
    for (const r of byId.values()) {
      const t = out.get(r.subscriber) ?? { bytesDown: 0n, bytesUp: 0n };
      t.bytesDown += r.bytesDown;
      t.bytesUp += r.bytesUp;
      out.set(r.subscriber, t);
    }
    return out;
  }
}
