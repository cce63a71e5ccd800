// Session tests: cumulative counters to deltas, retries, regressions, Accounting-On/Off, sweep, leases, restart.
import { describe, expect, it } from 'vitest';
import type { AccountingEvent } from './accounting-event.js';
import { sessionKey } from './session-state.js';
import { SessionTable, type SessionPlan } from './sessions.js';

const T = 1_767_225_600_000;
const opts = { closedSessionRetention: 86_400_000, staleSessionTimeout: 172_800_000 };

function ev(status: AccountingEvent['status'], at: number, up?: bigint, down?: bigint, extra: Partial<AccountingEvent> = {}): AccountingEvent {
  return {
    status, sessionId: 's1', userName: 'alice@isp', subscriber: 'alice', eventTime: T + at * 1000, leases: [], vendorAttributes: {},
    ...(up !== undefined ? { counters: { bytesUp: up, bytesDown: down ?? 0n } } : {}),
    ...extra,
  };
}

/** Applies a plan as the server does after a successful append. */
function apply(p: SessionPlan): SessionPlan {
  p.commit();
  return p;
}

describe('SessionTable', () => {
  it('turns Start, Interims and Stop into per-interval deltas', () => {
    const t = new SessionTable(opts);
    expect(apply(t.planEvent('nas1', ev('start', 0), T)).outcome).toBe('started');
    const i1 = apply(t.planEvent('nas1', ev('interim', 300, 100n, 1000n), T));
    const i2 = apply(t.planEvent('nas1', ev('interim', 600, 150n, 3000n), T));
    const stop = apply(t.planEvent('nas1', ev('stop', 700, 160n, 3500n), T));
    const recs = [i1, i2, stop].flatMap((p) => p.records);
    expect(recs.map((r) => [r.start - T, r.end - T, r.bytesUp, r.bytesDown])).toEqual([
      [0, 300_000, 100n, 1000n],
      [300_000, 600_000, 50n, 2000n],
      [600_000, 700_000, 10n, 500n],
    ]);
    expect(recs[0]).toMatchObject({ source: 'radius', device: 'nas1', subscriber: 'alice', session: 's1' });
    expect(new Set(recs.map((r) => r.id)).size).toBe(3);
    expect(stop.changes).toHaveLength(1);
    expect(t.get(sessionKey('nas1', 's1', 'alice@isp'))).toMatchObject({ closeReason: 'stop', closedAt: T + 700_000 });
  });

  it('counts across the 4 GiB gigawords boundary without a wrap', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('start', 0), T));
    apply(t.planEvent('nas1', ev('interim', 300, 0n, 2n ** 32n - 10n), T));
    const p = apply(t.planEvent('nas1', ev('interim', 600, 0n, 2n ** 32n + 5n), T));
    expect(p.records[0]?.bytesDown).toBe(15n);
  });

  it('counts a session first seen by an Interim from zero, dated back by Acct-Session-Time', () => {
    const t = new SessionTable(opts);
    const p = apply(t.planEvent('nas1', ev('interim', 600, 10n, 20n, { sessionTime: 600 }), T));
    expect(p.records.map((r) => [r.start - T, r.end - T, r.bytesUp, r.bytesDown])).toEqual([[0, 600_000, 10n, 20n]]);
  });

  it('counts a Stop without a Start from zero and closes the session', () => {
    const t = new SessionTable(opts);
    const p = apply(t.planEvent('nas1', ev('stop', 60, 7n, 9n), T));
    expect(p.records.map((r) => [r.bytesUp, r.bytesDown])).toEqual([[7n, 9n]]);
    expect(t.openCounts().size).toBe(0);
  });

  it('never emits a negative delta: lower counters are late (or a restart) and change nothing', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('interim', 600, 100n, 100n), T));
    const late = apply(t.planEvent('nas1', ev('interim', 300, 50n, 200n), T));
    expect(late.outcome).toBe('counter_regression');
    expect(late.records).toEqual([]);
    expect(late.changes).toEqual([]);
    const next = apply(t.planEvent('nas1', ev('interim', 900, 120n, 300n), T));
    expect(next.records.map((r) => [r.bytesUp, r.bytesDown])).toEqual([[20n, 200n]]);
  });

  it('counts a NAS retry with a new ID and bumped Acct-Delay-Time once (zero delta, acknowledged)', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('interim', 300, 100n, 100n), T));
    // Same cumulative counters; without Event-Timestamp the event time shifts by a second of rounding.
    const retry = apply(t.planEvent('nas1', ev('interim', 301, 100n, 100n), T + 5000));
    expect(retry.outcome).toBe('zero_delta');
    expect(retry.records).toEqual([]);
  });

  it('treats a Stop for a closed session as a retry, and a later Start with the same key as a new session', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('start', 0), T));
    const first = apply(t.planEvent('nas1', ev('stop', 300, 100n, 100n), T));
    const retry = apply(t.planEvent('nas1', ev('stop', 300, 100n, 100n), T));
    expect(retry).toMatchObject({ outcome: 'zero_delta', records: [], changes: [] });
    // A retried copy of the old Start is recognized by its time and ignored.
    expect(apply(t.planEvent('nas1', ev('start', 0), T)).outcome).toBe('repeated_start');
    expect(apply(t.planEvent('nas1', ev('start', 1000), T)).outcome).toBe('started');
    const again = apply(t.planEvent('nas1', ev('interim', 1300, 100n, 100n), T));
    expect(again.records.map((r) => [r.bytesUp, r.bytesDown])).toEqual([[100n, 100n]]);
    expect(again.records[0]?.id).not.toBe(first.records[0]?.id);
  });

  it('yields the same record id when an uncommitted plan (failed append) is planned again', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('start', 0), T));
    const a = t.planEvent('nas1', ev('interim', 300, 100n, 100n), T); // append failed: not committed
    const b = t.planEvent('nas1', ev('interim', 302, 100n, 100n), T + 2000); // the NAS's retry
    expect(b.records[0]?.id).toBe(a.records[0]?.id);
    expect(b.records[0]?.bytesDown).toBe(100n);
  });

  it('closes a NAS\'s older open sessions on Accounting-On/Off, without usage', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('start', 0), T));
    apply(t.planEvent('nas1', ev('start', 0, undefined, undefined, { sessionId: 's2' }), T));
    apply(t.planEvent('nas2', ev('start', 0), T));
    apply(t.planEvent('nas1', ev('start', 500, undefined, undefined, { sessionId: 'after-reboot' }), T));
    const on = apply(t.planNasReset('nas1', ev('accounting-on', 400), T));
    expect(on.outcome).toBe('closed');
    expect(on.records).toEqual([]);
    expect(on.changes).toHaveLength(2);
    expect(Object.fromEntries(t.openCounts())).toEqual({ nas1: 1, nas2: 1 });
    const off = apply(t.planNasReset('nas2', ev('accounting-off', 600), T));
    expect(off.changes).toHaveLength(1);
    expect(t.get(sessionKey('nas2', 's1', 'alice@isp'))?.closeReason).toBe('accounting-off');
    expect(apply(t.planNasReset('nas2', ev('accounting-on', 700), T))).toMatchObject({ outcome: 'nothing', changes: [] });
  });

  it('closes stale sessions, reopens one the NAS still reports, and forgets closed ones after retention', () => {
    const t = new SessionTable({ closedSessionRetention: 10_000, staleSessionTimeout: 5_000 });
    apply(t.planEvent('nas1', ev('interim', 0, 1n, 1n), T));
    expect(t.planSweep(T + 4_000).changes).toEqual([]);
    const stale = apply(t.planSweep(T + 5_000));
    expect(stale.changes[0]?.value).toMatchObject({ closeReason: 'stale' });
    apply(t.planEvent('nas1', ev('interim', 60, 2n, 2n), T + 6_000));
    expect(t.openCounts().get('nas1')).toBe(1);
    apply(t.planEvent('nas1', ev('stop', 70, 2n, 2n), T + 7_000));
    const forget = apply(t.planSweep(T + 17_000));
    expect(forget.changes).toEqual([{ scope: 'radius', key: sessionKey('nas1', 's1', 'alice@isp'), value: null }]);
    expect(t.get(sessionKey('nas1', 's1', 'alice@isp'))).toBeUndefined();
  });

  it('keeps a session it closed as stale (the NAS never stopped it) for unstoppedSessionRetention, for reconcile', () => {
    const t = new SessionTable({ closedSessionRetention: 10_000, staleSessionTimeout: 5_000, unstoppedSessionRetention: 100_000 });
    apply(t.planEvent('nas1', ev('interim', 0, 1n, 1n), T));
    apply(t.planEvent('nas1', ev('interim', 0, 1n, 1n, { sessionId: 's2' }), T));
    apply(t.planEvent('nas1', ev('stop', 1, 1n, 1n, { sessionId: 's2' }), T));
    expect(apply(t.planSweep(T + 5_000)).changes[0]?.value).toMatchObject({ closeReason: 'stale' });
    // The stopped one goes after closedSessionRetention; the unstopped one stays.
    expect(apply(t.planSweep(T + 50_000)).changes).toEqual([{ scope: 'radius', key: sessionKey('nas1', 's2', 'alice@isp'), value: null }]);
    expect(t.get(sessionKey('nas1', 's1', 'alice@isp'))?.closeReason).toBe('stale');
    expect(apply(t.planSweep(T + 100_000)).changes).toEqual([{ scope: 'radius', key: sessionKey('nas1', 's1', 'alice@isp'), value: null }]);
  });

  it('counts lower counters under the key of a session closed as stale as a new session reusing the id', () => {
    const t = new SessionTable({ closedSessionRetention: 10_000, staleSessionTimeout: 5_000, unstoppedSessionRetention: 100_000 });
    apply(t.planEvent('nas1', ev('interim', 0, 500n, 900n), T));
    apply(t.planSweep(T + 5_000));
    const reused = apply(t.planEvent('nas1', ev('interim', 3600, 10n, 20n, { sessionTime: 60 }), T + 60_000));
    expect(reused.outcome).toBe('counted');
    expect(reused.records.map((r) => [r.bytesUp, r.bytesDown, r.start])).toEqual([[10n, 20n, T + 3_540_000]]);
    expect(t.get(sessionKey('nas1', 's1', 'alice@isp'))).toMatchObject({ generation: T + 3_540_000, bytesUp: '10', bytesDown: '20' });
    expect(t.get(sessionKey('nas1', 's1', 'alice@isp'))?.closedAt).toBeUndefined();
  });

  it('records leases from Start to Stop, and a changed address as a new lease', () => {
    const t = new SessionTable(opts);
    apply(t.planEvent('nas1', ev('start', 0, undefined, undefined, { leases: [{ kind: 'framed-ip', prefix: '100.64.0.2' }] }), T));
    apply(t.planEvent('nas1', ev('interim', 300, 1n, 1n, { leases: [{ kind: 'framed-ip', prefix: '100.64.0.2' }, { kind: 'delegated-ipv6-prefix', prefix: '2001:db8:1::/56' }] }), T));
    expect(t.leases().map((l) => [l.prefix, l.from - T, l.to])).toEqual([['100.64.0.2', 0, undefined], ['2001:db8:1::/56', 300_000, undefined]]);
    apply(t.planEvent('nas1', ev('interim', 600, 2n, 2n, { leases: [{ kind: 'framed-ip', prefix: '100.64.0.9' }] }), T));
    apply(t.planEvent('nas1', ev('stop', 900, 3n, 3n), T));
    expect(t.leases().map((l) => [l.kind, l.prefix, l.from - T, (l.to ?? 0) - T])).toEqual([
      ['framed-ip', '100.64.0.2', 0, 600_000],
      ['delegated-ipv6-prefix', '2001:db8:1::/56', 300_000, 900_000],
      ['framed-ip', '100.64.0.9', 600_000, 900_000],
    ]);
    expect(t.leases()[0]).toMatchObject({ subscriber: 'alice', device: 'nas1', session: 's1' });
  });

  it('survives a restart: state written by the plans rebuilds an equal table', () => {
    const t = new SessionTable(opts);
    const state = new Map<string, unknown>();
    const run = (p: SessionPlan): void => {
      for (const c of JSON.parse(JSON.stringify(p.changes)) as { key: string; value: unknown }[]) {
        if (c.value === null) state.delete(c.key);
        else state.set(c.key, c.value);
      }
      p.commit();
    };
    run(t.planEvent('nas1', ev('start', 0, undefined, undefined, { leases: [{ kind: 'framed-ip', prefix: '100.64.0.2' }] }), T));
    run(t.planEvent('nas1', ev('interim', 300, 2n ** 40n, 5n), T));
    const t2 = new SessionTable(opts);
    expect(t2.load(new Map([...state, ['junk', { v: 2 }]]))).toBe(1);
    expect(t2.leases()).toEqual(t.leases());
    const p = t2.planEvent('nas1', ev('stop', 600, 2n ** 40n + 1n, 6n), T);
    expect(p.records.map((r) => [r.start - T, r.bytesUp, r.bytesDown])).toEqual([[300_000, 1n, 1n]]);
  });
});
