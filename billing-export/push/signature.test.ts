import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './signature.js';

describe('webhook signature', () => {
  const secret = 'a-webhook-secret-of-some-length';
  const body = '{"number":"INV-2026-000001"}';
  const now = Date.UTC(2026, 0, 2, 9, 0, 0);
  const ts = String(now / 1000);

  it('is sha256=HMAC-SHA256(secret, timestamp + "." + body) in hex', () => {
    expect(signWebhook(secret, ts, body)).toBe(`sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
  });

  it('verifies the exact body and a fresh timestamp only', () => {
    const sig = signWebhook(secret, ts, body);
    expect(verifyWebhook(secret, ts, body, sig, now)).toBe(true);
    expect(verifyWebhook(secret, ts, `${body} `, sig, now)).toBe(false);
    expect(verifyWebhook('another-secret-of-some-length', ts, body, sig, now)).toBe(false);
    expect(verifyWebhook(secret, ts, body, sig, now + 301_000)).toBe(false);
    expect(verifyWebhook(secret, 'x', body, sig, now)).toBe(false);
  });
});
