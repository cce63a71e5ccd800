// RADIUS sessions: cumulative accounting counters in, per-interval usage deltas and durable session state out.
import type { Lease } from '../pipeline/lease.js';
import type { StateChange } from '../pipeline/spool-types.js';
import { recordId, type UsageRecord } from '../pipeline/usage-record.js';
import type { AccountingEvent } from './accounting-event.js';
import { parseSessionState, sessionKey, STATE_SCOPE, type CloseReason, type LeaseState, type SessionState } from './session-state.js';

export type SessionOutcome =
  /** A positive delta became a record. */
  | 'counted'
  /** Same counters as already seen: a NAS retry with a new ID, an idle interim, a retried Stop. */
  | 'zero_delta'
  /** Lower counters than already seen: a late (reordered) packet or a counter restart. Nothing emitted. */
  | 'counter_regression'
  /** A Start opened a session. */
  | 'started'
  /** A Start for a session already open, or an old Start for one already closed. */
  | 'repeated_start'
  /** Accounting-On/Off or the sweep closed sessions. */
  | 'closed'
  | 'nothing';

/**
 * What one packet (or sweep) does, computed without touching the table: the caller appends `records` and
 * `changes` to the spool in one entry and calls `commit()` only once that append resolved. A failed append
 * leaves the table as it was, so the NAS's retry is counted as if it were the first copy.
 */
export interface SessionPlan {
  outcome: SessionOutcome;
  records: UsageRecord[];
  /** Empty when nothing durable changed: then there is nothing to append. */
  changes: StateChange[];
  commit(): void;
}

export interface SessionTableOptions {
  /** Closed sessions are kept this long after their last packet so retries are recognized. */
  closedSessionRetention: number;
  /** Open sessions with no packet for this long are closed. */
  staleSessionTimeout: number;
  /** Sessions closed as stale are kept this long after their last packet (reconcile reports them); default closedSessionRetention. */
  unstoppedSessionRetention?: number;
}

export class SessionTable {
  private readonly sessions = new Map<string, SessionState>();
  private leaseChanges = 0;

  constructor(private readonly opts: SessionTableOptions) {}

  /** Rebuilds from the spool's state; returns how many entries were not sessions we understand. */
  load(state: ReadonlyMap<string, unknown>): number {
    let skipped = 0;
    for (const [key, value] of state) {
      const s = parseSessionState(value);
      if (s) this.sessions.set(key, s);
      else skipped++;
    }
    return skipped;
  }

  get(key: string): Readonly<SessionState> | undefined {
    return this.sessions.get(key);
  }

  /** Keys of the sessions a NAS has open (what Accounting-On/Off must lock). */
  openKeys(nas: string): string[] {
    return [...this.sessions].filter(([, s]) => s.nas === nas && s.closedAt === undefined).map(([k]) => k);
  }

  openCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sessions.values()) if (s.closedAt === undefined) counts.set(s.nas, (counts.get(s.nas) ?? 0) + 1);
    return counts;
  }

  /** Plans a Start, Interim-Update or Stop. */
  planEvent(nas: string, ev: AccountingEvent, now: number): SessionPlan {
    const key = sessionKey(nas, ev.sessionId, ev.userName);
    const prev = this.sessions.get(key);
    const touch = (outcome: SessionOutcome): SessionPlan => this.touchOnly(key, now, outcome);

    let base: SessionState;
    if (ev.status === 'start') {
      if (prev && prev.closedAt === undefined) return touch('repeated_start');
      // NOTE: a Start dated no later than the close belongs to the closed session (a reordered or retried copy);
      // only a later one reuses the key for a new session.
      if (prev && prev.closedAt !== undefined && ev.eventTime <= prev.closedAt) return touch('repeated_start');
      base = fresh(nas, ev, ev.eventTime, now);
    } else if (ev.status === 'interim' || ev.status === 'stop') {
      // A session first seen mid-way (its Start lost, or the collector started late) counts from zero; its start
      // is derived from Acct-Session-Time when the NAS sends it.
      // NOTE: a session we closed as stale is over; lower counters under its key are a new session reusing the id
      // whose Start was lost (a NAS that rebooted without Accounting-On), counted from zero, not a regression.
      const reused = prev?.closeReason === 'stale' && ev.counters !== undefined && (ev.counters.bytesUp < BigInt(prev.bytesUp) || ev.counters.bytesDown < BigInt(prev.bytesDown));
      base = prev && !reused ? prev : fresh(nas, ev, ev.eventTime - (ev.sessionTime ?? 0) * 1000, now);
    } else {
      throw new Error(`radius: planEvent got ${ev.status}; Accounting-On/Off go through planNasReset`);
    }

    const prevUp = BigInt(base.bytesUp);
    const prevDown = BigInt(base.bytesDown);
    const up = ev.counters?.bytesUp ?? prevUp;
    const down = ev.counters?.bytesDown ?? prevDown;
    const regression = up < prevUp || down < prevDown;
    const next: SessionState = { ...base, leases: base.leases.map((l) => ({ ...l })), lastSeenAt: now };
    const records: UsageRecord[] = [];
    let outcome: SessionOutcome = 'zero_delta';

    if (regression) {
      // Never a negative delta: keep the high-water marks. A Stop still ends the session.
      outcome = 'counter_regression';
      if (ev.status !== 'stop') return touch(outcome);
    } else {
      next.bytesUp = up.toString();
      next.bytesDown = down.toString();
      next.lastEventAt = Math.max(base.lastEventAt, ev.eventTime);
      next.subscriber = ev.subscriber;
      mergeLeases(next, ev, base.closedAt === undefined ? ev.eventTime : undefined);
      if (up > prevUp || down > prevDown) {
        outcome = 'counted';
        records.push({
          id: recordId('radius', nas, key, base.generation, up, down),
          source: 'radius',
          device: nas,
          subscriber: ev.subscriber,
          session: ev.sessionId,
          start: Math.min(base.lastEventAt, ev.eventTime),
          end: ev.eventTime,
          bytesUp: up - prevUp,
          bytesDown: down - prevDown,
        });
      }
    }

    // Only our own guess (stale) is undone by news from the NAS; a Stop or Accounting-On/Off is final.
    if (next.closeReason === 'stale' && (ev.status === 'stop' || outcome === 'counted')) reopen(next);
    if (ev.status === 'stop' && next.closedAt === undefined) close(next, 'stop', ev.eventTime);
    if (ev.status === 'start' && outcome === 'zero_delta') outcome = 'started';
    return this.plan(outcome, records, [[key, next]], prev);
  }

  /**
   * Accounting-On/Off (RFC 2866 §5.1): the NAS rebooted or is going down, so its sessions are over. They are
   * closed at the event time without inventing usage; sessions that began after it (post-reboot) stay open.
   */
  planNasReset(nas: string, ev: AccountingEvent, now: number): SessionPlan {
    const reason: CloseReason = ev.status === 'accounting-off' ? 'accounting-off' : 'accounting-on';
    const updates: [string, SessionState][] = [];
    for (const key of this.openKeys(nas)) {
      const s = this.sessions.get(key)!;
      if (s.generation >= ev.eventTime) continue;
      const next: SessionState = { ...s, leases: s.leases.map((l) => ({ ...l })), lastSeenAt: now };
      close(next, reason, Math.max(ev.eventTime, s.lastEventAt));
      updates.push([key, next]);
    }
    return this.plan(updates.length ? 'closed' : 'nothing', [], updates, undefined);
  }

  /** Closes stale open sessions and forgets closed ones past retention. */
  planSweep(now: number, only?: ReadonlySet<string>): SessionPlan & { keys: string[] } {
    const updates: [string, SessionState | null][] = [];
    for (const [key, s] of this.sessions) {
      if (only && !only.has(key)) continue;
      const idle = now - s.lastSeenAt;
      if (s.closedAt === undefined && idle >= this.opts.staleSessionTimeout) {
        const next: SessionState = { ...s, leases: s.leases.map((l) => ({ ...l })) };
        close(next, 'stale', s.lastEventAt);
        updates.push([key, next]);
      } else if (s.closedAt !== undefined && idle >= this.retentionOf(s)) {
        updates.push([key, null]);
      }
    }
    return { ...this.plan(updates.length ? 'closed' : 'nothing', [], updates, undefined), keys: updates.map(([k]) => k) };
  }

  /**
   * NOTE: a session the NAS never ended (closed by us as stale) is evidence of lost accounting or a crashed NAS;
   * it outlives the retry window so that `wispmeter reconcile` can still list it when the month is checked.
   */
  private retentionOf(s: SessionState): number {
    const closed = this.opts.closedSessionRetention;
    return s.closeReason === 'stale' ? Math.max(closed, this.opts.unstoppedSessionRetention ?? closed) : closed;
  }

  /** Bumped whenever a commit changes any session's leases, so a reader can rebuild its address map only then. */
  get leaseVersion(): number {
    return this.leaseChanges;
  }

  /** Current and recently closed leases (closed sessions are kept for closedSessionRetention). */
  leases(): Lease[] {
    const out: Lease[] = [];
    for (const s of this.sessions.values()) {
      for (const l of s.leases) {
        out.push({ subscriber: s.subscriber, prefix: l.prefix, kind: l.kind, device: s.nas, session: s.sessionId, from: l.from, ...(l.to !== undefined ? { to: l.to } : {}) });
      }
    }
    return out;
  }

  private touchOnly(key: string, now: number, outcome: SessionOutcome): SessionPlan {
    // Refreshes liveness in memory only: nothing durable changed, so nothing is appended.
    return { outcome, records: [], changes: [], commit: () => { const s = this.sessions.get(key); if (s) s.lastSeenAt = now; } };
  }

  private plan(outcome: SessionOutcome, records: UsageRecord[], updates: [string, SessionState | null][], prev: SessionState | undefined): SessionPlan {
    // A state that differs from the stored one only in lastSeenAt is not worth an fsync. (Usage is always written,
    // so the comparison, two JSON.stringify calls, is only made when there is none.)
    const durable = records.length > 0 || updates.some(([k, v]) => v === null || !sameDurable(this.sessions.get(k) ?? prev, v));
    return {
      outcome,
      records,
      changes: durable ? updates.map(([key, value]) => ({ scope: STATE_SCOPE, key, value })) : [],
      commit: () => {
        for (const [k, v] of updates) {
          if (leaseSignature(this.sessions.get(k)) !== leaseSignature(v ?? undefined)) this.leaseChanges++;
          if (v === null) this.sessions.delete(k);
          else this.sessions.set(k, v);
        }
      },
    };
  }
}

