// How an Influx write answer (HTTP status, body, network error) becomes a SinkResult.
import type { SinkResult } from '../../collectors/pipeline/sink.js';

/** What the sink should do besides returning the result: operator errors are logged loudly. */
export interface WriteVerdict {
  result: SinkResult;
  /** An operator error (auth, missing database, wrong URL): retried, but logged at error level. */
  operatorError: boolean;
  /** 413: the body is too big; the sink splits the batch and tries the halves. */
  tooLarge: boolean;
}

/** Retry-After is seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The `error` text of an Influx JSON error body, or the body itself, shortened for logs. */
export function influxErrorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const rec = parsed as Record<string, unknown>;
      if (typeof rec.error === 'string') return rec.error;
      if (typeof rec.message === 'string') return rec.message;
    }
  } catch {
    // not JSON: use the text as it is
  }
  return body.length > 500 ? body.slice(0, 500) + '…' : body;
}

/**
 * Maps an HTTP answer to a write.
 * - 2xx: ok (InfluxDB 3 answers 201 for a partial write; its rejected lines are in the body, logged by the caller).
 * - 408, 425, 429, 5xx: retryable, honouring Retry-After.
 * - 401, 403, 404 (bad token, no permission, database/bucket not found) and other 4xx that a config change
 *   fixes: retryable with a loud log. NOTE: dead-lettering billing data over an operator error would lose it
 *   from the normal path; holding the spool back lets the operator fix the config and carry on.
 * - 400 and 422 (bad points, points outside retention, a field type conflict, "partial write"): failed. The
 *   server wrote the good points of the batch; the runner dead-letters the whole batch, and replaying it later
 *   is harmless because points are idempotent.
 * - 413: the caller splits the batch.
 */
export function verdictForStatus(status: number, body: string, retryAfter: string | null, part: string): WriteVerdict {
  const text = influxErrorText(body);
  const error = new Error(`${part}: HTTP ${status}${text ? `: ${text}` : ''}`);
  if (status >= 200 && status < 300) return { result: { status: 'ok' }, operatorError: false, tooLarge: false };
  if (status === 413) return { result: { status: 'retryable', error }, operatorError: true, tooLarge: true };
  if (status === 400 || status === 422) return { result: { status: 'failed', error }, operatorError: false, tooLarge: false };
  const retryAfterMs = parseRetryAfter(retryAfter);
  const retryable: SinkResult = retryAfterMs === undefined ? { status: 'retryable', error } : { status: 'retryable', error, retryAfterMs };
  if (status === 408 || status === 425 || status === 429 || status >= 500) return { result: retryable, operatorError: false, tooLarge: false };
  return { result: retryable, operatorError: true, tooLarge: false };
}

/** A request that never got an HTTP answer (refused, reset, DNS, timeout) is always worth retrying. */
export function verdictForNetworkError(err: unknown, part: string): WriteVerdict {
  const cause = err instanceof Error ? err : new Error(String(err));
  const timedOut = cause.name === 'TimeoutError' || cause.name === 'AbortError' || cause.name === 'RequestTimedOutError';
  const detail = timedOut ? 'timed out' : describeNetworkError(cause);
  return { result: { status: 'retryable', error: new Error(`${part}: ${detail}`, { cause }) }, operatorError: false, tooLarge: false };
}

function describeNetworkError(err: Error): string {
  // fetch wraps the socket error ("fetch failed") in `cause`; the code (ECONNREFUSED...) is what helps.
  const inner = err.cause instanceof Error ? err.cause : err;
  const code = (inner as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} (${inner.message})` : inner.message;
}
