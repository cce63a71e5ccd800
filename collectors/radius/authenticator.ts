// Accounting authenticators: Request (RFC 2866 §3), Response (RFC 2866 §3), Message-Authenticator (RFC 3579 §3.2),
// and the Status-Server check (RFC 5997 §3).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const AUTH_START = 4;
const AUTH_END = 20;
const MESSAGE_AUTHENTICATOR = 80;

/** MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret), over exactly `Length` octets. */
export function accountingRequestAuthenticator(raw: Buffer, secret: string): Buffer {
  const copy = Buffer.from(raw);
  copy.fill(0, AUTH_START, AUTH_END);
  return createHash('md5').update(copy).update(secret, 'utf8').digest();
}

/** MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret). */
export function responseAuthenticator(responseWithRequestAuth: Buffer, secret: string): Buffer {
  return createHash('md5').update(responseWithRequestAuth).update(secret, 'utf8').digest();
}

export type AuthCheck = 'ok' | 'bad_authenticator' | 'bad_message_authenticator';

/**
 * Checks an Accounting-Request: its Request Authenticator and, when present, its Message-Authenticator.
 * `raw` must be exactly Length octets (decodePacket's `raw`). Constant-time comparisons.
 */
export function verifyAccountingRequest(raw: Buffer, secret: string): AuthCheck {
  if (!timingSafeEqual(accountingRequestAuthenticator(raw, secret), raw.subarray(AUTH_START, AUTH_END))) return 'bad_authenticator';
  const ma = findMessageAuthenticator(raw);
  if (ma === undefined) return 'ok';
  if (ma < 0) return 'bad_message_authenticator';
  // For Accounting-Request the HMAC is taken with the Request Authenticator zeroed, as FreeRADIUS does:
  // the authenticator itself is computed over the packet that already holds the Message-Authenticator.
  const copy = Buffer.from(raw);
  copy.fill(0, AUTH_START, AUTH_END);
  copy.fill(0, ma, ma + 16);
  const want = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(want, raw.subarray(ma, ma + 16)) ? 'ok' : 'bad_message_authenticator';
}

export type StatusServerCheck = 'ok' | 'missing_attribute' | 'bad_message_authenticator';

/**
 * Checks a Status-Server (RFC 5997 §3): it MUST carry a Message-Authenticator, else it is discarded. Its Request
 * Authenticator is random (as in an Access-Request), so it proves nothing by itself: the HMAC is taken over the
 * packet as sent, authenticator included, with only the Message-Authenticator value zeroed. A wrong secret
 * therefore shows up as a bad Message-Authenticator.
 */
export function verifyStatusServer(raw: Buffer, secret: string): StatusServerCheck {
  const ma = findMessageAuthenticator(raw);
  if (ma === undefined) return 'missing_attribute';
  if (ma < 0) return 'bad_message_authenticator';
  const want = messageAuthenticator(raw, raw.subarray(AUTH_START, AUTH_END), ma, secret);
  return timingSafeEqual(want, raw.subarray(ma, ma + 16)) ? 'ok' : 'bad_message_authenticator';
}

/**
 * HMAC-MD5(secret, Code + Identifier + Length + `authenticator` + Attributes) with the Message-Authenticator value
 * at `valueOffset` zeroed (RFC 3579 §3.2). For a response, `authenticator` is the Request Authenticator of the
 * request it answers, and the Response Authenticator is computed afterwards, over the filled-in HMAC.
 */
export function messageAuthenticator(packet: Buffer, authenticator: Buffer, valueOffset: number, secret: string): Buffer {
  const copy = Buffer.from(packet);
  authenticator.copy(copy, AUTH_START);
  copy.fill(0, valueOffset, valueOffset + 16);
  return createHmac('md5', secret).update(copy).digest();
}

/** Checks an Accounting-Response against the authenticator of the request it answers. */
export function verifyAccountingResponse(raw: Buffer, requestAuthenticator: Buffer, secret: string): boolean {
  if (raw.length < AUTH_END) return false;
  const copy = Buffer.from(raw);
  requestAuthenticator.copy(copy, AUTH_START);
  return timingSafeEqual(responseAuthenticator(copy, secret), raw.subarray(AUTH_START, AUTH_END));
}

/** Offset of the Message-Authenticator value; -1 if it has the wrong length; undefined if absent. */
export function findMessageAuthenticator(raw: Buffer): number | undefined {
  let off = AUTH_END;
  while (off + 2 <= raw.length) {
    const len = raw[off + 1]!;
    if (len < 2) return undefined;
    if (raw[off] === MESSAGE_AUTHENTICATOR) return len === 18 && off + 18 <= raw.length ? off + 2 : -1;
    off += len;
  }
  return undefined;
}
