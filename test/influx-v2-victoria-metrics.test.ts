// The influx sink's v2 path (/api/v2/write via @influxdata/influxdb-client) against real VictoriaMetrics, read back via /api/v1/export.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { createInfluxSink, type InfluxSink } from '../store/influx/influx-sink.js';
import { startVictoriaMetrics, type VictoriaMetricsServer } from './servers/victoria-metrics.js';
import { DAY, SUBSCRIBERS, usageRecords } from './usage/usage-fixture.js';

const log = pino({ level: 'silent' });
const DAY0 = Date.UTC(2026, 0, 10);
// VictoriaMetrics stores float64 values at ms precision: no sums above 2^53, no same-millisecond twins here.
const records = usageRecords({ day0: DAY0, huge: false, sameMillisecond: false });

interface ExportLine {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Per-subscriber sums of usage_<field> over [from, to) from VictoriaMetrics' raw export. */
async function exportedTotals(vm: VictoriaMetricsServer, field: 'bytes_down' | 'bytes_up', from: number, to: number): Promise<Map<string, bigint>> {
  const params = new URLSearchParams({ 'match[]': `usage_${field}`, start: String(from / 1000), end: String(to / 1000) });
  const res = await fetch(`${vm.url}/api/v1/export?${params}`);
  expect(res.status).toBe(200);
  const totals = new Map<string, bigint>();
  for (const line of (await res.text()).split('\n')) {
    if (!line.trim()) continue;
    const series = JSON.parse(line) as ExportLine;
    const subscriber = series.metric.subscriber ?? '';
    series.values.forEach((v, i) => {
      const t = series.timestamps[i]!;
      if (t >= from && t < to) totals.set(subscriber, (totals.get(subscriber) ?? 0n) + BigInt(v));
    });
  }
  return totals;
}

describe('influx v2 write against real VictoriaMetrics', () => {
  let vm: VictoriaMetricsServer;
  let sink: InfluxSink;
  let embedded: EmbeddedStore;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-vm-it-'));
    embedded = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
    // Deduplication at 1 ms makes a replayed point (same series, same timestamp) count once, as in InfluxDB.
    vm = await startVictoriaMetrics({ args: ['-dedup.minScrapeInterval=1ms'] });
    sink = createInfluxSink({ version: 2, url: vm.url, org: 'isp', bucket: 'usage', token: 'test-token', batchSize: 9, timeout: 5000 }, log);
  });
  afterAll(async () => {
    await vm?.dispose();
    await embedded?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every record, replays the batch, and the per-subscriber totals match the embedded store', async () => {
    for (let i = 0; i < records.length; i += 25) {
      const batch = records.slice(i, i + 25);
      expect(await sink.write(batch, 5000)).toEqual({ status: 'ok' });
      expect(await embedded.sink.write(batch, 5000)).toEqual({ status: 'ok' });
    }
    expect(await sink.write(records, 5000)).toEqual({ status: 'ok' });
    await vm.flush();

    for (const [from, to] of [[DAY0, DAY0 + 2 * DAY], [DAY0 + 3_600_000, DAY0 + DAY]] as const) {
      const { rows } = await embedded.queryUsage({ from, to });
      expect(rows.map((r) => r.subscriber)).toEqual([...SUBSCRIBERS].sort());
      expect(await exportedTotals(vm, 'bytes_down', from, to)).toEqual(new Map(rows.map((r) => [r.subscriber, r.bytesDown])));
      expect(await exportedTotals(vm, 'bytes_up', from, to)).toEqual(new Map(rows.map((r) => [r.subscriber, r.bytesUp])));
    }
  });

  it('answers retryable when the server is gone', async () => {
    await vm.stop();
    const result = await sink.write([records[0]!], 2000);
    expect(result.status).toBe('retryable');
    if (result.status === 'retryable') expect(result.error.message).toMatch(/^influx v2 write .*ECONNREFUSED/);
  });
});
