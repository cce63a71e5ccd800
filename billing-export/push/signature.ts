// The webhook signature: HMAC-SHA256 over "timestamp.body" with the endpoint's secret, as receivers verify it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Wispmeter-Signature';
export const TIMESTAMP_HEADER = 'X-Wispmeter-Timestamp';

/** "sha256=HEX" for a timestamp (Unix seconds, as sent) and the exact body bytes. */
export function signWebhook(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * What a receiver does: recompute and compare in constant time, and refuse a timestamp further than `toleranceS`
 * from its clock (a captured request replayed later fails).
 */
export function verifyWebhook(secret: string, timestamp: string, body: string | Buffer, signature: string, nowMs = Date.now(), toleranceS = 300): boolean {
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}
