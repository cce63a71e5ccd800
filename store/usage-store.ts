// The usage query every store answers: what the rating engine and `wispmeter usage` read.

export type Step = '5m' | '1h' | '1d';

export const STEP_MS: Record<Step, number> = { '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface UsageQuery {
  /** [from, to) in ms since the epoch, UTC. */
  from: number;
  to: number;
  subscriber?: string;
  /** Without a step: one total per subscriber over [from, to). With one: a row per subscriber and bucket. */
  step?: Step;
}

export interface UsageTotal {
  subscriber: string;
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
  /** Rows sorted by subscriber, then time. Buckets are aligned to the epoch in UTC. */
  queryUsage(q: UsageQuery): Promise<UsageAnswer>;
  close(): Promise<void>;
}
