import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './webhook.js';

describe('retryAfterMs', () => {
  const now = new Date('2026-01-02T09:00:00Z');
  it('reads delay-seconds and HTTP dates, and ignores nonsense', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Fri, 02 Jan 2026 09:05:00 GMT', now)).toBe(300_000);
    expect(retryAfterMs('Fri, 02 Jan 2026 08:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
