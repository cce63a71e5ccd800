// Builds IPFIX (RFC 7011 §3) and v9 (RFC 3954 §5) messages from sets for tests: lengths computed, fields in hex.
import { hex } from './packets.js';

const h16 = (n: number): string => n.toString(16).padStart(4, '0');
const h32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** One set: set id, then the body (hex parts; spaces ignored), its length field computed. */
export function set(id: number, ...body: string[]): Buffer {
  const b = hex(...body);
  return Buffer.concat([hex(h16(id), h16(4 + b.length)), b]);
}

/** An IPFIX message: version 10, length, export time (s), sequence number, observation domain, then the sets. */
export function ipfixMessage(opts: { exportS?: number; seq?: number; domain?: number }, ...sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  return Buffer.concat([hex('000a', h16(16 + body.length), h32(opts.exportS ?? 1_600_000_000), h32(opts.seq ?? 0), h32(opts.domain ?? 1)), body]);
}

/** A v9 export packet: version 9, count, sysUptime (ms), unix_secs, sequence, source id, then the sets. */
export function v9Message(opts: { uptimeMs?: number; exportS?: number; seq?: number; sourceId?: number; count?: number }, ...sets: Buffer[]): Buffer {
  return Buffer.concat([hex('0009', h16(opts.count ?? sets.length), h32(opts.uptimeMs ?? 1000), h32(opts.exportS ?? 1_600_000_000), h32(opts.seq ?? 0), h32(opts.sourceId ?? 0)), ...sets]);
}

/** A 4-octet unsigned value in hex (uptimes, counters), wrapping negatives into 32 bits as an exporter would. */
export const u32hex = (n: number): string => h32(((n % 2 ** 32) + 2 ** 32) % 2 ** 32);
/** An 8-octet unsigned value in hex (milliseconds, 64-bit counters). */
export const u64hex = (n: number | bigint): string => BigInt(n).toString(16).padStart(16, '0');
/** A 2-octet value in hex. */
export const u16hex = h16;

/** Addresses of testdata/usage-by-hour.ts's subscribers and of the far end, in hex. */
export const ALICE = '64400002'; // 100.64.0.2
export const BOB = '64400003'; // 100.64.0.3
export const FAR = 'c6336401'; // 198.51.100.1