function leaseSignature(s: SessionState | undefined): string {
  return s ? s.leases.map((l) => `${l.kind} ${l.prefix} ${l.from} ${l.to ?? ''}`).join('|') : '';
}

function fresh(nas: string, ev: AccountingEvent, generation: number, now: number): SessionState {
  return {
    v: 1, nas, sessionId: ev.sessionId, userName: ev.userName, subscriber: ev.subscriber,
    generation, lastEventAt: generation, lastSeenAt: now, bytesUp: '0', bytesDown: '0', leases: [],
  };
}

function close(s: SessionState, reason: CloseReason, at: number): void {
  s.closedAt = at;
  s.closeReason = reason;
  for (const l of s.leases) if (l.to === undefined) l.to = Math.max(at, l.from);
}

function reopen(s: SessionState): void {
  for (const l of s.leases) if (l.to === s.closedAt) delete l.to;
  delete s.closedAt;
  delete s.closeReason;
}

/** Opens a lease for each new address; an address of the same kind that changed ends the old lease. */
function mergeLeases(s: SessionState, ev: AccountingEvent, at: number | undefined): void {
  if (at === undefined) return;
  for (const obs of ev.leases) {
    const current = s.leases.find((l) => l.kind === obs.kind && l.to === undefined);
    if (current?.prefix === obs.prefix) continue;
    if (current) current.to = Math.max(at, current.from);
    const lease: LeaseState = { kind: obs.kind, prefix: obs.prefix, from: s.leases.length === 0 && !current ? s.generation : at };
    if (ev.status === 'stop') lease.to = at;
    s.leases.push(lease);
  }
}

function sameDurable(a: SessionState | undefined, b: SessionState): boolean {
  if (!a) return false;
  return JSON.stringify({ ...a, lastSeenAt: 0 }) === JSON.stringify({ ...b, lastSeenAt: 0 });
}
