// What goes into the durable spool and how collectors and sinks see it (the implementation is spool.ts).
import type { UsageRecord } from './usage-record.js';

/**
 * A change to a collector's own state (e.g. a RADIUS session's counters), made durable in the same fsync
 * as the usage it produced, so the state can be rebuilt after a crash by replaying the spool.
 * `value: null` deletes the key.
 */
export interface StateChange {
  /** The collector that owns the state, e.g. "radius". */
  scope: string;
  key: string;
  value: unknown;
}

/** One appended unit: zero or more usage records plus the state changes that go with them. */
export interface SpoolEntry {
  records: UsageRecord[];
  state?: StateChange[];
}

/** An entry read back with its position: `offset` where it starts, `next` where the following one starts. */
export interface SpooledEntry {
  offset: number;
  next: number;
  entry: SpoolEntry;
}

/** Thrown by append() when the unconsumed spool is at its size cap: the caller must not acknowledge. */
export class SpoolFullError extends Error {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`spool full: ${bytes} unconsumed bytes, cap ${maxBytes}`);
    this.name = 'SpoolFullError';
  }
}

/** The part of the spool a collector uses. */
export interface SpoolWriter {
  /** Resolves once the entry is on disk (fsync, shared with concurrent appends); rejects with SpoolFullError at the cap. */
  append(entry: SpoolEntry): Promise<void>;
  /**
   * The collector state of one scope as it stood when the spool was opened: the last checkpoint plus every
   * StateChange appended after it, replayed. The spool keeps it current as entries are appended and
   * checkpoints it before it deletes a consumed segment, so no state is lost with the segment.
   */
  state(scope: string): ReadonlyMap<string, unknown>;
}
