// IP address parsing and formatting for every collector: RADIUS values, NAS and exporter matching, flow prefixes.
import { isIPv4, isIPv6 } from 'node:net';

/** RFC 5952 text form of a 16-octet IPv6 address (longest zero run compressed, lower case). */
export function formatIPv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** 16 octets of an IPv6 address, or undefined. Accepts embedded IPv4 ("::ffff:10.0.0.1"). */
export function parseIPv6(s: string): Buffer | undefined {
  if (!isIPv6(s)) return undefined;
  let text = s.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = parseIPv4(v4[1]!);
    if (!b) return undefined;
    text = text.slice(0, -v4[1]!.length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function parseIPv4(s: string): Buffer | undefined {
  if (!isIPv4(s)) return undefined;
  return Buffer.from(s.split('.').map(Number));
}

/** An address reduced to its own family: IPv4-mapped IPv6 ("::ffff:10.0.0.1", as dual-stack sockets report IPv4 senders) becomes IPv4. */
export function normalizeAddress(s: string): { family: 4 | 6; bytes: Buffer } | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(s);
  if (!v6) return undefined;
  const mapped = v6.subarray(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? { family: 4, bytes: Buffer.from(v6.subarray(12)) } : { family: 6, bytes: v6 };
}

export interface Cidr {
  family: 4 | 6;
  bytes: Buffer;
  bits: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const [addr, len] = s.split('/');
  const a = addr === undefined ? undefined : parseIPv4(addr) ? { family: 4 as const, bytes: parseIPv4(addr)! } : parseIPv6(addr) ? { family: 6 as const, bytes: parseIPv6(addr)! } : undefined;
  if (!a) return undefined;
  const max = a.family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  return { family: a.family, bytes: a.bytes, bits };
}

export function cidrContains(c: Cidr, a: { family: 4 | 6; bytes: Buffer }): boolean {
  if (c.family !== a.family) return false;
  for (let bit = 0; bit < c.bits; bit += 8) {
    const n = Math.min(8, c.bits - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((c.bytes[bit / 8]! & mask) !== (a.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}
