// Counter arithmetic of one device across polls: first poll, advance, wraps, restarts, discontinuities, rows that come and go.
import { describe, expect, it } from 'vitest';
import { deviceUsage, parseDeviceState, restartedBetween, type DeviceState, type MappedRow } from './device-usage.js';
import type { CounterRow } from './profiles/profile.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

function row(key: string, down: bigint, up: bigint, opts: Partial<CounterRow> & { width?: 32 | 64 } = {}): CounterRow {
  const width = opts.width ?? 64;
  return { key, label: key, subscriberKey: key, down: { value: down, width }, up: { value: up, width }, health: {}, ...(opts.discontinuity !== undefined ? { discontinuity: opts.discontinuity } : {}) };
}

/** Runs polls in order; each poll is [uptime ticks, rows mapped to subscriber = row key (or undefined)]. */
function run(polls: { uptime: bigint; rows: (CounterRow & { nobody?: boolean })[]; profile?: 'if-mib' | 'mikrotik-queue' }[]) {
  let prev: DeviceState | undefined;
  return polls.map((p, i) => {
    const readings: MappedRow[] = p.rows.map((r) => ({ profile: p.profile ?? 'mikrotik-queue', row: r, subscriber: r.nobody ? undefined : r.key }));
    const u = deviceUsage({ device: 'ccr', prev, at: T0 + i * MIN, uptime: p.uptime, uptimeSource: 'sysUpTime', readings, profiles: [p.profile ?? 'mikrotik-queue'] });
    // Through JSON, as the spool keeps it.
    prev = parseDeviceState(JSON.parse(JSON.stringify(u.state)));
    return u;
  });
}

const sum = (u: ReturnType<typeof run>, who: string) =>
  u.flatMap((x) => x.records).filter((r) => r.subscriber === who).reduce((t, r) => ({ down: t.down + r.bytesDown, up: t.up + r.bytesUp }), { down: 0n, up: 0n });

