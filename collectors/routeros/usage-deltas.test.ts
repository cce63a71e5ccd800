// Per-device delta rules: first sight, advance, identity change, reboot (uptime back or grown too little), sessions
// begun since the last reading, forgetting, per-subscriber sums and the saved state's shape.
import { describe, expect, it } from 'vitest';
import { recordId } from '../pipeline/usage-record.js';
import type { Table } from './config.js';
import type { Reading } from './table-readings.js';
import { deviceUsage, parseDeviceState, type DeviceState, type DeviceUsageInput } from './usage-deltas.js';

const T0 = Date.UTC(2026, 10, 1);
const MIN = 60_000;

function reading(table: Table, key: string, identity: string, up: bigint, down: bigint, startedAgoMs?: number): Reading {
  return { table, key, identity, fields: { name: key }, up, down, ...(startedAgoMs === undefined ? {} : { startedAgoMs }) };
}

/** Runs polls in order; each is (minutes since T0, router uptime in minutes, readings). */
function run(polls: [number, number, Reading[]][], extra: Partial<DeviceUsageInput> = {}) {
  let prev: DeviceState | undefined;
  return polls.map(([min, uptimeMin, readings]) => {
    const u = deviceUsage({ device: 'ap1', prev, now: T0 + min * MIN, uptimeMs: uptimeMin * MIN, readings, subscriberOf: (_t, f) => f.name, width: 64, forgetAfterMs: 60 * MIN, ...extra });
    prev = u.next;
    return u;
  });
}

const usage = (u: ReturnType<typeof run>[number]) => Object.fromEntries(u.records.map((r) => [r.subscriber, [r.bytesUp, r.bytesDown]]));

