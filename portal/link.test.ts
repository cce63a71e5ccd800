import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { checkLink, customerLink, signature } from './link.js';

const SECRET = 'k'.repeat(32);
const NOW = Date.UTC(2026, 0, 15);
const EXP = NOW / 1000 + 3600;

describe('portal links', () => {
  it('signs HMAC-SHA256(secret, id + "." + exp) in hex', () => {
    const want = createHmac('sha256', SECRET).update(`D-1001.${EXP}`).digest('hex');
    expect(signature(SECRET, 'D-1001', EXP)).toBe(want);
    expect(customerLink(SECRET, 'D 1/2', EXP)).toBe(`/c/D%201%2F2?exp=${EXP}&sig=${signature(SECRET, 'D 1/2', EXP)}`);
  });

  it('accepts its own link until it expires', () => {
    const sig = signature(SECRET, 'D-1001', EXP);
    expect(checkLink(SECRET, 'D-1001', String(EXP), sig, NOW)).toEqual({ ok: true, grant: { customerId: 'D-1001', exp: EXP } });
    expect(checkLink(SECRET, 'D-1001', String(EXP), sig.toUpperCase(), NOW).ok).toBe(true);
    expect(checkLink(SECRET, 'D-1001', String(EXP), sig, EXP * 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['another customer', 'D-1002', String(EXP), signature(SECRET, 'D-1001', EXP), 'forged'],
    ['a later exp', 'D-1001', String(EXP + 1), signature(SECRET, 'D-1001', EXP), 'forged'],
    ['another secret', 'D-1001', String(EXP), signature('x'.repeat(32), 'D-1001', EXP), 'forged'],
    ['a flipped digit', 'D-1001', String(EXP), signature(SECRET, 'D-1001', EXP).replace(/^./, (c) => (c === '0' ? '1' : '0')), 'forged'],
    ['exp in exponent form', 'D-1001', '1.7e9', signature(SECRET, 'D-1001', 1.7e9), 'malformed'],
    ['a short sig', 'D-1001', String(EXP), 'abcd', 'malformed'],
    ['no sig', 'D-1001', String(EXP), null, 'missing'],
    ['no exp', 'D-1001', null, signature(SECRET, 'D-1001', EXP), 'missing'],
  ] as const)('refuses %s', (_name, id, exp, sig, reason) => {
    expect(checkLink(SECRET, id, exp, sig, NOW)).toEqual({ ok: false, reason });
  });

  it('checks the signature before the expiry: a forged expired link says forged', () => {
    expect(checkLink(SECRET, 'D-1001', '1', signature(SECRET, 'D-1002', 1), NOW)).toEqual({ ok: false, reason: 'forged' });
  });
});
