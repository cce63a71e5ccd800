// Sums attributed flows into per (subscriber, class, device, bucket) usage deltas; bounded, flushed by time.
import { recordId, type UsageRecord } from '../pipeline/usage-record.js';
import type { Attribution } from './attribution.js';

/** Pseudo-subscribers under which traffic that belongs to no one (or to two customers at once) is kept. */
export const UNATTRIBUTED = '(unattributed)';
export const INTERNAL = '(internal)';

export interface AggregatorOptions {
  bucketMs: number;
  /** Past this many open (subscriber, class, device, bucket) keys, the oldest buckets are flushed early. */
  maxOpenKeys: number;
  /**
   * Distinguishes this run's records from an earlier run's for the same bucket (e.g. the start time in ms),
   * so a bucket flushed again after a restart adds a record instead of overwriting the earlier one.
   */
  runId: number;
}

interface Open {
  subscriber: string;
  class: string;
  device: string;
  bucket: number;
  down: bigint;
  up: bigint;
}

/**
 * NOTE: a flow is counted whole in the bucket holding its end time, as UsageRecord attributes an interval to
 * its end. Exporters cut long flows every active timeout (MikroTik: 30 min by default, set it to 1 min for
 * per-minute usage), so usage lands at most one active timeout late and is never split with rounding.
 */
export class UsageAggregator {
  private readonly open = new Map<string, Open>();
  /** Counts every record this run emits: a bucket flushed again (late flows) gets a new id, never an overwrite. */
  private seq = 0;

  constructor(private readonly opts: AggregatorOptions) {}

  get openKeys(): number {
    return this.open.size;
  }

  /** Adds sampled-up octets of one flow; `bytes` already multiplied by the sampling interval. */
  add(a: Attribution, cls: string, device: string, end: number, bytes: bigint): UsageRecord[] {
    const bucket = end - (((end % this.opts.bucketMs) + this.opts.bucketMs) % this.opts.bucketMs);
    switch (a.kind) {
      case 'subscriber':
        this.sum(a.subscriber, cls, device, bucket, a.direction === 'down' ? bytes : 0n, a.direction === 'up' ? bytes : 0n);
        break;
      // Neither kind has a direction from a subscriber's side: the octets are kept in bytesDown.
      case 'internal':
        this.sum(INTERNAL, cls, device, bucket, bytes, 0n);
        break;
      case 'unattributed':
        this.sum(UNATTRIBUTED, cls, device, bucket, bytes, 0n);
        break;
      default: {
        const never: never = a;
        return never;
      }
    }
    // Past the cap, flush the oldest tenth at once: sorting on every add would cost O(n log n) per flow.
    return this.open.size > this.opts.maxOpenKeys ? this.flushOldest(Math.max(1, Math.ceil(this.opts.maxOpenKeys / 10))) : [];
  }

  /** Records of buckets that ended at least `graceMs` before `now` (all of them with `now = Infinity`). */
  flush(now: number, graceMs: number): UsageRecord[] {
    const out: UsageRecord[] = [];
    for (const [key, o] of this.open) if (o.bucket + this.opts.bucketMs + graceMs <= now) out.push(this.close(key, o));
    return out;
  }

  private sum(subscriber: string, cls: string, device: string, bucket: number, down: bigint, up: bigint): void {
    const key = `${subscriber}\0${cls}\0${device}\0${bucket}`;
    const o = this.open.get(key);
    if (o) {
      o.down += down;
      o.up += up;
    } else {
      this.open.set(key, { subscriber, class: cls, device, bucket, down, up });
    }
  }

  private flushOldest(n: number): UsageRecord[] {
    const byAge = [...this.open].sort((x, y) => x[1].bucket - y[1].bucket).slice(0, n);
    return byAge.map(([key, o]) => this.close(key, o));
  }

  private close(key: string, o: Open): UsageRecord {
    this.open.delete(key);
    // NetFlow has no retransmits to deduplicate: the id only has to be unique, and stays fixed through spool replays.
    return {
      id: recordId('netflow', o.device, o.subscriber, o.class, o.bucket, this.opts.runId, this.seq++),
      source: 'netflow',
      device: o.device,
      subscriber: o.subscriber,
      ...(o.class ? { class: o.class } : {}),
      start: o.bucket,
      end: o.bucket + this.opts.bucketMs,
      bytesDown: o.down,
      bytesUp: o.up,
    };
  }
}
