// The addresses behind unattributed flows: a bounded top list per UTC day, kept in spool state for reconcile.
//
// Unattributed traffic is stored as usage only as a total (pseudo-subscriber "(unattributed)"); this says which
// addresses it was. Each unattributed flow counts for both of its ends, from that address's side as a subscriber
// would see it: the destination's bytesDown, the source's bytesUp. An unleased customer address or a range missing
// from `static` then tops the list (it is an end of every flow it makes; far ends spread over many addresses).
import type { StateChange } from '../pipeline/spool-types.js';
import { formatFlowAddress, type FlowAddress, type FlowCount } from './flow-record.js';
import { addOctets } from './usage-aggregator.js';

/** Spool state scope; the key is the UTC day, "2026-01-31". */
export const UNATTRIBUTED_SCOPE = 'netflow-unattributed';

const DAY_MS = 86_400_000;

/** One day as stored: JSON-safe, bigints as decimal strings. */
export interface UnattributedDay {
  v: 1;
  /** Octets of every unattributed flow of the day, each flow once. */
  bytes: string;
  /**
   * An upper bound on what any address missing from `addresses` had, and on how much a listed one may be
   * under-counted: 0 while the day had no more distinct addresses than the tracker holds (the list is exact).
   */
  floor: string;
  /** [address, bytesDown (as destination), bytesUp (as source)], largest first. */
  addresses: [string, string, string][];
}

export interface UnattributedAddressesOptions {
  /** Distinct addresses counted per day in memory; past it the smaller half is dropped (and raises `floor`). */
  capacity?: number;
  /** Addresses written to the spool state per day. */
  keep?: number;
  /** A changed day is written at most this often (and always at stop and when its day is over). */
  persistEveryMs?: number;
  /** Days kept in the spool state; older ones are deleted. */
  retentionDays?: number;
}

interface Sum {
  down: number;
  up: number;
  downCarry: bigint;
  upCarry: bigint;
  /** What the address may have had before it was (re)admitted: the day's floor then (space-saving's error). */
  err: bigint;
  /** `err` as a double, for ranking without bigint arithmetic. */
  errApprox: number;
}

interface DayCounter {
  day: number;
  addresses: Map<FlowAddress, Sum>;
  total: Sum;
  floor: bigint;
  dirty: boolean;
}

const zero = (err = 0n): Sum => ({ down: 0, up: 0, downCarry: 0n, upCarry: 0n, err, errApprox: Number(err) });
const downOf = (s: Sum) => BigInt(s.down) + s.downCarry;
const upOf = (s: Sum) => BigInt(s.up) + s.upCarry;
/** The upper-bound estimate, for ranking only (a double is close enough to order by). */
const estimate = (s: Sum) => s.down + s.up + s.errApprox + (s.downCarry === 0n && s.upCarry === 0n ? 0 : Number(s.downCarry + s.upCarry));

export const dayKey = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Space-saving counting (Metwally et al.) with batched eviction, O(1) amortized per unattributed flow: a map per
 * day; when it is full the half with the smallest estimates is dropped at once (one sort per capacity/2 new
 * addresses), the largest estimate dropped becomes the day's floor, and an address admitted later starts with
 * that floor as its possible error. Estimates (count + error) never under-count, so an address whose traffic is
 * above the floor is never lost; the counts reported are what was seen since admission (exact while floor is 0).
 */
export class UnattributedAddresses {
  private readonly capacity: number;
  private readonly keep: number;
  private readonly persistEveryMs: number;
  private readonly retentionDays: number;
  private readonly open = new Map<number, DayCounter>();
  /** Days as last stored (restored or written), to seed a day that reopens and to know what to expire. */
  private readonly stored = new Map<number, UnattributedDay>();
  private last: DayCounter | undefined;
  private lastPersist = Number.NEGATIVE_INFINITY;
  /** The latest day a flow (or the restored state) has, for retention. */
  private newestDay = Number.NEGATIVE_INFINITY;
  /** Changes the spool refused, by key: given again with the next changes() unless a newer one replaces them. */
  private readonly refused = new Map<string, StateChange>();

