// When a failed delivery is tried again: exponential backoff with jitter, capped.
import type { RetryPolicy } from '../config.js';

/**
 * Delay after the `failures`-th failure in a row (1 = the first): base × 2^(failures−1), capped at maxDelayMs, then
 * scaled by a random factor in [0.5, 1.5) so that deliveries failed by one outage do not all come back at once.
 */
export function retryDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.min(policy.maxDelayMs, Math.round(exp * (0.5 + random())));
}
