import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 10_000 };
  it('doubles per failure within ±50 % jitter, capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(3, policy, () => 0.999)).toBe(Math.round(4000 * 1.499));
    expect(retryDelayMs(60, policy, () => 0.999)).toBe(10_000);
  });
});