  constructor(opts: UnattributedAddressesOptions = {}) {
    this.capacity = Math.max(16, opts.capacity ?? 4096);
    this.keep = Math.min(this.capacity, Math.max(1, opts.keep ?? 100));
    this.persistEveryMs = opts.persistEveryMs ?? 60_000;
    this.retentionDays = opts.retentionDays ?? 62;
  }

  /** Loads the days of the spool state (UNATTRIBUTED_SCOPE); returns how many entries were not days we wrote. */
  restore(state: ReadonlyMap<string, unknown>): number {
    let skipped = 0;
    for (const [key, value] of state) {
      const day = parseDayKey(key);
      const parsed = parseUnattributedDay(value);
      if (day === undefined || !parsed) skipped++;
      else {
        this.stored.set(day, parsed);
        this.newestDay = Math.max(this.newestDay, day);
      }
    }
    return skipped;
  }

  /** One unattributed flow of `octets` (sampled up) from `src` to `dst`, ending at `at` (ms). */
  add(src: FlowAddress, dst: FlowAddress, octets: FlowCount, at: number): void {
    const day = Math.floor(at / DAY_MS);
    let c = this.last;
    if (!c || c.day !== day) {
      c = this.last = this.counter(day);
      if (day > this.newestDay) this.newestDay = day;
    }
    c.dirty = true;
    addOctets(c.total, 'down', octets);
    this.sum(c, dst, 'down', octets);
    this.sum(c, src, 'up', octets);
  }

  /**
   * The state changes to append with the next flush: days that changed (at most every persistEveryMs unless `all`
   * or their day is over) and days past retention. Days over are then let go from memory.
   */
  changes(now: number, all = false): StateChange[] {
    const out: StateChange[] = [];
    const again = [...this.refused.values()];
    this.refused.clear();
    const today = Math.floor(now / DAY_MS);
    const due = all || now - this.lastPersist >= this.persistEveryMs;
    for (const c of [...this.open.values()]) {
      const over = c.day < today - 1;
      if (c.dirty && (due || over)) {
        const value = this.snapshot(c);
        this.stored.set(c.day, value);
        out.push({ scope: UNATTRIBUTED_SCOPE, key: dayKey(c.day), value });
        c.dirty = false;
      }
      // Yesterday stays open for late flows; anything older is stored and reopened from its snapshot if it must.
      if (over && !c.dirty) {
        this.open.delete(c.day);
        if (this.last === c) this.last = undefined;
      }
    }
    // Retention counts back from the newest day seen, or from today when that is later in the future: flows replayed
    // from an old capture keep their addresses, and an exporter whose clock runs years ahead cannot expire the rest.
    const horizon = Math.min(today, this.newestDay);
    for (const day of [...this.stored.keys()]) {
      if (day >= horizon - this.retentionDays) continue;
      this.stored.delete(day);
      out.push({ scope: UNATTRIBUTED_SCOPE, key: dayKey(day), value: null });
    }
    if (due) this.lastPersist = now;
    // A day's snapshot is whole, so a newer change of the same day replaces a refused one.
    const newer = new Set(out.map((c) => c.key));
    return [...again.filter((c) => !newer.has(c.key)), ...out];
  }

  /** The spool refused these changes (an append that failed): they go again with the next changes(). */
  unwritten(changes: readonly StateChange[]): void {
    for (const c of changes) if (c.scope === UNATTRIBUTED_SCOPE) this.refused.set(c.key, c);
  }

  private counter(day: number): DayCounter {
    let c = this.open.get(day);
    if (c) return c;
    c = { day, addresses: new Map(), total: zero(), floor: 0n, dirty: false };
    const seed = this.stored.get(day);
    if (seed) {
      // A restart (or a late flow for a day already let go) continues from what was stored.
      addOctets(c.total, 'down', BigInt(seed.bytes));
      c.floor = BigInt(seed.floor);
      for (const [address, down, up] of seed.addresses) {
        // A truncated snapshot lost what its unlisted addresses had: at most its floor, as for any admission.
        const s = zero(c.floor);
        addOctets(s, 'down', BigInt(down));
        addOctets(s, 'up', BigInt(up));
        c.addresses.set(flowAddressOf(address), s);
      }
    }
    this.open.set(day, c);
    return c;
  }

