// A device's CPU load from HOST-RESOURCES-MIB hrProcessorTable: the average over its CPUs and the busiest one.
import type { Column } from './snmp-client.js';

/** hrProcessorLoad: per CPU (indexed by hrDeviceIndex), percent busy over the last minute. RouterOS and airOS serve it. */
export const HR_PROCESSOR_LOAD = '1.3.6.1.2.1.25.3.3.1.2';

/** device_health fields; empty when the agent has no hrProcessorTable (no CPU field, not an error). */
export interface CpuLoadFields {
  cpu_load_pct?: number;
  cpu_load_max_pct?: number;
}

/** The walked hrProcessorLoad column as fields; a cell that is not an integer percent (0–100) is left out. */
export function cpuLoad(column: Column | undefined): CpuLoadFields {
  const loads: number[] = [];
  for (const cell of column?.values() ?? []) {
    if (cell.kind !== 'integer' || cell.value < 0n || cell.value > 100n) continue;
    loads.push(Number(cell.value));
  }
  if (loads.length === 0) return {};
  return { cpu_load_pct: loads.reduce((n, v) => n + v, 0) / loads.length, cpu_load_max_pct: Math.max(...loads) };
}
