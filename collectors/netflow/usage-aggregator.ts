// Sums attributed flows into per (subscriber, class, device, bucket) usage deltas; bounded, flushed by time.
import { recordId, type UsageRecord } from '../pipeline/usage-record.js';
import type { FlowCount } from './flow-record.js';

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

/** One open (subscriber, class, device, bucket) sum; octets in a double plus a bigint carry (see addOctets). */
interface Open {
  subscriber: string;
  class: string;
  device: string;
  bucket: number;
  down: number;
  up: number;
  downCarry: bigint;
  upCarry: bigint;
  /** The map of its (bucket, device, class) that holds it. */
  sums: Map<string, Open>;
}

/** The sums of one (bucket, device, class), by subscriber. */
interface OpenGroup {
  bucket: number;
  device: string;
  class: string;
  subscribers: Map<string, Open>;
}

/** bucket → device → class → subscriber → sum. */
type Buckets = Map<number, Map<string, Map<string, Map<string, Open>>>>;

const NONE: readonly UsageRecord[] = Object.freeze([]);

/** 4,096 slots of recently added-to sums (UsageAggregator.recent): 32 KB. */
const RECENT_BITS = 12;

/**
 * NOTE: a flow is counted whole in the bucket holding its end time, as UsageRecord attributes an interval to
 * its end. Exporters cut long flows every active timeout (MikroTik: 30 min by default, set it to 1 min for
 * per-minute usage), so usage lands at most one active timeout late and is never split with rounding.
 */
export class UsageAggregator {
  /**
   * Nested maps rather than one map keyed by `${subscriber}\0${class}\0${device}\0${bucket}`: building and
   * hashing that string per flow was a tenth of the collector's time; the nested keys are strings the config
   * already holds (their hashes are cached) and a bucket number.
   */
  private readonly buckets: Buckets = new Map();
  private size = 0;
  /**
   * The two (bucket, device, class) last added to, the latest first: a datagram's flows mostly share one, and for a
   * while after a bucket's end they alternate between it and the next (three Map lookups and an fmod per flow).
   */
  private last: OpenGroup | undefined;
  private previous: OpenGroup | undefined;
  /** Counts every record this run emits: a bucket flushed again (late flows) gets a new id, never an overwrite. */
  private seq = 0;
  /**
   * Sums recently added to, in a slot picked by the caller's `hint` (the flow end's IPv4 address): a hit, checked
   * to be this subscriber's sum in this (bucket, device, class), skips the Map lookup by subscriber name, which was
   * an eighth of the collector's hot path. A miss or a collision costs only that lookup. Emptied whenever sums are
   * closed, so a closed sum is never added to.
   */
  private readonly recent: (Open | undefined)[] = new Array<Open | undefined>(2 ** RECENT_BITS).fill(undefined);

  constructor(private readonly opts: AggregatorOptions) {}

  get openKeys(): number {
    return this.size;
  }

  /**
   * Adds sampled-up octets of one flow (already multiplied by the sampling interval) to `subscriber`'s down or up.
   * `hint`: any number that usually goes with the subscriber (the IPv4 address it was found by); it only picks a
   * cache slot (`recent`), so any value is correct. Returns records the key cap made it flush early (a shared empty
   * array when none, nearly always).
   */
  add(subscriber: string, direction: 'down' | 'up', cls: string, device: string, end: number, octets: FlowCount, hint = 0): readonly UsageRecord[] {
    const group = this.groupOf(end, device, cls);
    const slot = Math.imul(hint, 0x9e3779b1) >>> (32 - RECENT_BITS);
    let o = this.recent[slot];
    if (o === undefined || o.sums !== group.subscribers || o.subscriber !== subscriber) {
      o = group.subscribers.get(subscriber);
      if (!o) {
        o = { subscriber, class: cls, device, bucket: group.bucket, down: 0, up: 0, downCarry: 0n, upCarry: 0n, sums: group.subscribers };
        group.subscribers.set(subscriber, o);
        this.size++;
      }
      this.recent[slot] = o;
    }
    addOctets(o, direction, octets);
    // Past the cap, flush the oldest tenth at once: sorting on every add would cost O(n log n) per flow.
    return this.size > this.opts.maxOpenKeys ? this.flushOldest(Math.max(1, Math.ceil(this.opts.maxOpenKeys / 10))) : NONE;
  }

  /** Records of buckets that ended at least `graceMs` before `now` (all of them with `now = Infinity`). */
  flush(now: number, graceMs: number): UsageRecord[] {
    const out: UsageRecord[] = [];
    for (const [bucket, devices] of this.buckets) {
      if (bucket + this.opts.bucketMs + graceMs > now) continue;
      for (const classes of devices.values()) for (const subscribers of classes.values()) for (const o of subscribers.values()) out.push(this.close(o));
      this.buckets.delete(bucket);
    }
    this.last = this.previous = undefined;
    this.recent.fill(undefined);
    return out;
  }

