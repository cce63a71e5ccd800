// hrProcessorLoad rows → cpu_load_pct (the mean, a float) and cpu_load_max_pct; no table, no fields.
import { describe, expect, it } from 'vitest';
import { cpuLoad } from './cpu-load.js';
import type { Cell, Column } from './snmp-client.js';

const int = (v: bigint): Cell => ({ kind: 'integer', value: v });
const col = (entries: [string, Cell][]): Column => new Map(entries);

describe('cpuLoad', () => {
  it('averages the CPUs as a float and takes the busiest', () => {
    // Two cores of a RouterOS box, indexed by hrDeviceIndex.
    expect(cpuLoad(col([['196608', int(25n)], ['196609', int(74n)]]))).toEqual({ cpu_load_pct: 49.5, cpu_load_max_pct: 74 });
    expect(cpuLoad(col([['1', int(3n)], ['2', int(0n)], ['3', int(0n)]]))).toEqual({ cpu_load_pct: 1, cpu_load_max_pct: 3 });
  });

  it('reads one CPU as both', () => {
    expect(cpuLoad(col([['1', int(7n)]]))).toEqual({ cpu_load_pct: 7, cpu_load_max_pct: 7 });
  });

  it('gives no fields for a device without the table', () => {
    expect(cpuLoad(col([]))).toEqual({});
    expect(cpuLoad(undefined)).toEqual({});
  });

  it('leaves out a cell that is not an integer percent', () => {
    expect(cpuLoad(col([['1', int(40n)], ['2', int(101n)], ['3', int(-1n)], ['4', { kind: 'gauge', value: 90n }], ['5', { kind: 'octets', value: Buffer.from('50') }]])))
      .toEqual({ cpu_load_pct: 40, cpu_load_max_pct: 40 });
    expect(cpuLoad(col([['1', { kind: 'octets', value: Buffer.from('x') }]]))).toEqual({});
  });
});
