// A bounded cache of per-IPv4-address answers that hold over a time range: a flow's subscriber, its traffic class.

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
  /**
   * Per slot, side by side so that a lookup reads one cache line: the address it holds (NaN while unused, which
   * equals nothing), and the range [from, until) its answer holds over.
   */
  private readonly slots: Float64Array;
  private readonly values: (T | undefined)[];

  /** 2^bits slots; 16 (65,536) by default, 2 MB. */
  constructor(bits = 16) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new Error(`address memo: bits must be 1..24, not ${bits}`);
    const size = 2 ** bits;
    this.shift = 32 - bits;
    this.slots = new Float64Array(size * 3).fill(Number.NaN);
    this.values = new Array<T | undefined>(size).fill(undefined);
  }

  /**
   * The slot holding an answer for `address` (an unsigned 32-bit IPv4 address) that holds at `at`, for answer();
   * -1 when there is none. (A slot number, not the answer or a "miss" symbol: comparing a value that may be a
   * string, undefined or a symbol made V8 call its generic StrictEqual per lookup.)
   */
  find(address: number, at: number): number {
    const i = this.slot(address);
    const s = this.slots;
    return s[i * 3] === address && s[i * 3 + 1]! <= at && at < s[i * 3 + 2]! ? i : -1;
  }

  /** The answer in a slot that find() returned. */
  answer(slot: number): T {
    return this.values[slot] as T;
  }

  /** Caches `value` for `address` over [from, until), replacing what the slot held. */
  set(address: number, value: T, from = Number.NEGATIVE_INFINITY, until = Number.POSITIVE_INFINITY): void {
    const i = this.slot(address);
    this.slots[i * 3] = address;
    this.slots[i * 3 + 1] = from;
    this.slots[i * 3 + 2] = until;
    this.values[i] = value;
  }

  /** Fibonacci hashing: the high bits of address × 2^32/φ spread runs of neighbouring addresses over the table. */
  private slot(address: number): number {
    return Math.imul(address, 0x9e3779b1) >>> this.shift;
  }
}
