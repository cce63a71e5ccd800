// A bounded cache of per-IPv4-address answers that hold over a time range: a flow's subscriber, its traffic class.

/** What get() returns when the address is not cached, or its cached answer does not hold at that time. */
export const MISS: unique symbol = Symbol('address-memo miss');

/**
 * Direct-mapped: each address has one slot (by a multiplicative hash), and a new answer overwrites whatever held
 * the slot. So it never grows nor needs an eviction pass, a hit is a few array reads with no hashing of a Map key,
 * and a flood of distinct (spoofed) addresses costs one overwrite per miss. An answer is kept with the time range
 * [from, until) over which it holds (a lease's validity; ±Infinity when it does not depend on time).
 * NOTE: it never invalidates anything itself; whoever owns one drops it when its answers change (a SubscriberMap
 * is rebuilt, with a new memo, whenever the leases change).
 */
export class AddressMemo<T> {
  private readonly shift: number;
  /** The address (as int32) each slot holds; meaningful only where from < until. */
  private readonly addresses: Int32Array;
  private readonly from: Float64Array;
  /** 0 with from 0 in an unused slot: an empty range, which no time falls in. */
  private readonly until: Float64Array;
  private readonly values: (T | undefined)[];

  /** 2^bits slots; 16 (65,536) by default, ~1.8 MB. */
  constructor(bits = 16) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new Error(`address memo: bits must be 1..24, not ${bits}`);
    const size = 2 ** bits;
    this.shift = 32 - bits;
    this.addresses = new Int32Array(size);
    this.from = new Float64Array(size);
    this.until = new Float64Array(size);
    this.values = new Array<T | undefined>(size).fill(undefined);
  }

  /** The answer cached for `address` (an unsigned 32-bit IPv4 address) if it holds at `at`, else MISS. */
  get(address: number, at: number): T | typeof MISS {
    const i = this.slot(address);
    return this.addresses[i] === (address | 0) && this.from[i]! <= at && at < this.until[i]! ? (this.values[i] as T) : MISS;
  }

  /** Caches `value` for `address` over [from, until), replacing what the slot held. */
  set(address: number, value: T, from = Number.NEGATIVE_INFINITY, until = Number.POSITIVE_INFINITY): void {
    const i = this.slot(address);
    this.addresses[i] = address;
    this.from[i] = from;
    this.until[i] = until;
    this.values[i] = value;
  }

  /** Fibonacci hashing: the high bits of address × 2^32/φ spread runs of neighbouring addresses over the table. */
  private slot(address: number): number {
    return Math.imul(address, 0x9e3779b1) >>> this.shift;
  }
}
