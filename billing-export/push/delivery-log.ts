// Deliveries in the ledger (table delivery_attempt): one row per attempt, claimed before the attempt and finished
// after it, so that a document goes out once per channel and recipient, and a later run resumes the retries.
import type { RetryPolicy } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import { retryDelayMs } from './backoff.js';

export type Channel = 'email' | 'webhook';
export type DeliveryStatus = 'pending' | 'ok' | 'retryable' | 'dead';

/** What one attempt answered: delivered, worth another try, or refused for good. */
export type AttemptResult =
  | { status: 'ok'; messageId?: string }
  /** `retryAfterMs`: the receiver asked for at least this long (Retry-After). */
  | { status: 'retryable'; error: string; retryAfterMs?: number }
  | { status: 'failed'; error: string };

/** One document to one recipient (an address, a webhook endpoint's name) over one channel. */
export interface Delivery {
  invoiceId: number;
  number: string;
  channel: Channel;
  target: string;
  /** Stable for the document, channel and target: the ledger's idempotency key and the webhook's Idempotency-Key. */
  key: string;
}

export function deliveryKey(channel: Channel, number: string, target: string): string {
  return `${channel}:${number}:${channel === 'email' ? target.toLowerCase() : target}`;
}

export interface AttemptRow {
  id: number;
  invoice_id: number;
  channel: Channel;
  target: string;
  attempt: number;
  status: DeliveryStatus;
  next_attempt_at: string | null;
  error: string | null;
  message_id: string | null;
  idempotency_key: string;
  created_at: string;
  updated_at: string;
}

export type Claim =
  /** `round` is the first attempt since the last delivery (or dead end): the same message id for every retry of it. */
  | { status: 'claimed'; id: number; attempt: number; round: number }
  | { status: 'skipped'; reason: 'delivered' | 'dead' | 'not-due' | 'in-flight'; last: AttemptRow };

/** The latest attempt of each delivery, with how many attempts it has had. */
export interface DeliveryState extends AttemptRow {
  number: string;
  attempts: number;
}

/**
 * NOTE: an attempt still 'pending' after this long belongs to a sender that died between sending and recording.
 * Its outcome is unknown: it is tried again with the same Idempotency-Key (webhooks) or Message-ID (email), so the
 * receiver can tell the repeat. Longer than any attempt's timeout.
 */
export const STALE_PENDING_MS = 10 * 60_000;

/** Why the next attempt of a delivery is not to be made now, if it is not. */
function skipReason(last: AttemptRow | undefined, now: Date, force: boolean): Extract<Claim, { status: 'skipped' }>['reason'] | undefined {
  if (!last) return undefined;
  if (last.status === 'pending' && now.getTime() - Date.parse(last.updated_at) < STALE_PENDING_MS) return 'in-flight';
  if (force) return undefined;
  if (last.status === 'ok') return 'delivered';
  if (last.status === 'dead') return 'dead';
  if (last.status === 'retryable' && last.next_attempt_at! > now.toISOString()) return 'not-due';
  return undefined;
}

export class DeliveryLog {
  constructor(private readonly ledger: Ledger) {}

  private last(key: string): AttemptRow | undefined {
    return this.ledger.db.prepare('SELECT * FROM delivery_attempt WHERE idempotency_key = ? ORDER BY attempt DESC LIMIT 1').get(key) as AttemptRow | undefined;
  }

  /** First attempt of the current round: after the last 'ok' or 'dead' attempt of the key. */
  private roundStart(key: string): number {
    const r = this.ledger.db.prepare("SELECT max(attempt) AS a FROM delivery_attempt WHERE idempotency_key = ? AND status IN ('ok', 'dead')").get(key) as { a: number | null };
    return (r.a ?? 0) + 1;
  }

