// The usage query every store answers: what the rating engine and `wispmeter usage` read.
import type { UsageSource } from '../collectors/pipeline/usage-record.js';

export type Step = '5m' | '1h' | '1d';

export const STEP_MS: Record<Step, number> = { '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface UsageQuery {
  /** [from, to) in ms since the epoch, UTC. */
  from: number;
  to: number;
  subscriber?: string;
  /** Only these subscribers (with `subscriber`, both must hold); an empty list selects nothing. */
  subscribers?: readonly string[];
  /** Without a step: one total per subscriber over [from, to). With one: a row per subscriber and bucket. */
  step?: Step;
  /** Only records from these sources; all sources when absent. */
  sources?: readonly UsageSource[];
  /** Split each subscriber's rows by traffic class (records without one are class ""). */
  byClass?: boolean;
}

export interface UsageTotal {
  subscriber: string;
  /** Present when the query asked for byClass: the traffic class, "" for records without one. */
  class?: string;
  /** Bucket start (UTC ms) when a step was asked for; `from` otherwise. */
  time: number;
  bytesDown: bigint;
  bytesUp: bigint;
}

export interface UsageAnswer {
  rows: UsageTotal[];
  /** The query as the store ran it (SQL or InfluxQL), kept as billing evidence. */
  query: string;
}

export interface UsageStore {
  readonly name: 'embedded' | 'influx';
  /** Rows sorted by subscriber, then class, then time. Buckets are aligned to the epoch in UTC. */
  queryUsage(q: UsageQuery): Promise<UsageAnswer>;
  close(): Promise<void>;
}