describe('deviceUsage', () => {
  it('gives no usage on the first poll, then the advance of each counter, per subscriber and interval', () => {
    const u = run([
      { uptime: 1000n, rows: [row('alice', 5_000_000_000n, 100n)] },
      { uptime: 7000n, rows: [row('alice', 5_000_000_900n, 160n)] },
    ]);
    expect(u[0]!.records).toEqual([]);
    expect(u[1]!.records).toEqual([expect.objectContaining({ source: 'snmp', device: 'ccr', subscriber: 'alice', start: T0, end: T0 + MIN, bytesDown: 900n, bytesUp: 60n })]);
    expect(u[1]!.kinds).toMatchObject({ advance: 2 });
  });

  it('takes a 32-bit counter that went down as one wrap, a 64-bit one as a reset', () => {
    const u = run([
      { uptime: 1000n, rows: [row('a32', 4_294_967_000n, 10n, { width: 32 }), row('a64', 9_000_000_000n, 10n)] },
      { uptime: 7000n, rows: [row('a32', 704n, 20n, { width: 32 }), row('a64', 500n, 20n)] },
    ]);
    expect(sum(u, 'a32')).toEqual({ down: 2n ** 32n - 4_294_967_000n + 704n, up: 10n });
    expect(sum(u, 'a64')).toEqual({ down: 500n, up: 10n });
    expect(u[1]!.kinds).toMatchObject({ wrap: 1, reset: 1, advance: 2 });
  });

  it('takes every counter whole after sysUpTime went back (a reboot), even one that ended above its old value', () => {
    const u = run([
      { uptime: 900_000n, rows: [row('a', 100n, 100n, { width: 32 })] },
      { uptime: 300n, rows: [row('a', 5_000n, 50n, { width: 32 })] },
    ]);
    expect(u[1]!.restarted).toBe(true);
    expect(sum(u, 'a')).toEqual({ down: 5_000n, up: 50n });
  });

  it('draws no restart from two uptimes of different sources (an agent that gained hrSystemUptime)', () => {
    const first = deviceUsage({ device: 'd', prev: undefined, at: T0, uptime: 900_000n, uptimeSource: 'sysUpTime', profiles: ['if-mib'], readings: [{ profile: 'if-mib', row: row('x', 100n, 10n, { width: 32 }), subscriber: 'x' }] });
    const second = deviceUsage({ device: 'd', prev: first.state, at: T0 + MIN, uptime: 300n, uptimeSource: 'hrSystemUptime', profiles: ['if-mib'], readings: [{ profile: 'if-mib', row: row('x', 150n, 15n, { width: 32 }), subscriber: 'x' }] });
    expect(second.restarted).toBe(false);
    expect(second.records[0]).toMatchObject({ bytesDown: 50n, bytesUp: 5n });
    expect(second.state.uptimeSource).toBe('hrSystemUptime');
  });

  it('knows sysUpTime wrapping at 2^32 hundredths (497 days) from a reboot', () => {
    expect(restartedBetween(2n ** 32n - 1000n, 5000n, 60_000)).toBe(false);
    expect(restartedBetween(2n ** 32n - 1000n, 300_000n, 60_000)).toBe(true);
    expect(restartedBetween(500_000n, 506_000n, 60_000)).toBe(false);
    // Up for 10 s although the last poll was an hour ago: it booted in between, past its old uptime.
    expect(restartedBetween(100n, 1_000n, 3_600_000)).toBe(true);
  });

  it('resets one interface whose ifCounterDiscontinuityTime moved, and only that one', () => {
    const u = run([
      { uptime: 1000n, rows: [row('x', 1000n, 1000n, { width: 32, discontinuity: 0n }), row('y', 1000n, 1000n, { width: 32, discontinuity: 0n })] },
      { uptime: 7000n, rows: [row('x', 1500n, 1200n, { width: 32, discontinuity: 6500n }), row('y', 1500n, 1200n, { width: 32, discontinuity: 0n })] },
    ], );
    expect(sum(u, 'x')).toEqual({ down: 1500n, up: 1200n });
    expect(sum(u, 'y')).toEqual({ down: 500n, up: 200n });
  });

  it('takes a row that was left out of walks and came back higher as having counted all along', () => {
    const u = run([
      { uptime: 1000n, rows: [row('flap', 7_000_000_000n, 70n)] },
      { uptime: 7000n, rows: [] },
      { uptime: 13000n, rows: [] },
      { uptime: 19000n, rows: [row('flap', 7_000_090_000n, 75n)] },
    ]);
    expect(sum(u, 'flap')).toEqual({ down: 90_000n, up: 5n });
    expect(u[2]!.state.gone).toEqual({ 'flap:down:64': T0, 'flap:up:64': T0 });
    expect(u[3]!.state.gone).toEqual({});
  });

  it('forgets a vanished row after a day: then it comes back as a new one', () => {
    let prev: DeviceState | undefined;
    const at = [T0, T0 + MIN, T0 + 86_400_000 + 2 * MIN, T0 + 86_400_000 + 3 * MIN];
    const rows = [[row('q', 500n, 5n)], [], [], [row('q', 600n, 6n)]];
    const out = at.map((t, i) => {
      const u = deviceUsage({ device: 'd', prev, at: t, uptime: BigInt(100 + (t - T0) / 10), uptimeSource: 'sysUpTime', profiles: ['mikrotik-queue'], readings: rows[i]!.map((r) => ({ profile: 'mikrotik-queue' as const, row: r, subscriber: 'q' })) });
      prev = u.state;
      return u;
    });
    expect(Object.keys(out[1]!.state.gone)).toHaveLength(2);
    expect(out[2]!.state.gone).toEqual({});
    expect(out[3]!.records[0]).toMatchObject({ bytesDown: 600n, bytesUp: 6n });
  });

  it('counts a row that appeared after the first poll whole, and one that vanished and came back lower as re-created', () => {
    const u = run([
      { uptime: 1000n, rows: [row('bob', 800n, 80n)] },
      { uptime: 7000n, rows: [row('carol', 300n, 30n)] },
      { uptime: 13000n, rows: [row('carol', 400n, 40n), row('bob', 50n, 5n)] },
      { uptime: 19000n, rows: [row('carol', 450n, 45n), row('bob', 900n, 90n)] },
    ]);
    expect(sum(u, 'carol')).toEqual({ down: 450n, up: 45n });
    // bob: gone at poll 1, back at poll 2 with counters from 0 (50), then +850.
    expect(sum(u, 'bob')).toEqual({ down: 900n, up: 90n });
    expect(u[2]!.kinds.new).toBe(2);
  });

  it('gives no usage when a row switches between its 32-bit and 64-bit counters, and goes on from there', () => {
    const u = run([
      { uptime: 1000n, rows: [row('x', 4_000_000_000n, 10n, { width: 32 })] },
      { uptime: 7000n, rows: [row('x', 90_000_000_000n, 20n, { width: 64 })] },
      { uptime: 13000n, rows: [row('x', 90_000_000_500n, 25n, { width: 64 })] },
    ]);
    expect(u[1]!.records).toEqual([]);
    expect(u[1]!.kinds).toMatchObject({ first: 2, new: 0 });
    expect(sum(u, 'x')).toEqual({ down: 500n, up: 5n });
  });

  it('takes only readings for a profile added to a device that was polled before', () => {
    let prev: DeviceState | undefined;
    const a = deviceUsage({ device: 'd', prev, at: T0, uptime: 100n, uptimeSource: 'sysUpTime', profiles: ['if-mib'], readings: [] });
    prev = a.state;
    const b = deviceUsage({ device: 'd', prev, at: T0 + MIN, uptime: 6100n, uptimeSource: 'sysUpTime', profiles: ['if-mib', 'mikrotik-queue'], readings: [{ profile: 'mikrotik-queue', row: row('q', 9_999_999n, 1n), subscriber: 'q' }] });
    expect(b.records).toEqual([]);
    expect(b.kinds.first).toBe(2);
  });

  it('sums the rows of one subscriber into one record, leaves unmapped rows out but counts them', () => {
    const poll = (prev: DeviceState | undefined, i: number, a: bigint, b: bigint, total: bigint) => deviceUsage({
      device: 'ccr', prev, at: T0 + i * MIN, uptime: 1000n + BigInt(i) * 6000n, uptimeSource: 'sysUpTime', profiles: ['mikrotik-queue'],
      readings: [
        { profile: 'mikrotik-queue', row: row('queue:1', a, a / 10n), subscriber: 's' },
        { profile: 'mikrotik-queue', row: row('queue:2', b, b / 10n), subscriber: 's' },
        { profile: 'mikrotik-queue', row: row('queue:3', total, total / 10n), subscriber: undefined },
      ],
    });
    const first = poll(undefined, 0, 100n, 200n, 5000n);
    const second = poll(first.state, 1, 150n, 290n, 6000n);
    expect(second.records).toHaveLength(1);
    expect(second.records[0]).toMatchObject({ subscriber: 's', bytesDown: 140n, bytesUp: 14n });
    expect(second.unmapped.get('mikrotik-queue')).toEqual({ rows: 1, bytes: 1100n });
  });

  it('writes no record for an interval without traffic, and the same id for the same interval', () => {
    const polls = [{ uptime: 1000n, rows: [row('a', 5n, 5n)] }, { uptime: 7000n, rows: [row('a', 5n, 5n)] }, { uptime: 13000n, rows: [row('a', 6n, 5n)] }];
    const [x, y] = [run(polls), run(polls)];
    expect(x[1]!.records).toEqual([]);
    expect(x[2]!.records[0]!.id).toBe(y[2]!.records[0]!.id);
    expect(x[2]!.records[0]!.id).toMatch(/^snmp:/);
  });

  it('refuses a saved state of the wrong shape', () => {
    expect(parseDeviceState({ polledAt: 'x' })).toBeUndefined();
    expect(parseDeviceState({ polledAt: 1, uptime: '5', counters: { a: '-1' }, discontinuity: {}, profiles: [] })).toBeUndefined();
    expect(parseDeviceState({ polledAt: 1, uptime: '5', counters: { a: '1' }, discontinuity: {}, gone: { b: 1 }, profiles: [] })).toBeUndefined();
    expect(parseDeviceState(null)).toBeUndefined();
  });
});
