// Deltas from cumulative device counters (SNMP, RouterOS): wraps by counter width, resets, and the first poll.
//
// Getting this wrong bills a customer for 2^64 bytes or for nothing, so the rules are few and explicit:
// - the first sight of a counter gives no usage (there is nothing to subtract from);
// - a counter that went down after the device said it restarted (sysUpTime back, discontinuity time moved, a
//   RouterOS row with a new .id, a new PPP session) is a reset: it started again from 0, so the whole current
//   value is usage of this interval;
// - a 32-bit counter that went down without such a sign wrapped once: cur + 2^32 − prev;
// - a 64-bit counter cannot wrap in any plausible interval (2^64 bytes at 100 Gbit/s is ~46 years), so going
//   down is a reset even when the device gave no sign of it.

export type CounterWidth = 32 | 64;

export type DeltaKind = 'first' | 'advance' | 'wrap' | 'reset';

export interface Delta {
  delta: bigint;
  kind: DeltaKind;
}

const MOD32 = 1n << 32n;

/**
 * The usage between two readings of one counter. `reset` is the device's own sign that counters restarted since
 * `prev` was read; with it the current value is taken whole even when it is above `prev`.
 */
export function counterDelta(prev: bigint | undefined, cur: bigint, width: CounterWidth, reset = false): Delta {
  if (cur < 0n) throw new RangeError(`counter value ${cur} is negative`);
  if (prev === undefined) return { delta: 0n, kind: 'first' };
  if (reset) return { delta: cur, kind: 'reset' };
  if (cur >= prev) return { delta: cur - prev, kind: 'advance' };
  if (width === 32 && prev < MOD32 && cur < MOD32) return { delta: cur + MOD32 - prev, kind: 'wrap' };
  return { delta: cur, kind: 'reset' };
}

/** The last reading of every counter of one device, keyed by the caller (e.g. "queue:<name>:in"). */
export class CounterTracker {
  private readonly last = new Map<string, bigint>();

  /** Restores readings saved with snapshot() (e.g. from the spool state), so a restart loses no interval. */
  constructor(saved?: Readonly<Record<string, string>>) {
    if (saved) for (const [k, v] of Object.entries(saved)) if (/^\d+$/.test(v)) this.last.set(k, BigInt(v));
  }

  /** The delta since the previous reading of `key`; remembers `cur` for the next one. */
  observe(key: string, cur: bigint, width: CounterWidth, reset = false): Delta {
    const d = counterDelta(this.last.get(key), cur, width, reset);
    this.last.set(key, cur);
    return d;
  }

  /** What observe() would answer, without remembering: for callers that commit readings only once stored. */
  peek(key: string, cur: bigint, width: CounterWidth, reset = false): Delta {
    return counterDelta(this.last.get(key), cur, width, reset);
  }

  has(key: string): boolean {
    return this.last.has(key);
  }

  /** Drops a counter that no longer exists (a removed queue): its next appearance is a first sight. */
  forget(key: string): void {
    this.last.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.last.keys();
  }

  /** Readings as decimal strings, for JSON state. */
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.last].map(([k, v]) => [k, v.toString()]));
  }
}
