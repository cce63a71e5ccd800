// The scenario table from issue 4, rated in memory: the cases (each with its hand derivation) are in testdata/scenarios.cases.ts.
import { describe, expect, it } from 'vitest';
import { rateCustomer } from './rate.js';
import { catalogOf, PERCENTILE_TITLE, SCENARIOS, type ReadVia, type ScenarioCase } from './testdata/scenarios.cases.js';
import type { CustomerUsage } from './usage.js';

/** The rows as a store would answer them, under a store named "test" that ran the query "test". */
const usage = (c: ScenarioCase, step: CustomerUsage['step'] = c.step): CustomerUsage => ({
  store: 'test', step, queries: ['test'], subscribers: [c.subscriber],
  rows: c.rows.map((r) => ({ subscriber: c.subscriber, time: r.time, bytesDown: r.down, bytesUp: r.up })),
});
const MEMORY: ReadVia = { queries: ['test'] };

describe('scenarios (issue 4)', () => {
  it('every case has its own subscriber identity', () => {
    expect(new Set(SCENARIOS.map((c) => c.subscriber)).size).toBe(SCENARIOS.length);
  });

  it.each(SCENARIOS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const cat = catalogOf(c);
    c.check(rateCustomer(cat, cat.customers[0]!, c.period, usage(c)), MEMORY);
  });

  it(`${PERCENTILE_TITLE}: refuses hourly usage for a percentile charge`, () => {
    const c = SCENARIOS.find((s) => s.name.startsWith(PERCENTILE_TITLE))!;
    const cat = catalogOf(c);
    expect(() => rateCustomer(cat, cat.customers[0]!, c.period, { ...usage(c, '1h'), rows: [] })).toThrow(/needs 5-minute usage \(got 1h/);
  });
});
