// Longest-prefix match over IPv4 and IPv6 prefixes: one hash map per prefix length present, longest first.
import { normalizeAddress, parseCidr } from '../pipeline/ip.js';
import type { FlowAddress } from './flow-record.js';

export interface PrefixMatch<T> {
  readonly value: T;
  /** Length of the matching prefix: longer is more specific. */
  readonly bits: number;
}

/** The prefixes of one length: the mask and masked address → match. */
interface Level<K, T> {
  bits: number;
  mask: number;
  matches: Map<K, PrefixMatch<T>>;
}

export class PrefixTable<T> {
  /**
   * IPv4, longest prefix first: keys are the masked address as a signed 32-bit integer, which V8 keeps unboxed
   * (a small integer on 64-bit) and hashes faster than the unsigned number. The stored match objects are what
   * lookup() returns, so a lookup allocates nothing.
   */
  private levels4: Level<number, T>[] = [];
  /** IPv6, longest first: masked address in hex → match. */
  private levels6: Level<string, T>[] = [];

  /** True when nothing was added: lookups can be skipped. */
  get empty(): boolean {
    return this.levels4.length === 0 && this.levels6.length === 0;
  }

  /** Adds "10.0.0.0/8", "2001:db8::/32" or a bare address; false when the text is not a prefix. Replaces an equal prefix. */
  add(prefix: string, value: T): boolean {
    const c = parseCidr(prefix);
    if (!c) return false;
    const match: PrefixMatch<T> = { value, bits: c.bits };
    if (c.family === 4) {
      const mask = mask4(c.bits);
      level(this.levels4, c.bits, mask).matches.set(c.bytes.readUInt32BE(0) & mask, match);
    } else {
      level(this.levels6, c.bits, 0).matches.set(maskedKey(c.bytes, c.bits), match);
    }
    return true;
  }

  /**
   * The most specific prefix holding the address whose value passes `accept(value, arg)` (all by default). A
   * number is an IPv4 address (FlowAddress); text may be either family. `arg` spares callers a closure per call.
   */
  lookup<A>(address: FlowAddress, accept?: (value: T, arg: A) => boolean, arg?: A): PrefixMatch<T> | undefined {
    let n: number;
    if (typeof address === 'number') {
      n = address;
    } else {
      n = parseDotted(address);
      if (n < 0) {
        const a = normalizeAddress(address);
        if (!a) return undefined;
        if (a.family === 6) return this.lookup6(a.bytes, accept, arg);
        n = a.bytes.readUInt32BE(0);
      }
    }
    const levels = this.levels4;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      const m = l.matches.get(n & l.mask);
      if (m !== undefined && (!accept || accept(m.value, arg as A))) return m;
    }
    return undefined;
  }

  /** Every prefix holding the IPv4 address (an unsigned 32-bit number), longest first. */
  matches4(address: number): PrefixMatch<T>[] {
    const out: PrefixMatch<T>[] = [];
    for (const l of this.levels4) {
      const m = l.matches.get(address & l.mask);
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  private lookup6<A>(bytes: Buffer, accept: ((value: T, arg: A) => boolean) | undefined, arg: A | undefined): PrefixMatch<T> | undefined {
    for (const l of this.levels6) {
      const m = l.matches.get(maskedKey(bytes, l.bits));
      if (m !== undefined && (!accept || accept(m.value, arg as A))) return m;
    }
    return undefined;
  }
}

/** The level for `bits`, created in its place (longest first) if new. */
function level<K, T>(levels: Level<K, T>[], bits: number, mask: number): Level<K, T> {
  let l = levels.find((x) => x.bits === bits);
  if (!l) {
    l = { bits, mask, matches: new Map() };
    levels.push(l);
    levels.sort((a, b) => b.bits - a.bits);
  }
  return l;
}

/** Netmask of a prefix length as a signed 32-bit integer (`& mask` yields the same form). */
const mask4 = (bits: number): number => (bits === 0 ? 0 : 0xffffffff << (32 - bits));

/** "a.b.c.d" as an unsigned 32-bit number, or -1 for anything else (then the general parser decides). */
function parseDotted(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

function maskedKey(bytes: Buffer, bits: number): string {
  const whole = bits >> 3;
  let key = bytes.subarray(0, whole).toString('hex');
  const rest = bits & 7;
  if (rest) key += (bytes[whole]! & ((0xff << (8 - rest)) & 0xff)).toString(16).padStart(2, '0');
  return key;
}
