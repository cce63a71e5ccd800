// Tests of the sink retry layer: backoff growth, jitter bounds, Retry-After, and the retry loop on fake timers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, retrySinkWrite } from './retry.js';
import type { SinkResult } from './sink.js';

const mid = (): number => 0.5;

describe('backoffDelay', () => {
  it('doubles from 200 ms up to the 30 s ceiling', () => {
    expect([0, 1, 2, 3, 7, 8, 20].map((a) => backoffDelay(a, DEFAULT_BACKOFF, undefined, mid))).toEqual([200, 400, 800, 1600, 25_600, 30_000, 30_000]);
  });

  it('jitters within ±20% and never above the ceiling', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, undefined, () => 0)).toBe(160);
    expect(backoffDelay(0, DEFAULT_BACKOFF, undefined, () => 1)).toBe(240);
    expect(backoffDelay(30, DEFAULT_BACKOFF, undefined, () => 1)).toBe(30_000);
  });

  it('honours retryAfterMs, raised to the initial delay and capped', () => {
    expect(backoffDelay(5, DEFAULT_BACKOFF, 1234, mid)).toBe(1234);
    expect(backoffDelay(5, DEFAULT_BACKOFF, 0, mid)).toBe(200);
    expect(backoffDelay(0, DEFAULT_BACKOFF, 3_600_000, mid)).toBe(300_000);
  });
});

describe('retrySinkWrite', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const retryable = (msg: string, retryAfterMs?: number): SinkResult => ({ status: 'retryable', error: new Error(msg), retryAfterMs });

  it('retries retryable answers and thrown errors with backoff until ok', async () => {
    vi.useFakeTimers();
    const answers: (SinkResult | Error)[] = [retryable('down'), new Error('ECONNRESET'), retryable('busy', 5000), { status: 'ok' }];
    const calls: number[] = [];
    const delays: number[] = [];
    const start = Date.now();
    const done = retrySinkWrite(
      async () => {
        calls.push(Date.now() - start);
        const a = answers.shift()!;
        if (a instanceof Error) throw a;
        return a;
      },
      { random: mid, onRetry: (_r, d) => delays.push(d) },
    );
    await vi.advanceTimersByTimeAsync(200 + 400 + 5000);
    await expect(done).resolves.toEqual({ status: 'ok' });
    expect(delays).toEqual([200, 400, 5000]);
    expect(calls).toEqual([0, 200, 600, 5600]);
  });

  it('returns failed at once, and the last retryable answer when aborted', async () => {
    await expect(retrySinkWrite(async () => ({ status: 'failed', error: new Error('400') }))).resolves.toMatchObject({ status: 'failed' });

    vi.useFakeTimers();
    const ac = new AbortController();
    let calls = 0;
    const done = retrySinkWrite(async () => (calls++, retryable('down')), { signal: ac.signal, random: mid });
    await vi.advanceTimersByTimeAsync(200 + 400 + 100);
    ac.abort();
    const result = await done;
    expect(result).toMatchObject({ status: 'retryable' });
    expect(calls).toBe(3);
  });
});
