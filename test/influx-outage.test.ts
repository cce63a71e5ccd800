// influxd stopped during ingestion and started again: after replay Influx equals the embedded store, no duplicates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountingLoad, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { metricSum, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';
import { usageJson } from './wispmeter/cli-run.js';

const SECRET = 'outage-secret';
const DAY = ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-03T00:00:00Z'];

describe('InfluxDB outage during ingestion', () => {
  let dir: string;
  let influx: InfluxdServer;
  let collector: CollectorProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-outage-'));
    influx = await startInfluxd();
    collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: error }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: nas-1, address: 127.0.0.1/32, secret: ${SECRET} }]
  identity: { stripRealm: true, lowercase: true }
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database}, batchSize: 200, timeout: 2s }
`,
    });
  });

  afterAll(async () => {
    await collector?.proc.stop();
    await influx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps acknowledging while influxd is down, then replays into it exactly once', async () => {
    const load = accountingLoad({ sessions: 120, interims: 10, seed: 31337, subscribers: 40 });
    const packets = [...load.on, ...load.sessions];
    let outage: Promise<void> = Promise.resolve();
    let recovery: Promise<void> | undefined;
    let ackedWhileDown = 0;
    let down = false;
    const run = await runRadclient({
      file: writeRadclientFile(join(dir, 'load.txt'), packets),
      port: collector.radiusPort,
      secret: SECRET,
      parallel: 16,
      onAck: (_i, count) => {
        if (down) ackedWhileDown++;
        if (count === Math.floor(packets.length / 4)) {
          down = true;
          outage = influx.stop();
        }
        if (count === Math.floor((packets.length * 3) / 4)) {
          recovery = outage.then(() => {
            down = false;
            return influx.restart();
          });
        }
      },
    });
    expect(run.code, run.output).toBe(0);
    expect(run.acked.size).toBe(packets.length);
    expect(ackedWhileDown).toBeGreaterThan(packets.length / 3); // RADIUS never waited for Influx
    await recovery;
    await collector.waitCaughtUp(90_000);

    const m = await collector.metrics();
    expect(metricSum(m, 'wispmeter_sink_retries_total', { sink: 'influx' })).toBeGreaterThan(0);
    const embedded = await usageJson(['--config', collector.configFile, '--store', 'embedded', ...DAY]);
    const fromInflux = await usageJson(['--config', collector.configFile, '--store', 'influx', ...DAY]);
    const sort = (t: typeof embedded) => [...t].sort(([a], [b]) => a.localeCompare(b));
    expect(sort(fromInflux)).toEqual(sort(embedded));
    expect(sort(embedded)).toEqual(sort(load.expected));

    // No duplicates: one Influx point per embedded record.
    const db = new Database(join(dir, 'data', 'usage.sqlite'), { readonly: true });
    const records = (db.prepare('SELECT count(*) AS n FROM usage_record').get() as { n: number }).n;
    db.close();
    const q = new URLSearchParams({ db: influx.database, q: 'SELECT count("bytes_down") FROM "usage"' });
    const body = (await (await fetch(`${influx.url}/query?${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
    expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(records);
    expect(records).toBeGreaterThan(120 * 10);
  });
});
