// Longest-prefix match over IPv4 and IPv6 prefixes: one hash map per prefix length present, longest first.
import { normalizeAddress, parseCidr } from '../radius/ip.js';

export interface PrefixMatch<T> {
  value: T;
  /** Length of the matching prefix: longer is more specific. */
  bits: number;
}

export class PrefixTable<T> {
  /** family → prefix length → masked address (hex) → value. */
  private readonly byFamily = { 4: new Map<number, Map<string, T>>(), 6: new Map<number, Map<string, T>>() };
  private readonly lengths = { 4: [] as number[], 6: [] as number[] };

  /** Adds "10.0.0.0/8", "2001:db8::/32" or a bare address; false when the text is not a prefix. Replaces an equal prefix. */
  add(prefix: string, value: T): boolean {
    const c = parseCidr(prefix);
    if (!c) return false;
    const maps = this.byFamily[c.family];
    let m = maps.get(c.bits);
    if (!m) {
      m = new Map();
      maps.set(c.bits, m);
      this.lengths[c.family] = [...maps.keys()].sort((a, b) => b - a);
    }
    m.set(maskedKey(c.bytes, c.bits), value);
    return true;
  }

  /** The most specific prefix holding the address whose value passes `accept` (all by default). */
  lookup(address: string, accept?: (value: T) => boolean): PrefixMatch<T> | undefined {
    const a = normalizeAddress(address);
    if (!a) return undefined;
    const maps = this.byFamily[a.family];
    for (const bits of this.lengths[a.family]) {
      const v = maps.get(bits)?.get(maskedKey(a.bytes, bits));
      if (v !== undefined && (!accept || accept(v))) return { value: v, bits };
    }
    return undefined;
  }
}

function maskedKey(bytes: Buffer, bits: number): string {
  const whole = bits >> 3;
  let key = bytes.subarray(0, whole).toString('hex');
  const rest = bits & 7;
  if (rest) key += (bytes[whole]! & ((0xff << (8 - rest)) & 0xff)).toString(16).padStart(2, '0');
  return key;
}
