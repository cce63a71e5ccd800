// The scenario table from issue 4, rated in memory: the cases (each with its hand derivation) are in testdata/scenarios.cases.ts.
import { describe, expect, it } from 'vitest';
import { rateCustomer } from './rate.js';
import { caseUsage, catalogOf, PERCENTILE_TITLE, SCENARIOS, type ReadVia } from './testdata/scenarios.cases.js';
const MEMORY: ReadVia = { queries: ['test'] };

describe('scenarios (issue 4)', () => {
  it('every case has its own subscriber identity', () => {
    expect(new Set(SCENARIOS.map((c) => c.subscriber)).size).toBe(SCENARIOS.length);
  });

  it.each(SCENARIOS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const cat = catalogOf(c);
    c.check(rateCustomer(cat, cat.customers[0]!, c.period, caseUsage(c, cat)), MEMORY);
  });

  // Totals per segment are what ratePeriod reads for charges without windows or percentile: the same fees as the rows.
  it.each(SCENARIOS.map((c) => [c.name, c] as const))('%s: the rows at their own step rate the same as the totals read', (_name, c) => {
    const cat = catalogOf(c);
    const fine = caseUsage(c, cat, c.step);
    const read = caseUsage(c, cat);
    const amounts = (u: typeof fine) => rateCustomer(cat, cat.customers[0]!, c.period, u).fees.map((f) => [f.chargeId, f.amount.toString(), f.evidence?.bytesCounted]);
    expect(amounts(read)).toEqual(amounts(fine));
  });

  it(`${PERCENTILE_TITLE}: refuses hourly usage for a percentile charge`, () => {
    const c = SCENARIOS.find((s) => s.name.startsWith(PERCENTILE_TITLE))!;
    const cat = catalogOf(c);
    expect(() => rateCustomer(cat, cat.customers[0]!, c.period, { ...caseUsage(c, cat, '1h'), rows: [] })).toThrow(/needs 5-minute usage \(got 1h/);
  });
});
