// The top unattributed addresses: exact while small, bounded when not, persisted per day and continued after a restart.
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../pipeline/spool-types.js';
import { dayKey, parseDayKey, UNATTRIBUTED_SCOPE, UnattributedAddresses, type UnattributedDay } from './unattributed-addresses.js';

const JAN5 = Date.UTC(2026, 0, 5);
const ip = (s: string) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const state = (changes: StateChange[]) => new Map(changes.filter((c) => c.value !== null).map((c) => [c.key, c.value]));
const day = (changes: StateChange[], key: string) => changes.find((c) => c.key === key)?.value as UnattributedDay | undefined;

describe('UnattributedAddresses', () => {
  it('counts each flow for both ends (destination down, source up) and the day total once', () => {
    const t = new UnattributedAddresses();
    t.add(ip('100.64.9.5'), ip('1.1.1.1'), 300, JAN5 + 1000);
    t.add(ip('1.1.1.1'), ip('100.64.9.5'), 5000, JAN5 + 2000);
    t.add(ip('8.8.8.8'), ip('100.64.9.6'), 2n ** 60n, JAN5 + 3000);
    t.add('2001:db8::1', '2001:db8::2', 7, JAN5 + 4000);
    const changes = t.changes(JAN5 + 5000);
    expect(changes.map((c) => c.scope)).toEqual([UNATTRIBUTED_SCOPE]);
    expect(day(changes, '2026-01-05')).toEqual({
      v: 1, bytes: String(5307n + 2n ** 60n), floor: '0',
      addresses: [
        ['100.64.9.6', String(2n ** 60n), '0'], ['8.8.8.8', '0', String(2n ** 60n)],
        ['1.1.1.1', '300', '5000'], ['100.64.9.5', '5000', '300'], ['2001:db8::1', '0', '7'], ['2001:db8::2', '7', '0'],
      ],
    });
  });

  it('stays bounded: addresses above the floor survive any number of light ones, counted within the floor', () => {
    const t = new UnattributedAddresses({ capacity: 64, keep: 5 });
    const octets = [1000, 500, 1];
    for (let i = 0; i < 100_000; i++) t.add(ip('100.64.9.1') + (i % 3), 0x0a000000 + i, octets[i % 3]!, JAN5 + i);
    const d = day(t.changes(JAN5 + 100_000), '2026-01-05')!;
    expect(d.addresses).toHaveLength(5);
    expect(d.bytes).toBe(String(33_334 * 1000 + 33_333 * 500 + 33_333));
    // Space-saving's bound: the floor is at most the total counted (both ends) over the entries kept after a prune.
    const floor = BigInt(d.floor);
    expect(floor).toBeGreaterThan(0n);
    expect(floor).toBeLessThanOrEqual((2n * BigInt(d.bytes)) / 32n);
    expect(d.addresses.slice(0, 2).map((a) => a[0])).toEqual(['100.64.9.1', '100.64.9.2']);
    for (const [address, want] of [['100.64.9.1', 33_334n * 1000n], ['100.64.9.2', 33_333n * 500n]] as const) {
      const row = d.addresses.find((a) => a[0] === address)!;
      expect(row[1]).toBe('0');
      expect(BigInt(row[2])).toBeLessThanOrEqual(want);
      expect(BigInt(row[2]) + floor).toBeGreaterThanOrEqual(want);
    }
  });

  it('persists at most every persistEveryMs unless asked for all, lets finished days go and deletes expired ones', () => {
    const t = new UnattributedAddresses({ persistEveryMs: 60_000, retentionDays: 2 });
    t.add(1, 2, 10, JAN5);
    expect(t.changes(JAN5 + 1000)).toHaveLength(1);
    t.add(1, 2, 10, JAN5 + 2000);
    expect(t.changes(JAN5 + 30_000)).toEqual([]);
    expect(day(t.changes(JAN5 + 30_000, true), '2026-01-05')?.bytes).toBe('20');
    expect(t.changes(JAN5 + 200_000)).toEqual([]);
    // Three days later: Jan 5 is past retention (2 days) and deleted from the state.
    t.add(1, 2, 1, JAN5 + 3 * 86_400_000);
    expect(t.changes(JAN5 + 3 * 86_400_000 + 1).map((c) => [c.key, c.value === null])).toEqual([['2026-01-08', false], ['2026-01-05', true]]);
  });

  it('counts retention back from the newest day seen, so replayed old flows keep their addresses', () => {
    const t = new UnattributedAddresses({ retentionDays: 2 });
    t.add(1, 2, 10, JAN5);
    const later = JAN5 + 300 * 86_400_000; // replayed ten months after the flows
    expect(t.changes(later).map((c) => [c.key, c.value === null])).toEqual([['2026-01-05', false]]);
    expect(t.changes(later + 86_400_000, true)).toEqual([]);
    // A flow from an exporter whose clock is a year ahead: retention still counts back from today, not from it.
    t.add(1, 2, 10, later + 365 * 86_400_000);
    expect(t.changes(later + 2 * 86_400_000, true).map((c) => [c.key, c.value === null])).toEqual([[dayKey(Math.floor((later + 365 * 86_400_000) / 86_400_000)), false], ['2026-01-05', true]]);
  });

  it('gives changes the spool refused again with the next ones, unless a newer snapshot of that day replaces them', () => {
    const t = new UnattributedAddresses({ retentionDays: 2 });
    t.add(1, 2, 10, JAN5);
    t.add(1, 2, 7, JAN5 + 3 * 86_400_000); // Jan 8: Jan 5 is over (written and let go) and past retention
    const refused = t.changes(JAN5 + 3 * 86_400_000 + 1, true);
    expect(refused.map((c) => [c.key, c.value === null])).toEqual([['2026-01-05', false], ['2026-01-08', false], ['2026-01-05', true]]);
    t.unwritten(refused);
    // Nothing changed since: the refused changes come back as they were, the last one per day.
    const again = t.changes(JAN5 + 3 * 86_400_000 + 2, true);
    expect(again.map((c) => [c.key, c.value === null])).toEqual([['2026-01-05', true], ['2026-01-08', false]]);
    expect(day(again, '2026-01-08')?.bytes).toBe('7');
    // Refused again, then the day moves on: the newer snapshot of Jan 8 replaces the refused one.
    t.unwritten(again);
    t.add(1, 2, 5, JAN5 + 3 * 86_400_000 + 10);
    const third = t.changes(JAN5 + 3 * 86_400_000 + 20, true);
    expect(third.map((c) => [c.key, c.value === null])).toEqual([['2026-01-05', true], ['2026-01-08', false]]);
    expect(day(third, '2026-01-08')?.bytes).toBe('12');
    expect(t.changes(JAN5 + 3 * 86_400_000 + 30, true)).toEqual([]);
  });

  it('continues a day after a restart from the state it wrote', () => {
    const a = new UnattributedAddresses();
    a.add(ip('100.64.9.5'), ip('1.1.1.1'), 300, JAN5);
    const saved = state(a.changes(JAN5 + 1));
    const b = new UnattributedAddresses();
    expect(b.restore(new Map([...saved, ['junk', { v: 9 }]]))).toBe(1);
    b.add(ip('100.64.9.5'), ip('1.1.1.1'), 200, JAN5 + 10);
    expect(day(b.changes(JAN5 + 20), '2026-01-05')).toMatchObject({ bytes: '500', addresses: [['1.1.1.1', '500', '0'], ['100.64.9.5', '0', '500']] });
  });

  it('reads day keys strictly', () => {
    expect(parseDayKey('2026-01-05')).toBe(JAN5 / 86_400_000);
    expect(parseDayKey('2026-02-30')).toBeUndefined();
    expect(parseDayKey('templates')).toBeUndefined();
  });
});