  /**
   * Takes the next attempt of a delivery, under the ledger's write lock so that two senders never both send it. A
   * delivered or dead one is skipped unless `force` (a resend starts a new round); a retry waits for its time.
   */
  claim(d: Delivery, now: Date, force = false): Claim {
    return this.ledger.write((): Claim => {
      const last = this.last(d.key);
      const at = now.toISOString();
      const skip = skipReason(last, now, force);
      if (skip) return { status: 'skipped', reason: skip, last: last! };
      if (last?.status === 'pending') {
        this.ledger.db.prepare("UPDATE delivery_attempt SET status = 'retryable', next_attempt_at = ?, error = ?, updated_at = ? WHERE id = ?")
          .run(at, 'outcome unknown: the sender stopped before recording it', at, last.id);
      }
      const attempt = (last?.attempt ?? 0) + 1;
      const round = last && (last.status === 'ok' || last.status === 'dead') ? attempt : this.roundStart(d.key);
      const id = Number(this.ledger.db.prepare(`
        INSERT INTO delivery_attempt (invoice_id, channel, target, attempt, status, idempotency_key, created_at, updated_at)
        VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`).run(d.invoiceId, d.channel, d.target, attempt, d.key, at, at).lastInsertRowid);
      return { status: 'claimed', id, attempt, round };
    });
  }

  /** What `claim` would do now, without writing (a dry run). */
  preview(d: Delivery, now: Date, force = false): { status: 'would-send'; attempt: number } | Extract<Claim, { status: 'skipped' }> {
    const last = this.last(d.key);
    const skip = skipReason(last, now, force);
    return skip ? { status: 'skipped', reason: skip, last: last! } : { status: 'would-send', attempt: (last?.attempt ?? 0) + 1 };
  }

  /** Records what a claimed attempt answered; a retryable failure past the policy's attempts is dead. */
  finish(claim: { id: number; attempt: number; round: number }, result: AttemptResult, policy: RetryPolicy, now: Date, random?: () => number): AttemptRow {
    const at = now.toISOString();
    const failures = claim.attempt - claim.round + 1;
    let status: DeliveryStatus;
    let next: string | null = null;
    let error: string | null = null;
    switch (result.status) {
      case 'ok':
        status = 'ok';
        break;
      case 'failed':
        status = 'dead';
        error = result.error;
        break;
      case 'retryable':
        if (failures >= policy.maxAttempts) {
          status = 'dead';
          error = `${result.error} (gave up after ${failures} attempts)`;
        } else {
          status = 'retryable';
          error = result.error;
          const delay = Math.min(policy.maxDelayMs, Math.max(retryDelayMs(failures, policy, random), result.retryAfterMs ?? 0));
          next = new Date(now.getTime() + delay).toISOString();
        }
        break;
      default: {
        const never: never = result;
        throw new Error(`delivery: unknown result ${String(never)}`);
      }
    }
    const messageId = result.status === 'ok' ? result.messageId ?? null : null;
    return this.ledger.write(() => {
      const row = this.ledger.db.prepare(`
        UPDATE delivery_attempt SET status = ?, next_attempt_at = ?, error = ?, message_id = ?, updated_at = ? WHERE id = ? AND status = 'pending'
        RETURNING *`).get(status, next, error, messageId, at, claim.id) as AttemptRow | undefined;
      // Taken over as stale by another sender (an attempt that outlived STALE_PENDING_MS): its record stands.
      return row ?? (this.ledger.db.prepare('SELECT * FROM delivery_attempt WHERE id = ?').get(claim.id) as AttemptRow);
    });
  }

  /** Deliveries whose latest attempt awaits a retry (due or not) or was left pending, in document order. */
  unfinished(channel: Channel): Delivery[] {
    return (this.states({ channel }).filter((s) => s.status === 'retryable' || s.status === 'pending'))
      .map((s) => ({ invoiceId: s.invoice_id, number: s.number, channel: s.channel, target: s.target, key: s.idempotency_key }));
  }

  /** The latest attempt of every delivery, in document order. */
  states(filter: { channel?: Channel; status?: DeliveryStatus; number?: string } = {}): DeliveryState[] {
    const rows = this.ledger.db.prepare(`
      SELECT d.*, i.number AS number, (SELECT count(*) FROM delivery_attempt c WHERE c.idempotency_key = d.idempotency_key) AS attempts
      FROM delivery_attempt d JOIN invoice i ON i.id = d.invoice_id
      WHERE d.attempt = (SELECT max(attempt) FROM delivery_attempt m WHERE m.idempotency_key = d.idempotency_key)
        AND (@channel IS NULL OR d.channel = @channel) AND (@status IS NULL OR d.status = @status) AND (@number IS NULL OR i.number = @number)
      ORDER BY i.issue_date, i.id, d.channel, d.target`).all({ channel: filter.channel ?? null, status: filter.status ?? null, number: filter.number ?? null });
    return rows as DeliveryState[];
  }
}