  /** The sums of the bucket holding `end`, for `device` and `cls`. */
  private groupOf(end: number, device: string, cls: string): OpenGroup {
    const last = this.last;
    return last !== undefined && this.holds(last, end, device, cls) ? last : this.otherGroup(end, device, cls);
  }

  /** groupOf() when the last group is not the flow's: the one before it, or the maps' (apart, for inlining). */
  private otherGroup(end: number, device: string, cls: string): OpenGroup {
    const { last, previous } = this;
    if (previous && this.holds(previous, end, device, cls)) {
      this.previous = last;
      this.last = previous;
      return previous;
    }
    const bucketMs = this.opts.bucketMs;
    const bucket = end - (((end % bucketMs) + bucketMs) % bucketMs);
    let devices = this.buckets.get(bucket);
    if (!devices) this.buckets.set(bucket, (devices = new Map()));
    let classes = devices.get(device);
    if (!classes) devices.set(device, (classes = new Map()));
    let subscribers = classes.get(cls);
    if (!subscribers) classes.set(cls, (subscribers = new Map()));
    this.previous = last;
    this.last = { bucket, device, class: cls, subscribers };
    return this.last;
  }

  /**
   * Whether `group` is the one for a flow ending at `end`. Compared by range, not by the bucket start: `end %
   * bucketMs` on a millisecond time (a double, not a small integer) is a call into fmod, and took half of add().
   */
  private holds(group: OpenGroup, end: number, device: string, cls: string): boolean {
    return end >= group.bucket && end < group.bucket + this.opts.bucketMs && group.device === device && group.class === cls;
  }

  /** The `n` oldest sums (by bucket, then in the order they opened). */
  private flushOldest(n: number): UsageRecord[] {
    const out: UsageRecord[] = [];
    for (const bucket of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const devices = this.buckets.get(bucket)!;
      for (const [device, classes] of devices) {
        for (const [cls, subscribers] of classes) {
          for (const [subscriber, o] of subscribers) {
            if (out.length >= n) break;
            out.push(this.close(o));
            subscribers.delete(subscriber);
          }
          if (!subscribers.size) classes.delete(cls);
        }
        if (!classes.size) devices.delete(device);
      }
      if (!devices.size) this.buckets.delete(bucket);
      if (out.length >= n) break;
    }
    this.last = this.previous = undefined;
    this.recent.fill(undefined);
    return out;
  }

  private close(o: Open): UsageRecord {
    this.size--;
    // NetFlow has no retransmits to deduplicate: the id only has to be unique, and stays fixed through spool replays.
    return {
      id: recordId('netflow', o.device, o.subscriber, o.class, o.bucket, this.opts.runId, this.seq++),
      source: 'netflow',
      device: o.device,
      subscriber: o.subscriber,
      ...(o.class ? { class: o.class } : {}),
      start: o.bucket,
      end: o.bucket + this.opts.bucketMs,
      bytesDown: BigInt(o.down) + o.downCarry,
      bytesUp: BigInt(o.up) + o.upCarry,
    };
  }
}

/**
 * Adds octets to one side of a sum, exactly. Sums stay in doubles (no BigInt allocation per flow: a fifth of the
 * accounting's time) while they are at most 2^53 − 1, then spill into the bigint carry. Why that is exact: both
 * addends are safe integers (FlowCount numbers are), so their true sum is below 2^54; every integer up to 2^53 is a
 * double and rounding is monotonic, so the double sum is at most MAX_SAFE_INTEGER exactly when the true sum is, and
 * then it is the true sum. Otherwise both go to the carry as bigints. A bigint count goes to the carry directly.
 */
export function addOctets(o: { down: number; up: number; downCarry: bigint; upCarry: bigint }, direction: 'down' | 'up', octets: FlowCount): void {
  if (direction === 'down') {
    if (typeof octets === 'number') {
      const sum = o.down + octets;
      if (sum <= Number.MAX_SAFE_INTEGER) o.down = sum;
      else {
        o.downCarry += BigInt(o.down) + BigInt(octets);
        o.down = 0;
      }
    } else {
      o.downCarry += octets;
    }
  } else if (typeof octets === 'number') {
    const sum = o.up + octets;
    if (sum <= Number.MAX_SAFE_INTEGER) o.up = sum;
    else {
      o.upCarry += BigInt(o.up) + BigInt(octets);
      o.up = 0;
    }
  } else {
    o.upCarry += octets;
  }
}
