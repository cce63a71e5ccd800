// The rating bench's usage: seeded hourly RADIUS and 5-minute SNMP records over each customer's billing period, written through a sink in batches.
import type { Sink } from '../../collectors/pipeline/sink.js';
import { recordId, type UsageRecord } from '../../collectors/pipeline/usage-record.js';
import { billingPeriod, type Period } from '../../rating/index.js';
import { localParts } from '../../rating/calendar.js';
import { mulberry32 } from '../../scripts/prng.js';
import type { BenchCustomer } from './bench-catalog.js';

const HOUR_MS = 3_600_000;
const FIVE_MIN_MS = 300_000;

/** Relative traffic by local hour: quiet nights, an evening peak. */
const DIURNAL = [0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.6, 0.6, 0.6, 0.65, 0.7, 0.7, 0.7, 0.75, 0.85, 1.0, 1.2, 1.4, 1.5, 1.4, 1.0, 0.6];
const DIURNAL_MEAN = DIURNAL.reduce((a, b) => a + b, 0) / DIURNAL.length;

export interface LoadStats {
  records: number;
  batches: number;
  /** Wall time of the whole load: generating records (ids are sha256) and writing them. */
  loadMs: number;
  /** Time spent inside sink.write only. */
  writeMs: number;
}

interface Generator {
  c: BenchCustomer;
  period: Period;
  rnd: () => number;
}

/** Rows the store should answer for these customers: one per hour (or 5 minutes) of each billing period. */
export function expectedRows(customers: readonly BenchCustomer[], label: string): number {
  return customers.reduce((n, c) => {
    const p = billingPeriod(label, c.billingDay, c.timezone);
    return n + (p.to - p.from) / (c.usage === 'hourly' ? HOUR_MS : FIVE_MIN_MS);
  }, 0);
}

/** Plans rated from one total per period (no windows, no percentile): the store sums, rating reads one row. */
const READ_AS_TOTAL: ReadonlySet<BenchCustomer['planId']> = new Set(['res-quota', 'res-graduated']);

/** Rows a per-customer read returns: one total for quota and graduated customers, every bucket for the others. */
export function expectedRowsRead(customers: readonly BenchCustomer[], label: string): number {
  return customers.reduce((n, c) => n + (READ_AS_TOTAL.has(c.planId) ? 1 : expectedRows([c], label)), 0);
}

/**
 * Writes every customer's usage for the billing period `label` through `sink`, `batchSize` records per write.
 * Records go out hour by hour across all customers, as collectors deliver them, not customer by customer (which
 * would lay each subscriber's rows out contiguously and flatter the per-customer reads). Each record ends on its
 * bucket: an hourly record [end − 1 h, end), a 5-minute one [end − 5 min, end), so a period of 31 days holds 744
 * hourly or 8,928 five-minute records per customer.
 */
export async function loadUsage(sink: Sink, customers: readonly BenchCustomer[], label: string, batchSize: number, onProgress?: (records: number) => void): Promise<LoadStats> {
  const started = performance.now();
  const gens: Generator[] = customers.map((c) => ({ c, period: billingPeriod(label, c.billingDay, c.timezone), rnd: mulberry32(c.seed) }));
  const first = Math.min(...gens.map((g) => g.period.from));
  const last = Math.max(...gens.map((g) => g.period.to));
  const stats: LoadStats = { records: 0, batches: 0, loadMs: 0, writeMs: 0 };
  let batch: UsageRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const t = performance.now();
    const result = await sink.write(batch, 60_000);
    stats.writeMs += performance.now() - t;
    if (result.status !== 'ok') throw new Error(`bench load: ${sink.name} sink answered ${result.status} for a batch of ${batch.length}`, { cause: result.error });
    stats.records += batch.length;
    stats.batches++;
    batch = [];
    onProgress?.(stats.records);
  };
  // Periods start on local midnights of whole-hour zones, so every period bound is on the hour.
  for (let hour = Math.floor(first / HOUR_MS) * HOUR_MS; hour < last; hour += HOUR_MS) {
    for (const g of gens) {
      if (hour < g.period.from || hour >= g.period.to) continue;
      const weight = DIURNAL[localParts(hour, g.c.timezone).hour]! / DIURNAL_MEAN;
      if (g.c.usage === 'hourly') batch.push(hourlyRecord(g, hour, weight));
      else for (let end = hour; end < hour + HOUR_MS; end += FIVE_MIN_MS) batch.push(fiveMinuteRecord(g, end, weight));
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  stats.loadMs = performance.now() - started;
  return stats;
}

function hourlyRecord(g: Generator, end: number, weight: number): UsageRecord {
  const hours = (g.period.to - g.period.from) / HOUR_MS;
  const bytes = (g.c.scale * 1e9 / hours) * weight * (0.5 + g.rnd());
  const device = `nas-${(g.c.seed % 4) + 1}`;
  const session = `${g.c.subscriber}-2025`;
  return {
    id: recordId('radius', device, session, end), source: 'radius', device, subscriber: g.c.subscriber, session,
    start: end - HOUR_MS, end, bytesDown: BigInt(Math.round(bytes * 0.88)), bytesUp: BigInt(Math.round(bytes * 0.12)),
  };
}

function fiveMinuteRecord(g: Generator, end: number, weight: number): UsageRecord {
  // Mbps × 10^6 / 8 bytes per second × 300 s.
  const down = g.c.scale * weight * (0.7 + 0.6 * g.rnd()) * 37_500_000;
  const up = down * 0.35 * (0.5 + g.rnd());
  return {
    id: recordId('snmp', 'core-1', g.c.subscriber, end), source: 'snmp', device: 'core-1', subscriber: g.c.subscriber,
    start: end - FIVE_MIN_MS, end, bytesDown: BigInt(Math.round(down)), bytesUp: BigInt(Math.round(up)),
  };
}
