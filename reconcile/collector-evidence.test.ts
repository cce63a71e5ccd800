// Which RADIUS sessions count as never stopped in a period, and how the daily unattributed address lists add up.
import { describe, expect, it } from 'vitest';
import type { SessionState } from '../collectors/radius/session-state.js';
import { topUnattributedAddresses, unstoppedSessions } from './collector-evidence.js';

const H = 3_600_000;
const JAN = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) };

function session(id: string, start: number, last: number, close?: SessionState['closeReason']): [string, SessionState] {
  return [id, {
    v: 1, nas: 'nas1', sessionId: id, userName: `${id}@isp`, subscriber: id, generation: start, lastEventAt: last, lastSeenAt: last,
    bytesUp: '10', bytesDown: '20', leases: [], ...(close ? { closedAt: last, closeReason: close } : {}),
  }];
}

describe('unstoppedSessions', () => {
  const state = new Map<string, unknown>([
    session('silent', JAN.from + 5 * H, JAN.from + 6 * H),
    session('fresh', JAN.from + 5 * H, JAN.to - 0.5 * H),
    session('stopped', JAN.from + 5 * H, JAN.from + 6 * H, 'stop'),
    session('nas-rebooted', JAN.from + 5 * H, JAN.from + 6 * H, 'accounting-on'),
    session('given-up', JAN.from + 7 * H, JAN.from + 8 * H, 'stale'),
    session('given-up-before', JAN.from - 48 * H, JAN.from - 40 * H, 'stale'),
    session('open-since-december', JAN.from - 48 * H, JAN.from - 40 * H),
    session('february', JAN.to + H, JAN.to + H),
    ['junk', { v: 2 }],
  ]);

  it('reports open silent sessions and sessions closed as stale, as of the end of a past period', () => {
    const got = unstoppedSessions(state, JAN, JAN.to, H);
    expect(got.map((s) => [s.sessionId, s.closedAsStale])).toEqual([['open-since-december', false], ['silent', false], ['given-up', true]]);
    expect(got[1]).toEqual({ nas: 'nas1', sessionId: 'silent', userName: 'silent@isp', subscriber: 'silent', start: JAN.from + 5 * H, lastUpdate: JAN.from + 6 * H, bytes: { down: 20n, up: 10n }, closedAsStale: false });
  });

  it('judges silence as of now in the current period, with the threshold given', () => {
    expect(unstoppedSessions(state, JAN, JAN.from + 6.5 * H, H).map((s) => s.sessionId)).toEqual(['open-since-december']);
    expect(unstoppedSessions(state, JAN, JAN.from + 6.5 * H, 0.25 * H).map((s) => s.sessionId)).toEqual(['open-since-december', 'silent']);
  });
});

describe('topUnattributedAddresses', () => {
  const day = (bytes: number, floor: number, addresses: [string, number, number][]) => ({ v: 1, bytes: String(bytes), floor: String(floor), addresses: addresses.map(([a, d, u]) => [a, String(d), String(u)]) });

  it('adds the days of the period, ranks by bytes and gives each address its share of all unattributed bytes', () => {
    const state = new Map<string, unknown>([
      ['2026-01-05', day(1000, 0, [['100.64.9.5', 600, 100], ['198.51.100.1', 100, 600], ['100.64.9.6', 300, 0]])],
      ['2026-01-31', day(1000, 7, [['100.64.9.6', 900, 0], ['203.0.113.9', 0, 900]])],
      ['2026-02-01', day(5000, 0, [['100.64.9.7', 5000, 0]])],
      ['templates', {}],
    ]);
    const got = topUnattributedAddresses(state, JAN, 3);
    expect(got).toMatchObject({ days: 2, bytes: 2000n, maxError: 7n });
    expect(got.top).toEqual([
      { address: '100.64.9.6', bytes: { down: 1200n, up: 0n }, sharePct: 60 },
      { address: '203.0.113.9', bytes: { down: 0n, up: 900n }, sharePct: 45 },
      { address: '100.64.9.5', bytes: { down: 600n, up: 100n }, sharePct: 35 },
    ]);
  });
});
