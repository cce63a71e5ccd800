// Usage filters: windows across midnight and weekends, direction, source precedence and excluded classes.
import { describe, expect, it } from 'vitest';
import { usageFilterSchema } from '../config/catalog-schema.js';
import { inWindow, measureUsage, needsFiveMinuteStep, type UsageRow } from './usage.js';
import { billingPeriod, zonedToUtc } from './calendar.js';

const TZ = 'Europe/Berlin';
const at = (y: number, m: number, d: number, h: number, min = 0) => zonedToUtc(y, m, d, h, min, TZ);
const filter = (o: unknown) => usageFilterSchema.parse(o);
const ALL = [{ from: 0, to: Date.UTC(2030, 0, 1) }];

describe('usage filters', () => {
  it('a window across midnight: Friday 22:00 to Saturday 06:00 belongs to Friday', () => {
    const w = { days: ['fri' as const], from: '22:00', to: '06:00' };
    expect(inWindow(at(2025, 12, 5, 23), w, TZ)).toBe(true); // Friday 23:00
    expect(inWindow(at(2025, 12, 6, 5, 55), w, TZ)).toBe(true); // Saturday 05:55
    expect(inWindow(at(2025, 12, 6, 6), w, TZ)).toBe(false); // Saturday 06:00, end exclusive
    expect(inWindow(at(2025, 12, 4, 23), w, TZ)).toBe(false); // Thursday 23:00
  });
  it('weekends: from == to means the whole day', () => {
    const w = { days: ['sat' as const, 'sun' as const], from: '00:00', to: '00:00' };
    expect(inWindow(at(2025, 12, 7, 13), w, TZ)).toBe(true);
    expect(inWindow(at(2025, 12, 8, 0), w, TZ)).toBe(false);
  });
  it('direction, classes and source precedence; rows of other subscribers are ignored', () => {
    const rows: UsageRow[] = [
      { subscriber: 'a', time: 1000, bytesDown: 100n, bytesUp: 10n, source: 'radius' },
      { subscriber: 'a', time: 1000, bytesDown: 90n, bytesUp: 9n, source: 'snmp' },
      { subscriber: 'b', time: 1000, bytesDown: 50n, bytesUp: 5n, source: 'snmp' },
      { subscriber: 'a', time: 2000, bytesDown: 30n, bytesUp: 3n, source: 'radius', class: 'zero-rated' },
      { subscriber: 'z', time: 1000, bytesDown: 10n ** 9n, bytesUp: 0n },
    ];
    const usage = { store: 't', step: '1h' as const, queries: [], subscribers: ['a', 'b'], rows };
    // a has RADIUS, so its SNMP rows are dropped; b has only SNMP. Down: 100 + 50 = 150 (30 is zero-rated).
    // By source (both directions, before classes): radius 110 + 33 = 143, snmp 55.
    const m = measureUsage(usage, filter({ direction: 'down', sources: ['radius', 'snmp'], excludeClasses: ['zero-rated'] }), ALL, 'UTC');
    expect([m.bytesCounted, m.evidence.bytesExcludedClasses, m.evidence.bySource]).toEqual([150n, 30n, { radius: 143n, snmp: 55n }]);
    // Up, no precedence: every row of a and b (10 + 9 + 5 + 3).
    expect(measureUsage(usage, filter({ direction: 'up' }), ALL, 'UTC').bytesCounted).toBe(27n);
  });
  it('picks 5-minute steps for half-hour zones and windows off the hour', () => {
    const p = billingPeriod('2025-12', 1, 'Asia/Kolkata');
    expect(needsFiveMinuteStep(filter({}), 'Asia/Kolkata', p)).toBe(true);
    expect(needsFiveMinuteStep(filter({}), TZ, billingPeriod('2025-12', 1, TZ))).toBe(false);
    expect(needsFiveMinuteStep(filter({ unmetered: [{ from: '00:30', to: '06:00' }] }), TZ, billingPeriod('2025-12', 1, TZ))).toBe(true);
  });
});
