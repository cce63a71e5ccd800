// One pass over deliveries: claim each in the ledger, make one attempt if it is due, record the answer.
import type { RetryPolicy } from '../config.js';
import { type AttemptResult, type AttemptRow, type Claim, type Delivery, DeliveryLog } from './delivery-log.js';

/** A channel's transport: one attempt of one delivery. `round` keys what must stay the same across retries. */
export interface DeliverySender {
  send(d: Delivery, attempt: { attempt: number; round: number }): Promise<AttemptResult>;
}

export type DeliveryOutcome =
  | { delivery: Delivery; status: 'delivered' | 'retry' | 'dead'; row: AttemptRow }
  | { delivery: Delivery; status: 'skipped'; reason: Extract<Claim, { status: 'skipped' }>['reason']; row: AttemptRow };

export interface DeliverOptions {
  policy: RetryPolicy;
  now: () => Date;
  /** Send again what was delivered or is dead, and what waits for a retry (a new round of attempts). */
  force?: boolean;
  random?: () => number;
  /** Before each claim; throwing stops the pass there (a scheduler that lost its lease). */
  beforeEach?: () => void;
}

/**
 * Delivers one after the other (a clerk's batch is small, and one SMTP or HTTP peer at a time is polite). A sender
 * that throws instead of answering is a retryable failure of that delivery, never of the pass.
 */
export async function deliver(deliveries: readonly Delivery[], sender: DeliverySender, log: DeliveryLog, opts: DeliverOptions): Promise<DeliveryOutcome[]> {
  const out: DeliveryOutcome[] = [];
  for (const d of deliveries) {
    opts.beforeEach?.();
    const claim = log.claim(d, opts.now(), opts.force);
    if (claim.status === 'skipped') {
      out.push({ delivery: d, status: 'skipped', reason: claim.reason, row: claim.last });
      continue;
    }
    let result: AttemptResult;
    try {
      result = await sender.send(d, claim);
    } catch (err) {
      result = { status: 'retryable', error: err instanceof Error ? err.message : String(err) };
    }
    const row = log.finish(claim, result, opts.policy, opts.now(), opts.random);
    out.push({ delivery: d, status: row.status === 'ok' ? 'delivered' : row.status === 'dead' ? 'dead' : 'retry', row });
  }
  return out;
}
