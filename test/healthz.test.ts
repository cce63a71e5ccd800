// /healthz of a real `wispmeter collect`: 200 while all is well, 503 naming the store when influxd is stopped
// mid-run and the spool once it passes its high-water mark, 200 again after influxd is back and caught up.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../cli/health.js';
import { accountingLoad, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { freePort } from './servers/free-port.js';
import { metricSum, ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'healthz-secret';
const SPOOL_MAX = 128 * 1024;

describe('/healthz of wispmeter collect with influxd stopped mid-run', () => {
  let dir: string;
  let influx: InfluxdServer;
  let collector: CollectorProcess;
  let healthzUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-healthz-'));
    influx = await startInfluxd();
    const netflowPort = await freePort();
    collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: error }
metrics:
  listen: "127.0.0.1:{METRICS_PORT}"
  health: { sinkFailingAfter: 2s, spoolHighWater: 0.9 }
spool: { maxBytes: ${SPOOL_MAX}, segmentBytes: 16KiB }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: nas-1, address: 127.0.0.1/32, secret: ${SECRET} }]
netflow:
  listen: ["127.0.0.1:${netflowPort}"]
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database}, batchSize: 100, timeout: 1s }
`,
    });
    healthzUrl = collector.metricsUrl.replace(/\/metrics$/, '/healthz');
  });

  afterAll(async () => {
    await collector?.proc.stop();
    await influx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function healthz(): Promise<{ code: number; body: HealthReport }> {
    const res = await fetch(healthzUrl, { signal: AbortSignal.timeout(2000) });
    expect(res.headers.get('content-type')).toBe('application/json');
    return { code: res.status, body: (await res.json()) as HealthReport };
  }

  /** Polls /healthz until `want` holds (bounded); returns the answer that satisfied it. */
  async function until(want: (h: { code: number; body: HealthReport }) => boolean, timeoutMs: number, what: string) {
    let last: { code: number; body: HealthReport } | undefined;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      last = await healthz();
      if (want(last)) return last;
    }
    throw new Error(`/healthz never showed ${what} within ${timeoutMs} ms; last answer ${last?.code} ${JSON.stringify(last?.body)}`);
  }

  const send = async (seed: number, sessions: number, retries = 3) => {
    // Each load on its own day: session ids repeat across seeds, and a Start older than its closed twin is a repeat.
    const load = accountingLoad({ sessions, interims: 4, seed, subscribers: 10, startTime: 1_767_225_600 + seed * 86_400 });
    return await runRadclient({ file: writeRadclientFile(join(dir, `load-${seed}.txt`), load.sessions), port: collector.radiusPort, secret: SECRET, parallel: 16, retries, timeoutS: 1, killAfterMs: 60_000 });
  };

  it('answers 200 with every part ok while the stores keep up', async () => {
    const run = await send(1, 10);
    expect(run.acked.size).toBe(run.sent);
    await collector.waitCaughtUp();
    const { code, body } = await healthz();
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.parts).sort()).toEqual(['listener:netflow', 'listener:radius', 'sink:embedded', 'sink:influx', 'spool']);
    expect(body.parts['listener:radius']).toMatchObject({ ok: true, bound: [`127.0.0.1:${collector.radiusPort}`] });
    expect(body.parts.spool).toMatchObject({ ok: true, maxBytes: SPOOL_MAX });
  });

  it('exposes exactly the metrics docs/operations.md lists', async () => {
    const text = await (await fetch(collector.metricsUrl)).text();
    const exposed = [...text.matchAll(/^# TYPE (wispmeter_\w+) /gm)].map((m) => m[1]!).filter((n) => !n.startsWith('wispmeter_process_'));
    const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Metrics'), doc.indexOf('## Grafana'));
    const documented = [...table.matchAll(/^\| (`wispmeter_[^|]+)\|/gm)]
      .flatMap((m) => [...m[1]!.matchAll(/`(wispmeter_\w+)`/g)].map((n) => n[1]!))
      .filter((n) => n !== 'wispmeter_process_');
    expect([...new Set(exposed)].sort()).toEqual([...new Set(documented)].sort());
  });

  it('answers 503 naming the influx store, and only it, once influxd has been down past sinkFailingAfter', async () => {
    await influx.stop();
    const run = await send(2, 10);
    expect(run.acked.size).toBe(run.sent); // RADIUS does not wait for Influx
    const failing = await until((h) => h.code === 503, 20_000, '503');
    expect(failing.body.status).toBe('unhealthy');
    expect(failing.body.parts['sink:influx']).toMatchObject({ ok: false });
    expect(failing.body.parts['sink:influx']!.reason).toMatch(/^writes failing for \d+ s \(limit 2 s\): .+/);
    expect(failing.body.parts['sink:embedded']!.ok).toBe(true);
    expect(failing.body.parts.spool!.ok).toBe(true);
    const m = await collector.metrics();
    expect(metricSum(m, 'wispmeter_sink_failing_since_timestamp_seconds', { sink: 'influx' })).toBeGreaterThan(0);
    expect(metricSum(m, 'wispmeter_sink_failing_since_timestamp_seconds', { sink: 'embedded' })).toBe(0);
  });

  it('names the spool as well once it passes 90 % of its cap', async () => {
    // A little more than the cap (about 600 spool bytes a packet): past it the collector stops acknowledging.
    const run = await send(3, 45, 1);
    expect(run.acked.size).toBeLessThan(run.sent);
    const full = await until((h) => h.body.parts.spool?.ok === false, 20_000, 'the spool over its high-water mark');
    expect(full.code).toBe(503);
    expect(full.body.parts.spool!.reason).toMatch(/^\d+ % full \(.* of 128\.0 KiB, limit 90 %\)/);
    expect(full.body.parts['sink:influx']!.ok).toBe(false);
    expect(metricSum(await collector.metrics(), 'wispmeter_spool_max_bytes')).toBe(SPOOL_MAX);
  });

  it('answers 200 again once influxd is back and the spool is delivered', async () => {
    await influx.restart();
    await collector.waitCaughtUp(60_000);
    const back = await until((h) => h.code === 200, 30_000, '200');
    expect(Object.values(back.body.parts).every((p) => p.ok)).toBe(true);
    expect(metricSum(await collector.metrics(), 'wispmeter_sink_failing_since_timestamp_seconds', { sink: 'influx' })).toBe(0);
  });
});
