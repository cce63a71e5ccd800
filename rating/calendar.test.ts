// Local time through Intl: DST gaps and overlaps, billing periods that are 23 or 25 hours short or long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billingPeriod, isoUtc, localDayNumber, localParts, parseInstant, zonedToUtc } from './calendar.js';

describe('calendar', () => {
  it('local midnight in New York before and after the November fall-back', () => {
    expect(isoUtc(zonedToUtc(2025, 11, 1, 0, 0, 'America/New_York'))).toBe('2025-11-01T04:00:00.000Z'); // EDT, −4
    expect(isoUtc(zonedToUtc(2025, 11, 3, 0, 0, 'America/New_York'))).toBe('2025-11-03T05:00:00.000Z'); // EST, −5
  });
  it('a skipped wall time moves forward, a repeated one is the first', () => {
    // 2025-03-09 02:30 does not exist in New York (02:00 → 03:00): it becomes 03:30 EDT = 07:30Z.
    expect(isoUtc(zonedToUtc(2025, 3, 9, 2, 30, 'America/New_York'))).toBe('2025-03-09T07:30:00.000Z');
    // 2025-11-02 01:30 happens twice: first at EDT (05:30Z).
    expect(isoUtc(zonedToUtc(2025, 11, 2, 1, 30, 'America/New_York'))).toBe('2025-11-02T05:30:00.000Z');
  });
  it('billing period of November 2025 in New York is 30 days and 1 hour long', () => {
    const p = billingPeriod('2025-11', 1, 'America/New_York');
    expect((p.to - p.from) / 3_600_000).toBe(30 * 24 + 1);
    expect(localDayNumber(p.to, 'America/New_York') - localDayNumber(p.from, 'America/New_York')).toBe(30);
  });
  it('billing day 15 in Tokyo and a half-hour zone', () => {
    const p = billingPeriod('2025-12', 15, 'Asia/Tokyo');
    expect(isoUtc(p.from)).toBe('2025-12-14T15:00:00.000Z');
    expect(isoUtc(p.to)).toBe('2026-01-14T15:00:00.000Z');
    expect(isoUtc(parseInstant('2025-12-01', 'Asia/Kolkata'))).toBe('2025-11-30T18:30:00.000Z');
  });
  it('weekday is Monday = 0', () => {
    expect(localParts(Date.UTC(2025, 11, 1, 12), 'UTC').weekday).toBe(0); // 2025-12-01 is a Monday
  });
  it('a zone whose clocks skip midnight (Santiago, 2025-09-07) starts the day at 01:00', () => {
    expect(isoUtc(zonedToUtc(2025, 9, 7, 0, 0, 'America/Santiago'))).toBe('2025-09-07T04:00:00.000Z'); // 01:00 −03
  });
  it('property: the cached offsets give the same wall clock as Intl, in odd zones too', () => {
    const zones = ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago', 'Pacific/Chatham', 'Europe/Dublin', 'UTC'];
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.constantFrom(...zones), (ms, tz) => {
      const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
      const o = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, Number(p.value)]));
      const p = localParts(ms, tz);
      expect([p.year, p.month, p.day, p.hour, p.minute, p.second]).toEqual([o.year, o.month, o.day, o.hour, o.minute, o.second]);
    }), { numRuns: 2000 });
  });
  it('property: local → UTC → local is the same wall clock, and picks the first of a repeated hour', () => {
    const zones = ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago', 'Pacific/Chatham', 'Europe/Dublin'];
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2020, 0, 1) / 60_000, max: Date.UTC(2030, 0, 1) / 60_000 }), fc.constantFrom(...zones), (minute, tz) => {
      const t = minute * 60_000;
      const p = localParts(t, tz);
      const back = zonedToUtc(p.year, p.month, p.day, p.hour, p.minute, tz);
      expect(back).toBeLessThanOrEqual(t);
      const q = localParts(back, tz);
      expect([q.year, q.month, q.day, q.hour, q.minute]).toEqual([p.year, p.month, p.day, p.hour, p.minute]);
    }), { numRuns: 2000 });
  });
});
