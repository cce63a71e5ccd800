// Rating reads usage through either store: a month written through the collectors' sinks into the embedded
// store and a real influxd must rate to identical fees, and `wispmeter rate` prints them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId, type UsageRecord } from '../collectors/pipeline/usage-record.js';
import { loadCatalog } from '../config/catalog-load.js';
import type { InfluxConfig } from '../config/schema.js';
import { formatRated, ratePeriod } from '../rating/index.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { createInfluxSink } from '../store/influx/influx-sink.js';
import { InfluxUsageStore } from '../store/influx/influx-usage-store.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { ROOT } from './wispmeter/collector-process.js';
import { runCli } from './wispmeter/cli-run.js';

const log = pino({ level: 'silent' });
const catalog = () => loadCatalog({ plans: join(ROOT, 'fixtures/catalog/plans.yaml'), customers: join(ROOT, 'fixtures/catalog/customers.yaml') });
const HOUR = 3_600_000;
const FIVE_MIN = 300_000;

/**
 * December 2025 (and a margin either side, which rating must leave out): ada@wisp moves 2 GB down and 0.2 GB
 * up every hour, so her 500 GB plan overflows; mesa-logistics sends 5-minute samples near 100 Mbps with bursts,
 * so the 95th percentile lands above the commit.
 */
function month(): UsageRecord[] {
  const out: UsageRecord[] = [];
  const from = Date.UTC(2025, 10, 30);
  const to = Date.UTC(2026, 0, 2);
  const rec = (subscriber: string, end: number, span: number, down: bigint, up: bigint): UsageRecord => ({
    id: recordId('radius', 'nas-1', subscriber, end), source: 'radius', device: 'nas-1', subscriber, start: end - span, end, bytesDown: down, bytesUp: up,
  });
  for (let t = from + HOUR; t <= to; t += HOUR) out.push(rec('ada@wisp', t, HOUR, 2_000_000_000n, 200_000_000n));
  let i = 0;
  for (let t = from + FIVE_MIN; t <= to; t += FIVE_MIN, i++) {
    // 90 Mbps most of the time, 140 Mbps in one sample of 12 (8.3% of samples: above the 95th percentile's 5%).
    const mbps = i % 12 === 0 ? 140n : 90n + BigInt(i % 7);
    out.push(rec('mesa-logistics', t, FIVE_MIN, (mbps * 1_000_000n * 300n) / 8n, 1_000_000n));
  }
  return out;
}

describe('rating from the embedded store and from influxd', () => {
  let dir: string;
  let influxd: InfluxdServer;
  let embedded: EmbeddedStore;
  let influx: InfluxUsageStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-rating-'));
    influxd = await startInfluxd();
    const config: InfluxConfig = { version: 1, url: influxd.url, database: influxd.database, batchSize: 5000, timeout: 10_000 };
    embedded = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
    influx = new InfluxUsageStore(config, log);
    const sink = createInfluxSink(config, log);
    const records = month();
    for (let i = 0; i < records.length; i += 2000) {
      const batch = records.slice(i, i + 2000);
      expect(await embedded.sink.write(batch, 10_000)).toEqual({ status: 'ok' });
      expect(await sink.write(batch, 10_000)).toEqual({ status: 'ok' });
    }
  });

  afterAll(async () => {
    await embedded?.close();
    await influxd?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives identical fees, with overage and a 95th percentile burst', async () => {
    const fromEmbedded = formatRated(await ratePeriod(embedded, catalog(), '2025-12', { read: 'per-customer' }), 'json');
    const fromInflux = formatRated(await ratePeriod(influx, catalog(), '2025-12', { read: 'grouped' }), 'json');
    // Evidence names each store and quotes its own query text; everything else must match to the character.
    const strip = (json: string) => json.replace(/"store": "\w+"/g, '"store": "…"').replace(/"queries": \[[^\]]*\]/g, '"queries": […]');
    expect(strip(fromInflux)).toEqual(strip(fromEmbedded));

    const table = formatRated(await ratePeriod(embedded, catalog(), '2025-12', { customerIds: ['C-1001', 'C-2001'] }), 'table');
    // Overage: Ada used far more than 500 GB before the plan change on the 17th, so overage is not zero there.
    expect(table).toMatch(/overage\s+Data above 500 GB included\s+[1-9]\d*\s+block of 10 GB/);
    // 140 Mbps in 1 of 12 samples is above the 95th percentile: the burst is exactly 40 Mbps.
    expect(table).toMatch(/Burst above 100 Mbps \(95th percentile\)\s+40\s+Mbps/);
  });

  it('wispmeter rate prints the same invoices from a config that names the catalog', async () => {
    const cfg = join(dir, 'wispmeter.yaml');
    writeFileSync(cfg, `dataDir: ${dir}\ncatalog:\n  plans: ${join(ROOT, 'fixtures/catalog/plans.yaml')}\n  customers: ${join(ROOT, 'fixtures/catalog/customers.yaml')}\n`);
    const r = await runCli(['rate', '--config', cfg, '--period', '2025-12', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const direct = formatRated(await ratePeriod(embedded, catalog(), '2025-12', { read: 'per-customer' }), 'json');
    expect(r.stdout.trim()).toEqual(direct.trim());
    const bad = await runCli(['rate', '--config', cfg, '--period', '2025-13']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--period: not a billing period: "2025-13"/);
    const unknown = await runCli(['rate', '--config', cfg, '--period', '2025-12', '--customer', 'C-9999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown customer C-9999/);
  });
});
