// Longest-prefix match over IPv4 and IPv6 prefixes: one hash map per prefix length present, longest first.
import { normalizeAddress, parseCidr } from '../pipeline/ip.js';

export interface PrefixMatch<T> {
  value: T;
  /** Length of the matching prefix: longer is more specific. */
  bits: number;
}

export class PrefixTable<T> {
  /** IPv4: prefix length → masked address as an unsigned 32-bit number → value (no string work per lookup). */
  private readonly v4 = new Map<number, Map<number, T>>();
  /** IPv6: prefix length → masked address in hex → value. */
  private readonly v6 = new Map<number, Map<string, T>>();
  private lengths4: number[] = [];
  private lengths6: number[] = [];

  /** Adds "10.0.0.0/8", "2001:db8::/32" or a bare address; false when the text is not a prefix. Replaces an equal prefix. */
  add(prefix: string, value: T): boolean {
    const c = parseCidr(prefix);
    if (!c) return false;
    if (c.family === 4) {
      let m = this.v4.get(c.bits);
      if (!m) this.v4.set(c.bits, (m = new Map()));
      m.set(mask4(c.bytes.readUInt32BE(0), c.bits), value);
      this.lengths4 = [...this.v4.keys()].sort((a, b) => b - a);
    } else {
      let m = this.v6.get(c.bits);
      if (!m) this.v6.set(c.bits, (m = new Map()));
      m.set(maskedKey(c.bytes, c.bits), value);
      this.lengths6 = [...this.v6.keys()].sort((a, b) => b - a);
    }
    return true;
  }

  /** The most specific prefix holding the address whose value passes `accept` (all by default). */
  lookup(address: string, accept?: (value: T) => boolean): PrefixMatch<T> | undefined {
    let n = parseDotted(address);
    if (n < 0) {
      const a = normalizeAddress(address);
      if (!a) return undefined;
      if (a.family === 6) return this.lookup6(a.bytes, accept);
      n = a.bytes.readUInt32BE(0);
    }
    for (const bits of this.lengths4) {
      const v = this.v4.get(bits)?.get(mask4(n, bits));
      if (v !== undefined && (!accept || accept(v))) return { value: v, bits };
    }
    return undefined;
  }

  private lookup6(bytes: Buffer, accept?: (value: T) => boolean): PrefixMatch<T> | undefined {
    for (const bits of this.lengths6) {
      const v = this.v6.get(bits)?.get(maskedKey(bytes, bits));
      if (v !== undefined && (!accept || accept(v))) return { value: v, bits };
    }
    return undefined;
  }
}

const mask4 = (n: number, bits: number): number => (bits === 0 ? 0 : (n & (0xffffffff << (32 - bits))) >>> 0);

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
