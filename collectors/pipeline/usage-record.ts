// The one record every collector produces and every store keeps: a per-interval usage delta.
import { hash } from 'node:crypto';

/** Where a record came from. A closed set: rating picks sources by precedence. */
export type UsageSource = 'radius' | 'netflow' | 'snmp' | 'routeros';

/**
 * Usage of one subscriber over one interval, as a delta (never cumulative).
 * Direction is named from the subscriber: bytesDown is traffic to the subscriber, bytesUp from it.
 */
export interface UsageRecord {
  /** Deterministic identity: a retransmit, a spool replay or a re-poll yields the same id and overwrites. */
  id: string;
  source: UsageSource;
  /** The exporting device by its configured name (RADIUS client name, poller target). */
  device: string;
  /** Subscriber identity after rewrite rules (e.g. User-Name with realm stripped). */
  subscriber: string;
  /** Session the delta belongs to (RADIUS Acct-Session-Id); evidence only, never an Influx tag. */
  session?: string;
  /**
   * Traffic class from the NetFlow collector's prefix lists (e.g. "zero-rated"); absent for sources that cannot
   * tell classes apart (RADIUS, SNMP, RouterOS), which stores and queries treat as the default class "".
   */
  class?: string;
  /** Interval [start, end) in ms since the Unix epoch, UTC. The record is attributed to `end`. */
  start: number;
  end: number;
  bytesDown: bigint;
  bytesUp: bigint;
}

/** A stable short id from the parts that identify a record. */
export function recordId(source: UsageSource, ...parts: (string | number | bigint)[]): string {
  // One-shot crypto.hash: a Hash object per record cost more than the digest itself at RADIUS rates.
  return `${source}:${hash('sha256', `${source}\0${parts.join('\0')}`, 'base64url').slice(0, 22)}`;
}

/** JSON form for the spool: bigints as decimal strings. */
export type UsageRecordJson = Omit<UsageRecord, 'bytesDown' | 'bytesUp'> & { bytesDown: string; bytesUp: string };

export function toJson(r: UsageRecord): UsageRecordJson {
  return { ...r, bytesDown: r.bytesDown.toString(), bytesUp: r.bytesUp.toString() };
}

export function fromJson(j: UsageRecordJson): UsageRecord {
  return { ...j, bytesDown: BigInt(j.bytesDown), bytesUp: BigInt(j.bytesUp) };
}
