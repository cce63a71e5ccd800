// The seam between the spool and a store: a sink takes batches of records and says how it went.
import type { UsageRecord } from './usage-record.js';

/**
 * ok: every record is durable in the sink; the spool may advance past them.
 * retryable: nothing or only part was written; send the same batch again later (writes are idempotent).
 * failed: the sink rejected the batch for good (e.g. a 400); the runner splits it in halves until the rejected
 *   records stand alone, stores the rest and parks only those in a dead-letter file.
 */
export type SinkResult =
  | { status: 'ok' }
  | { status: 'retryable'; error: Error; retryAfterMs?: number }
  | { status: 'failed'; error: Error };

export interface Sink {
  /** Stable name: it keys the sink's spool offset and labels its metrics. */
  readonly name: string;
  write(batch: readonly UsageRecord[], timeoutMs: number): Promise<SinkResult>;
  close(): Promise<void>;
}
