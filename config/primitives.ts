// Value types shared by every config section: byte sizes, durations, listen addresses, CIDR prefixes.
// Their own module, so a collector's section (collectors/*/config.ts) can use them while config/schema.ts
// imports that section: no import cycle.
import { isIP } from 'node:net';
import { z } from 'zod';

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A byte size: a number, or a string such as "512MiB" or "1GB" (GB = 10^9, GiB = 2^30). */
export const byteSize = z.union([
  z.number().int().nonnegative(),
  z.string().transform((s, ctx) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(s);
    const unit = SIZE_UNITS[(m?.[2] ?? '').toUpperCase()];
    if (!m || unit === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a byte size: "${s}" (expected e.g. 1048576, "512MiB", "1GB")` });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * unit);
  }),
]);

/** A duration: milliseconds as a number, or a string such as "30s", "5m", "24h". */
export const duration = z.union([
  z.number().int().nonnegative(),
  z.string().transform((s, ctx) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `not a duration: "${s}" (expected e.g. 500ms, 30s, 5m, 24h)` });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
  }),
]);

/** "HOST:PORT" with IPv6 hosts in brackets: "0.0.0.0:1813", "[::]:1813", "127.0.0.1:9464". */
export const listenAddress = z.string().refine(
  (s) => parseHostPort(s) !== undefined,
  { message: 'not a listen address (expected HOST:PORT, e.g. "0.0.0.0:1813" or "[::]:1813")' },
);

export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!, port };
}

/** An IPv4/IPv6 address or CIDR prefix. */
export const cidr = z.string().refine((s) => {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (len === undefined) return true;
  return /^\d{1,3}$/.test(len) && Number(len) <= (family === 4 ? 32 : 128);
}, { message: 'not an IP address or CIDR prefix (expected e.g. "10.0.0.1", "10.0.0.0/24", "2001:db8::/32")' });

const knownZones = new Set<string>();

/**
 * IANA zone name the runtime knows (Intl; no tz data is downloaded). Zones already accepted are remembered: a
 * catalog of 10,000 customers names a handful, and building an Intl formatter per customer cost seconds.
 */
export const timeZone = z.string().refine((tz) => {
  if (knownZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    knownZones.add(tz);
    return true;
  } catch {
    return false;
  }
}, { message: 'unknown time zone (expected an IANA name such as America/Chicago or Europe/Berlin)' });

/** A JavaScript regular expression in config (subscriber rules): refused at load, not at the first poll. */
export const regexSource = z.string().min(1).refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, { message: 'not a regular expression (expected a JavaScript regular expression, e.g. "^cust:(\\S+)$")' });