describe('deviceUsage', () => {
  it('gives nothing at first sight, then the advance, in one record per subscriber and interval', () => {
    const [first, second] = run([
      [0, 100, [reading('queues', 'alice', '*1', 1000n, 5000n)]],
      [1, 101, [reading('queues', 'alice', '*1', 1500n, 9000n)]],
    ]);
    expect(first!.records).toEqual([]);
    expect(first!.events.first).toBe(1);
    expect(second!.records).toEqual([{ id: recordId('routeros', 'ap1', 'alice', T0, T0 + MIN), source: 'routeros', device: 'ap1', subscriber: 'alice', start: T0, end: T0 + MIN, bytesDown: 4000n, bytesUp: 500n }]);
  });

  it('takes the whole value of a row whose identity changed, even when it is above the old reading', () => {
    const [, u] = run([
      [0, 100, [reading('queues', 'alice', '*1', 1000n, 1000n)]],
      [1, 101, [reading('queues', 'alice', '*9', 3000n, 200n)]],
    ]);
    expect(usage(u!)).toEqual({ alice: [3000n, 200n] });
    expect(u!.events.reset).toBe(1);
  });

  it('sees a reboot from uptime going back, and from uptime grown less than the time between polls', () => {
    const back = run([
      [0, 500, [reading('interfaces', 'v1', '*1', 10_000n, 10_000n)]],
      [1, 1, [reading('interfaces', 'v1', '*1', 40_000n, 50n)]],
    ]);
    expect(back[1]!.rebooted).toBe(true);
    expect(usage(back[1]!)).toEqual({ v1: [40_000n, 50n] });
    // Polls 3 hours apart; the router is up 2 hours: it rebooted in between although uptime grew past the old one.
    const gap = run([
      [0, 60, [reading('interfaces', 'v1', '*1', 10_000n, 10_000n)]],
      [180, 120, [reading('interfaces', 'v1', '*1', 70_000n, 80_000n)]],
    ]);
    expect(gap[1]!.rebooted).toBe(true);
    expect(usage(gap[1]!)).toEqual({ v1: [70_000n, 80_000n] });
    // Uptime short of the poll gap by less than the slack (a poller clock that stepped 30 s): no reboot.
    const step = run([
      [0, 60, [reading('interfaces', 'v1', '*1', 10_000n, 10_000n)]],
      [1.5, 61, [reading('interfaces', 'v1', '*1', 12_000n, 13_000n)]],
    ]);
    expect(step[1]!.rebooted).toBe(false);
    expect(usage(step[1]!)).toEqual({ v1: [2000n, 3000n] });
  });

  it('counts a session first seen whole only when it began after the previous reading', () => {
    const [, u] = run([
      [0, 100, []],
      [1, 101, [reading('ppp', 'new', 's1', 300n, 400n, 45_000), reading('ppp', 'old', 's2', 300n, 400n, 5 * MIN)]],
    ]);
    expect(usage(u!)).toEqual({ new: [300n, 400n] });
    expect(u!.events).toMatchObject({ 'new-session': 1, first: 1 });
    // Within the 2 s margin of the interval it is not proof: first sight.
    const [, edge] = run([[0, 100, []], [1, 101, [reading('ppp', 'edge', 's1', 300n, 400n, MIN - 1000)]]]);
    expect(edge!.records).toEqual([]);
  });

  it('keeps an absent row until forgotten: back with the same identity continues, after forgetAfter it is a first sight', () => {
    const polls = run([
      [0, 100, [reading('queues', 'q', '*1', 100n, 100n)]],
      [1, 101, []],
      [2, 102, [reading('queues', 'q', '*1', 150n, 170n)]],
      [3, 103, []],
      [100, 200, [reading('queues', 'q', '*1', 900n, 900n)]],
    ]);
    expect(usage(polls[2]!)).toEqual({ q: [50n, 70n] });
    expect(polls[3]!.next.rows['queues/q']).toEqual(['*1', T0 + 2 * MIN, '150', '170']);
    expect(polls[4]!.records).toEqual([]);
    expect(polls[4]!.events.first).toBe(1);
  });

  it('sums rows of one subscriber into one record and counts rows of nobody apart', () => {
    const subscriberOf: DeviceUsageInput['subscriberOf'] = (table, f) => (f.name === 'uplink' ? undefined : 'acme');
    const [, u] = run([
      [0, 100, [reading('queues', 'a', '*1', 0n, 0n), reading('interfaces', 'b', '*2', 0n, 0n), reading('interfaces', 'uplink', '*3', 0n, 0n)]],
      [1, 101, [reading('queues', 'a', '*1', 10n, 20n), reading('interfaces', 'b', '*2', 1n, 2n), reading('interfaces', 'uplink', '*3', 500n, 600n)]],
    ], { subscriberOf });
    expect(usage(u!)).toEqual({ acme: [11n, 22n] });
    expect(u!.unmapped.get('interfaces')).toEqual({ rows: 1, bytes: 1100n });
  });

  it('keeps intervals ordered when the poller clock steps back', () => {
    const [first, u] = run([[10, 100, [reading('queues', 'a', '*1', 5n, 5n)]], [9, 101, [reading('queues', 'a', '*1', 7n, 9n)]]]);
    expect(u!.records.map((r) => [r.start, r.end])).toEqual([[first!.next.at, first!.next.at + 1]]);
    expect(u!.next.at).toBe(first!.next.at + 1);
  });

  it('writes no record for a subscriber without traffic', () => {
    const [, u] = run([[0, 100, [reading('queues', 'a', '*1', 5n, 5n)]], [1, 101, [reading('queues', 'a', '*1', 5n, 5n)]]]);
    expect(u!.records).toEqual([]);
  });
});

describe('parseDeviceState', () => {
  it('takes back what deviceUsage saved, through JSON', () => {
    const [, u] = run([[0, 100, [reading('queues', 'a', '*1', 5n, 5n)]], [1, 101, [reading('queues', 'a', '*1', 7n, 9n)]]]);
    expect(parseDeviceState(JSON.parse(JSON.stringify(u!.next)))).toEqual(u!.next);
  });

  it.each([
    ['nothing', undefined],
    ['another version', { v: 2, at: 1, uptimeMs: 1, rows: {} }],
    ['a counter that is not a decimal', { v: 1, at: 1, uptimeMs: 1, rows: { 'queues/a': ['*1', 1, '-1', '0'] } }],
    ['a row without identity', { v: 1, at: 1, uptimeMs: 1, rows: { 'queues/a': [1, '0', '0'] } }],
    ['rows of the old shape', { v: 1, at: 1, uptimeMs: 1, rows: { 'queues/a': { id: '*1', seen: 1 } } }],
  ])('refuses %s', (_name, v) => {
    expect(parseDeviceState(v)).toBeUndefined();
  });
});
