// The collector-health dashboard's PromQL, filled in as Grafana fills it, against a real VictoriaMetrics that
// scrapes a real `wispmeter collect` fed by radclient and softflowd, with its Influx store unreachable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPanels, type Dashboard } from './grafana/dashboard-structure.js';
import { renderPromQL } from './grafana/render-promql.js';
import type { Selection } from './grafana/render-influxql.js';
import { makeCapture, replayWithSoftflowd } from './flows/softflowd.js';
import { accountingLoad, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { freePort } from './servers/free-port.js';
import { startVictoriaMetrics, type VictoriaMetricsServer } from './servers/victoria-metrics.js';
import { metricSum, ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'health-secret';
const SCRAPE_MS = 1000;
const dashboard = JSON.parse(readFileSync(join(ROOT, 'dashboards', 'wispmeter-collector.json'), 'utf8')) as Dashboard;

interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

describe('collector-health dashboard: every PromQL query against VictoriaMetrics scraping wispmeter collect', () => {
  let dir: string;
  let vm: VictoriaMetricsServer;
  let collector: CollectorProcess;
  let target: string;
  let start: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-promql-'));
    const netflowPort = await freePort();
    const deadInflux = await freePort(); // nothing listens there: the influx store fails throughout
    collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: error }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: tower-1, address: 127.0.0.1/32, secret: ${SECRET} }]
netflow:
  listen: ["127.0.0.1:${netflowPort}"]
  exporters: [{ name: edge-1, address: 127.0.0.1 }]
stores:
  influx: { version: 1, url: "http://127.0.0.1:${deadInflux}", database: wispmeter, timeout: 1s }
`,
    });
    target = new URL(collector.metricsUrl).host;
    const scrape = join(dir, 'scrape.yaml');
    writeFileSync(scrape, `scrape_configs:\n  - job_name: wispmeter\n    scrape_interval: ${SCRAPE_MS / 1000}s\n    static_configs: [{ targets: ["${target}"] }]\n`);
    start = Date.now();
    // latencyOffset 0: VictoriaMetrics otherwise hides the last 30 s from range queries, the whole of this test.
    vm = await startVictoriaMetrics({ args: [`-promscrape.config=${scrape}`, '-search.latencyOffset=0s'] });
    // Counters must be scraped before the traffic, or their first sample is already the total and rates show 0.
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      await vm.flush();
      if ((await labelValues('label_values(wispmeter_radius_dropped_total, instance)')).length > 0) break;
    }
    await new Promise((r) => setTimeout(r, 2 * SCRAPE_MS));

    const load = accountingLoad({ sessions: 20, interims: 3, seed: 5150, subscribers: 7 });
    const ok = await runRadclient({ file: writeRadclientFile(join(dir, 'load.txt'), load.sessions), port: collector.radiusPort, secret: SECRET, parallel: 8 });
    expect(ok.acked.size).toBe(load.sessions.length);
    const bad = await runRadclient({ file: writeRadclientFile(join(dir, 'bad.txt'), load.sessions.slice(0, 5)), port: collector.radiusPort, secret: 'not-the-secret', parallel: 5, retries: 1, timeoutS: 0.3 });
    expect(bad.acked.size).toBe(0);
    const capture = join(dir, 'capture.pcap');
    await makeCapture(capture, { subs: 4, packets: 3000, seed: 9, start: Math.floor(Date.now() / 1000) - 3600, span: 300 });
    await replayWithSoftflowd(capture, `127.0.0.1:${netflowPort}`, 9);
    // NetFlow buckets reach the spool on a timer: wait until the collector's counters stop moving, then let the
    // scrapes catch the last of them.
    let seen = '';
    for (let stable = 0, deadline = Date.now() + 30_000; stable < 3 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const m = await collector.metrics();
      const now = `${metricSum(m, 'wispmeter_netflow_records_total')}/${metricSum(m, 'wispmeter_spool_appended_bytes_total')}`;
      stable = now === seen && metricSum(m, 'wispmeter_netflow_records_total') > 0 ? stable + 1 : 0;
      seen = now;
    }
    await new Promise((r) => setTimeout(r, 4 * SCRAPE_MS));
    await vm.flush();
  }, 120_000);

  afterAll(async () => {
    await collector?.proc.stop();
    await vm?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function queryRange(expr: string, end: number): Promise<Series[]> {
    const q = new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: `${SCRAPE_MS / 1000}s` });
    const res = await fetch(`${vm.url}/api/v1/query_range?${q}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Series[] } };
    if (!res.ok || body.status !== 'success') throw new Error(`VictoriaMetrics rejected ${expr}: ${res.status} ${body.error}`);
    return body.data!.result;
  }

  /** label_values(metric, label) as Grafana resolves it: the label's values over the metric's series. */
  async function labelValues(query: string): Promise<string[]> {
    const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(query);
    if (!m) throw new Error(`unsupported variable query ${query}`);
    const res = await fetch(`${vm.url}/api/v1/series?${new URLSearchParams({ 'match[]': m[1]!, start: String(start / 1000) })}`);
    const body = (await res.json()) as { data: Record<string, string>[] };
    return [...new Set(body.data.map((s) => s[m[2]!]!))].sort();
  }

  it('the instance variable lists the scraped collector', async () => {
    expect(await labelValues(dashboard.templating.list[0]!.query!)).toEqual([target]);
  });

  const values = (s: Series) => s.values.map(([, v]) => Number(v)).filter((v) => !Number.isNaN(v));
  const byLabel = (series: Series[], label: string, value: string) => series.find((s) => s.metric[label] === value);
  const max = (s: Series | undefined) => Math.max(...(s ? values(s) : [-Infinity]));
  const last = (s: Series | undefined) => (s ? values(s).at(-1) : undefined);

  /** Per panel: what its series must show, given what was sent (every panel needs one). */
  const CHECKS: Record<number, (series: Series[][], m: Map<string, number>) => void> = {
    1: ([a], m) => expect(last(a![0])).toBeCloseTo((100 * metricSum(m, 'wispmeter_spool_unconsumed_bytes')) / metricSum(m, 'wispmeter_spool_max_bytes'), 6),
    2: ([a], m) => {
      expect(last(byLabel(a!, 'sink', 'influx'))).toBe(metricSum(m, 'wispmeter_sink_lag_bytes', { sink: 'influx' }));
      expect(last(byLabel(a!, 'sink', 'embedded'))).toBe(0);
    },
    3: ([a]) => {
      expect(last(byLabel(a!, 'sink', 'influx'))).toBeGreaterThan(3);
      expect(max(byLabel(a!, 'sink', 'embedded'))).toBe(0);
    },
    4: ([a]) => expect(max(byLabel(a!, 'nas', 'tower-1'))).toBeGreaterThan(0),
    5: ([a]) => {
      expect(max(byLabel(a!, 'reason', 'bad_authenticator'))).toBeGreaterThan(0);
      expect(max(byLabel(a!, 'reason', 'spool_full'))).toBe(0);
    },
    6: ([a]) => expect(max(a![0])).toBeGreaterThan(0),
    7: ([a]) => expect(max(byLabel(a!, 'exporter', 'edge-1'))).toBeGreaterThan(0),
    8: ([decode, records, socket]) => {
      expect(decode!.length).toBeGreaterThan(0);
      for (const s of [...decode!, ...records!, ...socket!]) expect(max(s)).toBe(0); // nothing lost on loopback
    },
    9: ([templates, held], m) => {
      expect(last(templates![0])).toBe(metricSum(m, 'wispmeter_netflow_templates'));
      expect(last(templates![0])).toBeGreaterThan(0);
      expect(last(held![0])).toBe(0);
    },
    10: ([a]) => expect(max(byLabel(a!, 'sink', 'embedded'))).toBeGreaterThan(0),
    11: ([retries, dead]) => {
      expect(max(byLabel(retries!, 'sink', 'influx'))).toBeGreaterThan(0);
      expect(dead!.every((s) => max(s) === 0)).toBe(true);
    },
    12: ([embedded, spool], m) => {
      expect(last(embedded![0])).toBeGreaterThan(0);
      expect(last(spool![0])).toBe(metricSum(m, 'wispmeter_spool_unconsumed_bytes'));
    },
    13: ([a]) => expect(max(a![0])).toBeGreaterThan(0),
    14: ([a]) => expect(last(a![0])).toBeGreaterThanOrEqual(1),
    15: ([a]) => expect(max(a![0])).toBeGreaterThan(0),
    16: ([a]) => expect(max(a![0])).toBeGreaterThan(10 * 1024 * 1024),
  };

  it.each([
    { name: 'All collectors (allValue)', selection: (): Selection => ({ instance: ['$__all'] }) },
    { name: 'the collector picked by name (regex-escaped)', selection: (): Selection => ({ instance: [target] }) },
  ])('$name: every panel shows what the traffic did', async ({ selection }) => {
    const options = { instance: await labelValues(dashboard.templating.list[0]!.query!) };
    const sel = selection();
    const end = Date.now();
    const m = await collector.metrics();
    for (const panel of allPanels(dashboard).filter((p) => p.datasource?.type === 'prometheus')) {
      const check = CHECKS[panel.id];
      if (!check) throw new Error(`panel ${panel.id} "${panel.title}" has no check in this test: add one`);
      const results: Series[][] = [];
      for (const t of panel.targets!) {
        const expr = renderPromQL(t.expr!, { stepMs: SCRAPE_MS, scrapeMs: SCRAPE_MS, variables: dashboard.templating.list, selection: sel, options });
        const series = await queryRange(expr, end);
        if (!series.some((s) => values(s).length > 0)) throw new Error(`panel ${panel.id} "${panel.title}" target ${t.refId} answered no data:\n${expr}\n${JSON.stringify(series).slice(0, 1000)}`);
        results.push(series);
      }
      try {
        check(results, m);
      } catch (err) {
        throw new Error(`panel ${panel.id} "${panel.title}": ${(err as Error).message}\n${JSON.stringify(results).slice(0, 2000)}`, { cause: err });
      }
    }
  });
});
