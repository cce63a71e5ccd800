// HTTP answers of an Influx write → ok | retryable | failed, and Retry-After.
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, verdictForNetworkError, verdictForStatus } from './write-result.js';

describe('verdictForStatus', () => {
  it.each([
    [204, 'ok', false],
    [201, 'ok', false],
    [400, 'failed', false],
    [422, 'failed', false],
    [401, 'retryable', true],
    [403, 'retryable', true],
    [404, 'retryable', true],
    [408, 'retryable', false],
    [429, 'retryable', false],
    [500, 'retryable', false],
    [503, 'retryable', false],
  ] as const)('%i → %s (operator error: %s)', (status, expected, operatorError) => {
    const v = verdictForStatus(status, '{"error":"boom"}', null, 'influx v1 write');
    expect(v.result.status).toBe(expected);
    expect(v.operatorError).toBe(operatorError);
    if (v.result.status !== 'ok') expect(v.result.error.message).toBe(`influx v1 write: HTTP ${status}: boom`);
  });

  it('honours Retry-After on 429 and 503', () => {
    const v = verdictForStatus(429, '', '7', 'w');
    expect(v.result).toMatchObject({ status: 'retryable', retryAfterMs: 7000 });
  });

  it('marks 413 for splitting', () => {
    expect(verdictForStatus(413, '', null, 'w').tooLarge).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:01:00 GMT', 30_000)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('verdictForNetworkError', () => {
  it('is retryable and names the socket error code', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    const v = verdictForNetworkError(err, 'influx v1 write');
    expect(v.result.status).toBe('retryable');
    if (v.result.status === 'retryable') expect(v.result.error.message).toMatch(/^influx v1 write: ECONNREFUSED/);
  });

  it('says "timed out" for an aborted request', () => {
    const err = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const v = verdictForNetworkError(err, 'w');
    expect(v.result.status === 'retryable' && v.result.error.message).toBe('w: timed out');
  });
});
