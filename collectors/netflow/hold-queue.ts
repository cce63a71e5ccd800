// Data sets that came before their template: held per (stream, template id), bounded in count, bytes and time.
import type { StreamKey } from './template.js';
import { templateKey } from './template.js';

export interface HoldLimits {
  /** How long a data set waits for its template before it is counted as dropped. */
  holdMs: number;
  /** Sets held per (exporter, domain, template); the oldest is dropped past it. */
  maxSetsPerTemplate: number;
  /** Octets held in total, across all exporters; past it the exporter holding the most loses its oldest set. */
  maxBytes: number;
}

/**
 * Two minutes: routers send templates every N packets or every minute or so (RouterOS: v9-template-timeout, default
 * 30 min on v6, so set it lower), and after a collector restart without saved templates that is the window to cover.
 */
export const DEFAULT_HOLD_LIMITS: HoldLimits = { holdMs: 120_000, maxSetsPerTemplate: 64, maxBytes: 16 * 1024 * 1024 };

/** One held data set with the header context it needs to be decoded later. */
export interface HeldSet {
  stream: StreamKey;
  templateId: number;
  /** A copy: the datagram buffer is not ours to keep. */
  body: Buffer;
  exportMs: number;
  uptimeMs: number | undefined;
  at: number;
}

export class HoldQueue {
  private readonly queues = new Map<string, HeldSet[]>();
  private bytes = 0;
  /** Octets held per exporter address: a flood from one source evicts its own sets, never another's. */
  private readonly perExporter = new Map<string, number>();

  constructor(private readonly limits: HoldLimits = DEFAULT_HOLD_LIMITS) {}

  /** Holds a set; returns how many sets had to be dropped to make room (each is a `no_template` drop). */
  hold(set: Omit<HeldSet, 'body'> & { body: Buffer }): number {
    if (set.body.length > this.limits.maxBytes) return 1;
    let dropped = 0;
    const key = templateKey(set.stream, set.templateId);
    let q = this.queues.get(key);
    if (!q) {
      q = [];
      this.queues.set(key, q);
    }
    while (q.length >= this.limits.maxSetsPerTemplate) dropped += this.removeOldest(key, q);
    while (this.bytes + set.body.length > this.limits.maxBytes) {
      const victim = this.oldestQueue(this.busiestExporter());
      if (!victim) break;
      dropped += this.removeOldest(victim[0], victim[1]);
    }
    q = this.queues.get(key) ?? [];
    this.queues.set(key, q);
    q.push({ ...set, body: Buffer.from(set.body) });
    this.count(set.stream.exporter, set.body.length);
    return dropped;
  }

  /** The held sets for a template that just arrived, oldest first; they leave the queue. */
  release(stream: StreamKey, templateId: number): HeldSet[] {
    const key = templateKey(stream, templateId);
    const q = this.queues.get(key);
    if (!q) return [];
    this.queues.delete(key);
    for (const s of q) this.count(s.stream.exporter, -s.body.length);
    return q;
  }

  /** Drops sets older than the hold time; returns how many. */
  expire(now: number): number {
    let dropped = 0;
    for (const [key, q] of this.queues) {
      while (q.length && now - q[0]!.at >= this.limits.holdMs) dropped += this.removeOldest(key, q);
    }
    return dropped;
  }

  get heldSets(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  private removeOldest(key: string, q: HeldSet[]): number {
    const s = q.shift();
    if (!q.length) this.queues.delete(key);
    if (!s) return 0;
    this.count(s.stream.exporter, -s.body.length);
    return 1;
  }

  private count(exporter: string, bytes: number): void {
    this.bytes += bytes;
    const n = (this.perExporter.get(exporter) ?? 0) + bytes;
    if (n > 0) this.perExporter.set(exporter, n);
    else this.perExporter.delete(exporter);
  }

  private busiestExporter(): string | undefined {
    let best: string | undefined;
    let most = 0;
    for (const [exporter, n] of this.perExporter) if (n > most) [best, most] = [exporter, n];
    return best;
  }

  /** The queue of `exporter` whose oldest set is oldest. */
  private oldestQueue(exporter: string | undefined): [string, HeldSet[]] | undefined {
    let best: [string, HeldSet[]] | undefined;
    for (const e of this.queues) if (e[1].length && e[1][0]!.stream.exporter === exporter && (!best || e[1][0]!.at < best[1][0]!.at)) best = e;
    return best;
  }
}
