// Jittered exponential backoff and the one retry loop every sink write goes through.
import type { SinkResult } from './sink.js';

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Ceiling of the computed delay. */
  maxMs: number;
  /** Growth per attempt. */
  multiplier: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter], so senders do not retry in lockstep. */
  jitter: number;
  /** A sink's retryAfterMs (e.g. HTTP Retry-After) is honoured up to this, so a bogus value cannot park a sink for days. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000, multiplier: 2, jitter: 0.2, maxRetryAfterMs: 300_000 };

/**
 * The delay before retry number `attempt` (0 = first retry). A retryAfterMs from the sink replaces the computed
 * delay; it is raised to initialMs so that a sink answering "retry after 0" cannot make a busy loop.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.min(Math.max(retryAfterMs, opts.initialMs), opts.maxRetryAfterMs);
  }
  const base = Math.min(opts.maxMs, opts.initialMs * opts.multiplier ** attempt);
  const scaled = base * (1 - opts.jitter + 2 * opts.jitter * random());
  return Math.round(Math.min(opts.maxMs, scaled));
}

/** Resolves after `ms`, or at once when `signal` aborts. The timer never keeps the process alive. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

export type RetryableResult = Extract<SinkResult, { status: 'retryable' }>;

export interface RetryOptions {
  backoff?: Partial<BackoffOptions>;
  /** Stops retrying: the last retryable answer is returned instead of waiting for another attempt. */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log and count the retry. */
  onRetry?: (result: RetryableResult, delayMs: number, attempt: number) => void;
  random?: () => number;
}

/**
 * Calls `send` until it answers ok or failed, waiting a backoff after each retryable answer; there is no attempt
 * limit because a sink that is down must not lose data. A thrown error counts as retryable: a sink bug or a
 * network exception is not proof that the batch itself is bad.
 */
export async function retrySinkWrite(send: () => Promise<SinkResult>, opts: RetryOptions = {}): Promise<SinkResult> {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...opts.backoff };
  for (let attempt = 0; ; attempt++) {
    let result: SinkResult;
    try {
      result = await send();
    } catch (e) {
      result = { status: 'retryable', error: e instanceof Error ? e : new Error(String(e)) };
    }
    if (result.status !== 'retryable' || opts.signal?.aborted) return result;
    const delay = backoffDelay(attempt, backoff, result.retryAfterMs, opts.random);
    opts.onRetry?.(result, delay, attempt);
    await sleep(delay, opts.signal);
    if (opts.signal?.aborted) return result;
  }
}
