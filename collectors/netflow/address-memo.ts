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
   * Per slot, side by side so that a lookup reads one cache line: the address it holds, the range [from, until) its
   * answer holds over, and the answer's index in `answers`. An unused slot is all zeros: an empty range, which no
   * time falls in, so a new memo needs no fill (a SubscriberMap, with its memo, is built on every flush tick and
   * lease change).
   */
  private readonly slots: Float64Array;
  /** Each distinct answer once (answers come from a small set: subscriber or class names). */
  private readonly answers: T[] = [];
  private readonly indexOf = new Map<T, number>();

  /** 2^bits slots; 16 (65,536) by default, 2 MB. */
  constructor(bits = 16) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new Error(`address memo: bits must be 1..24, not ${bits}`);
    this.shift = 32 - bits;
    this.slots = new Float64Array(2 ** bits * SLOT);
  }

  /**
   * The slot holding an answer for `address` (an unsigned 32-bit IPv4 address) that holds at `at`, for answer();
   * -1 when there is none. (A slot number, not the answer or a "miss" symbol: comparing a value that may be a
   * string, undefined or a symbol made V8 call its generic StrictEqual per lookup.)
   */
  find(address: number, at: number): number {
    const i = this.slot(address);
    const s = this.slots;
    return s[i] === address && s[i + 1]! <= at && at < s[i + 2]! ? i : -1;
  }

  /** The answer in a slot that find() returned. */
  answer(slot: number): T {
    return this.answers[this.slots[slot + 3]!]!;
  }

  /** Caches `value` for `address` over [from, until), replacing what the slot held. */
  set(address: number, value: T, from = Number.NEGATIVE_INFINITY, until = Number.POSITIVE_INFINITY): void {
    let index = this.indexOf.get(value);
    if (index === undefined) {
      index = this.answers.push(value) - 1;
      this.indexOf.set(value, index);
    }
    const i = this.slot(address);
    this.slots[i] = address;
    this.slots[i + 1] = from;
    this.slots[i + 2] = until;
    this.slots[i + 3] = index;
  }

  /**
   * The first of the slot's doubles. Fibonacci hashing: the high bits of address × 2^32/φ spread runs of
   * neighbouring addresses over the table.
   */
  private slot(address: number): number {
    return (Math.imul(address, 0x9e3779b1) >>> this.shift) * SLOT;
  }
}

/** Doubles per slot: address, from, until, answer index. */
const SLOT = 4;
