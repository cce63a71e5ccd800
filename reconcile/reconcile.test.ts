import { describe, expect, it } from 'vitest';
import { deviationPct } from './reconcile.js';

describe('deviationPct', () => {
  it('is (largest − smallest) / largest of the sources, exact for byte counts past 2^53', () => {
    expect(deviationPct({ radius: { down: 5n, up: 0n }, snmp: { down: 8n, up: 0n } })).toBe(37.5);
    const big = 2n ** 60n;
    expect(deviationPct({ radius: { down: big, up: 0n }, netflow: { down: big, up: 1n } })).toBe(0);
    expect(deviationPct({ radius: { down: 1n, up: 1n }, netflow: { down: 0n, up: 0n }, snmp: { down: 2n, up: 0n } })).toBe(100);
  });

  it('has nothing to compare with one source', () => {
    expect(deviationPct({ radius: { down: 5n, up: 1n } })).toBeUndefined();
  });
});
