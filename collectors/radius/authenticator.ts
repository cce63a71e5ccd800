// Accounting authenticators: Request (RFC 2866 §3), Response (RFC 2866 §3), Message-Authenticator (RFC 3579 §3.2).
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

/** Checks an Accounting-Response against the authenticator of the request it answers. */
export function verifyAccountingResponse(raw: Buffer, requestAuthenticator: Buffer, secret: string): boolean {
  if (raw.length < AUTH_END) return false;
  const copy = Buffer.from(raw);
  requestAuthenticator.copy(copy, AUTH_START);
  return timingSafeEqual(responseAuthenticator(copy, secret), raw.subarray(AUTH_START, AUTH_END));
}

/** Offset of the Message-Authenticator value; -1 if it has the wrong length; undefined if absent. */
function findMessageAuthenticator(raw: Buffer): number | undefined {
  let off = AUTH_END;
  while (off + 2 <= raw.length) {
    const len = raw[off + 1]!;
    if (len < 2) return undefined;
    if (raw[off] === MESSAGE_AUTHENTICATOR) return len === 18 && off + 18 <= raw.length ? off + 2 : -1;
    off += len;
  }
  return undefined;
}
