// The webhook transport: POST the canonical JSON of a document, signed, with a stable Idempotency-Key.
import type { WebhookConfig } from '../config.js';
import type { AttemptResult } from './delivery-log.js';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.js';

export interface WebhookRequest {
  endpoint: WebhookConfig;
  /** The exact bytes signed and sent. */
  body: string;
  idempotencyKey: string;
  documentNumber: string;
  now: Date;
}

/**
 * One attempt. 2xx is delivered; 408, 429 and 5xx, a timeout or a broken connection are worth a retry; any other
 * answer (4xx, or a redirect: the endpoint moved, fix its url) is permanent. Errors never quote the URL (it may
 * carry a token) or the secret.
 */
export async function postWebhook(req: WebhookRequest): Promise<AttemptResult> {
  const timestamp = String(Math.floor(req.now.getTime() / 1000));
  let res: Response;
  try {
    res = await fetch(req.endpoint.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(req.endpoint.timeoutMs),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'wispmeter',
        'Idempotency-Key': req.idempotencyKey,
        'X-Wispmeter-Document': req.documentNumber,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signWebhook(req.endpoint.secret, timestamp, req.body),
      },
      body: req.body,
    });
  } catch (err) {
    return { status: 'retryable', error: `webhook ${req.endpoint.name}: ${connectionError(err)}` };
  }
  // Read (and bound) the answer so the connection is released; it helps the clerk see why.
  const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
  const answer = `webhook ${req.endpoint.name}: HTTP ${res.status}${text ? ` ${text}` : ''}`;
  if (res.status >= 200 && res.status < 300) return { status: 'ok' };
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const after = retryAfterMs(res.headers.get('retry-after'), req.now);
    return { status: 'retryable', error: answer, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { status: 'failed', error: `${answer} (permanent)` };
}

function connectionError(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return `connection failed${cause?.code ? `: ${cause.code}` : cause?.message ? `: ${cause.message}` : ''}`;
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3); nonsense is ignored. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