  private sum(c: DayCounter, address: FlowAddress, direction: 'down' | 'up', octets: FlowCount): void {
    let s = c.addresses.get(address);
    if (!s) {
      if (c.addresses.size >= this.capacity) this.prune(c, this.capacity >> 1);
      c.addresses.set(address, (s = zero(c.floor)));
    }
    addOctets(s, direction, octets);
  }

  /** Keeps the `n` largest estimates of a day; the largest dropped raises the day's floor. */
  private prune(c: DayCounter, n: number): void {
    // A typed array sorts natively, without a comparator call per step: a flood of spoofed sources (every flow a
    // new address) then costs about 0.1 µs a flow here, not 0.4.
    const estimates = new Float64Array(c.addresses.size);
    let i = 0;
    for (const s of c.addresses.values()) estimates[i++] = estimate(s);
    estimates.sort();
    const threshold = estimates[estimates.length - n]!;
    // Below the threshold all go; at it, as many as needed for exactly n to stay.
    let drop = c.addresses.size - n;
    let atThreshold = drop - estimates.subarray(0, estimates.length - n).filter((e) => e < threshold).length;
    let largest: Sum | undefined;
    for (const [address, s] of c.addresses) {
      if (drop === 0) break;
      const e = estimate(s);
      if (e > threshold || (e === threshold && atThreshold === 0)) continue;
      if (e === threshold) atThreshold--;
      if (!largest || e > estimate(largest)) largest = s;
      c.addresses.delete(address);
      drop--;
    }
    // The floor exactly, from the one entry that sets it (doubles only ranked them).
    if (largest) {
      const t = downOf(largest) + upOf(largest) + largest.err;
      if (t > c.floor) c.floor = t;
    }
  }

  private snapshot(c: DayCounter): UnattributedDay {
    // Most bytes seen first (an estimate is inflated for addresses admitted late); ties by address text, so equal
    // days give equal snapshots. What is left out raises the floor by its estimate.
    const ranked = [...c.addresses].map(([a, s]) => ({ text: formatFlowAddress(a), down: downOf(s), up: upOf(s), err: s.err }))
      .sort((x, y) => {
        const d = y.down + y.up - (x.down + x.up);
        return d !== 0n ? (d > 0n ? 1 : -1) : x.text < y.text ? -1 : x.text > y.text ? 1 : 0;
      });
    let floor = c.floor;
    for (const x of ranked.slice(this.keep)) if (x.down + x.up + x.err > floor) floor = x.down + x.up + x.err;
    return {
      v: 1,
      bytes: downOf(c.total).toString(),
      floor: floor.toString(),
      addresses: ranked.slice(0, this.keep).map((x) => [x.text, x.down.toString(), x.up.toString()]),
    };
  }
}

/** "2026-01-31" → days since the epoch; undefined when it is not such a key. */
export function parseDayKey(key: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return undefined;
  const ms = Date.parse(`${key}T00:00:00Z`);
  return Number.isFinite(ms) && dayKey(ms / DAY_MS) === key ? ms / DAY_MS : undefined;
}

/** A value read back from the spool state; undefined when it is not a day we wrote. */
export function parseUnattributedDay(value: unknown): UnattributedDay | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const digits = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v);
  if (o.v !== 1 || !digits(o.bytes) || !digits(o.floor) || !Array.isArray(o.addresses)) return undefined;
  for (const row of o.addresses as unknown[]) {
    if (!Array.isArray(row) || row.length !== 3 || typeof row[0] !== 'string' || !digits(row[1]) || !digits(row[2])) return undefined;
  }
  return o as unknown as UnattributedDay;
}

/** The decoder's form of an address (IPv4 as an unsigned 32-bit number), so a restored day keys like live flows. */
function flowAddressOf(text: string): FlowAddress {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return text;
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}
