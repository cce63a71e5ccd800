// Signed customer links: /c/<customerId>?exp=<unix seconds>&sig=<hex HMAC-SHA256(secret, customerId + "." + exp)>.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkGrant {
  customerId: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export type LinkCheck = { ok: true; grant: LinkGrant } | { ok: false; reason: 'missing' | 'malformed' | 'forged' | 'expired' };

export function signature(secret: string, customerId: string, exp: number): string {
  return createHmac('sha256', secret).update(`${customerId}.${exp}`).digest('hex');
}

/** The query string (without "?") that grants `customerId` until `exp`. */
export function linkQuery(secret: string, customerId: string, exp: number): string {
  return `exp=${exp}&sig=${signature(secret, customerId, exp)}`;
}

/** The path and query of a customer's page. */
export function customerLink(secret: string, customerId: string, exp: number): string {
  return `/c/${encodeURIComponent(customerId)}?${linkQuery(secret, customerId, exp)}`;
}

/**
 * Checks a link's exp and sig for a customer id. The signature is compared in constant time; it is checked before
 * the expiry so a forged link never learns whether its exp would have been accepted.
 */
export function checkLink(secret: string, customerId: string, exp: string | null, sig: string | null, nowMs: number): LinkCheck {
  if (exp === null || sig === null) return { ok: false, reason: 'missing' };
  // NOTE: exp must be plain digits: "1e10" or " 123" would sign a different string than the number it parses to.
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/i.test(sig)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(signature(secret, customerId, Number(exp)), 'hex');
  const given = Buffer.from(sig, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  if (Number(exp) * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, grant: { customerId, exp: Number(exp) } };
}
