// Every InfluxQL query of the Grafana dashboards, filled in as Grafana fills it, run against a real influxd that
// `wispmeter collect` loaded from real radclient and softflowd traffic; the answers equal the traffic's own totals.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPanels, type Dashboard, type DashboardPanel } from './grafana/dashboard-structure.js';
import { intervalMs, renderQuery, type RenderRange, type Selection } from './grafana/render-influxql.js';
import { pcapTruth, radiusTruth, sumBy, type TruthRow } from './grafana/usage-truth.js';
import { makeCapture, replayWithSoftflowd } from './flows/softflowd.js';
import { accountingLoad, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { freePort } from './servers/free-port.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'grafana-secret';
const DAY_MS = 86_400_000;
const ZERO_RATED = '198.51.100.';

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: (number | string | null)[][];
}

const dashboards = new Map(
  readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json')).map((f) => {
    const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as Dashboard;
    return [d.uid, d] as const;
  }),
);
const influxPanels = (d: Dashboard) => allPanels(d).filter((p) => p.datasource?.type === 'influxdb');

describe('Grafana dashboards: every InfluxQL query against influxd loaded by wispmeter collect', () => {
  let dir: string;
  let influx: InfluxdServer;
  let collector: CollectorProcess;
  let truth: TruthRow[];
  let range: RenderRange;
  let zeroRatedSubscriber: string;
  /** dashboard uid/panel id/refId of every target that answered with data in some scenario. */
  const answered = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-grafana-'));
    const now = Date.now();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    // RADIUS sessions of three days ago, with an interim every 4 h, so daily bars have several days to show.
    const loadA = accountingLoad({ sessions: 12, interims: 8, seed: 808, subscribers: 6, startTime: (today - 3 * DAY_MS) / 1000 + 6 * 3600, interimSeconds: 4 * 3600 });
    const loadB = accountingLoad({ sessions: 5, interims: 6, seed: 909, subscribers: 3, startTime: (today - 2 * DAY_MS) / 1000 + 3600, interimSeconds: 3 * 3600 });
    // Flows from the last hour (softflowd's v9/IPFIX times are uptime-relative), kept inside one UTC day.
    let startS = Math.floor(now / 1000) - 3600;
    if (Math.floor(startS / 86_400) !== Math.floor((startS + 900) / 86_400)) startS = Math.floor((startS + 900) / 86_400) * 86_400 - 1500;
    const capture = join(dir, 'capture.pcap');
    const addresses = Object.keys(await makeCapture(capture, { subs: 8, packets: 20_000, seed: 77, start: startS, span: 600 })).sort();
    const staticName = (a: string) => (addresses.includes(a) ? `static-${a}` : undefined);
    truth = [
      ...radiusTruth(loadA.sessions, 'tower-1'),
      ...radiusTruth(loadB.sessions, 'tower-2'),
      ...pcapTruth(capture, { subscriber: staticName, classes: { 'zero-rated': (ip) => ip.startsWith(ZERO_RATED) }, device: 'edge-1', day: Math.floor((startS * 1000) / DAY_MS) * DAY_MS }),
    ];
    range = { from: new Date(today - 3 * DAY_MS), to: new Date(now + 60_000), maxDataPoints: 1000 };

    influx = await startInfluxd();
    const netflowPort = await freePort();
    collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}", "[::1]:{RADIUS_PORT}"]
  clients:
    - { name: tower-1, address: 127.0.0.1/32, secret: ${SECRET} }
    - { name: tower-2, address: "::1/128", secret: ${SECRET} }
  identity: { stripRealm: true, lowercase: true }
netflow:
  listen: ["127.0.0.1:${netflowPort}"]
  exporters: [{ name: edge-1, address: 127.0.0.1 }]
  static:
${addresses.map((a) => `    - { prefix: ${a}/32, subscriber: ${staticName(a)} }`).join('\n')}
  classes: [{ name: zero-rated, prefixes: [${ZERO_RATED}0/24] }]
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database}, batchSize: 500 }
`,
    });
    for (const [load, host] of [[loadA, '127.0.0.1'], [loadB, '[::1]']] as const) {
      const run = await runRadclient({ file: writeRadclientFile(join(dir, `radius-${host.length}.txt`), load.sessions), host, port: collector.radiusPort, secret: SECRET, parallel: 16 });
      expect(run.acked.size, run.output).toBe(load.sessions.length);
    }
    await replayWithSoftflowd(capture, `127.0.0.1:${netflowPort}`, 10);

    // NetFlow buckets are flushed on a timer: wait until Influx holds every byte of the traffic.
    const all = [...truth].reduce((n, r) => n + r.down + r.up, 0n);
    let stored = 0n;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && stored !== all; await new Promise((r) => setTimeout(r, 500))) {
      const s = await influxql('SELECT sum("bytes_down") + sum("bytes_up") FROM "usage"');
      stored = BigInt(Number(s[0]?.values[0]?.[1] ?? 0));
    }
    expect(stored, 'bytes in influxd vs the traffic').toBe(all);
    await collector.waitCaughtUp();

    const zr = sumBy(truth.filter((r) => r.class === 'zero-rated'), (r) => r.subscriber);
    zeroRatedSubscriber = [...zr].sort(([, a], [, b]) => Number(b.down + b.up - a.down - a.up))[0]![0];
  }, 180_000);

  afterAll(async () => {
    await collector?.proc.stop();
    await influx?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function influxql(q: string): Promise<Series[]> {
    const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: influx.database, q, epoch: 'ms' })}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { error?: string; results?: { error?: string; series?: Series[] }[] };
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (!res.ok || error) throw new Error(`influxd rejected ${q}: ${res.status} ${error}`);
    return body.results?.flatMap((r) => r.series ?? []) ?? [];
  }

  /** Values of a query variable: what Grafana lists in its drop-down. */
  async function variableOptions(d: Dashboard): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const v of d.templating.list) {
      if (v.type === 'query') out[v.name] = (await influxql(v.query!)).flatMap((s) => s.values.map((row) => String(row[1])));
      if (v.type === 'custom') out[v.name] = v.query!.split(',').map((s) => s.trim());
    }
    return out;
  }

  it('template variable queries list every subscriber and device the collectors wrote', async () => {
    const sub = await variableOptions(dashboards.get('wispmeter-subscriber')!);
    expect(sub.subscriber!.sort()).toEqual([...new Set(truth.map((r) => r.subscriber))].sort());
    expect(sub.device!.sort()).toEqual(['edge-1', 'tower-1', 'tower-2']);
    const net = await variableOptions(dashboards.get('wispmeter-network')!);
    expect(net.device!.sort()).toEqual(['edge-1', 'tower-1', 'tower-2']);
  });

  /** The truth rows a selection keeps: the dashboards filter by subscriber, device and source. */
  function selected(sel: Selection): TruthRow[] {
    const pick = (name: string, value: string) => {
      const s = sel[name];
      if (s === undefined) return true;
      const list = Array.isArray(s) ? s : [s];
      return list.includes('$__all') || list.includes(value);
    };
    return truth.filter((r) => pick('subscriber', r.subscriber) && pick('device', r.device) && pick('source', r.source));
  }

  const scenarios: { dashboard: string; name: string; selection: () => Selection }[] = [
    { dashboard: 'wispmeter-subscriber', name: 'a RADIUS subscriber on two NAS, all devices and sources', selection: () => ({ subscriber: ['alice01'], device: ['$__all'], source: ['$__all'], quota_gb: '100', zero_rated_class: 'zero-rated' }) },
    { dashboard: 'wispmeter-subscriber', name: 'the same subscriber on one NAS', selection: () => ({ subscriber: ['alice01'], device: ['tower-2'], source: ['$__all'], quota_gb: '100', zero_rated_class: 'zero-rated' }) },
    { dashboard: 'wispmeter-subscriber', name: 'a NetFlow subscriber with zero-rated traffic', selection: () => ({ subscriber: [zeroRatedSubscriber], device: ['$__all'], source: ['netflow'], quota_gb: '2', zero_rated_class: 'zero-rated' }) },
    { dashboard: 'wispmeter-subscriber', name: 'two subscribers (regex alternation), two devices, two sources', selection: () => ({ subscriber: ['bob01', zeroRatedSubscriber], device: ['tower-1', 'edge-1'], source: ['radius', 'netflow'], quota_gb: '50', zero_rated_class: 'zero-rated' }) },
    { dashboard: 'wispmeter-network', name: 'all devices (every option), all sources (allValue)', selection: () => ({ device: ['$__all'], source: ['$__all'] }) },
    { dashboard: 'wispmeter-network', name: 'one NAS, RADIUS only', selection: () => ({ device: ['tower-2'], source: ['radius'] }) },
    { dashboard: 'wispmeter-network', name: 'a NAS and an exporter', selection: () => ({ device: ['tower-1', 'edge-1'], source: ['$__all'] }) },
  ];

  it.each(scenarios)('$dashboard, $name: every panel equals the traffic', async ({ dashboard, selection }) => {
    const d = dashboards.get(dashboard)!;
    const sel = selection();
    const options = await variableOptions(d);
    const rows = selected(sel);
    expect(rows.length).toBeGreaterThan(0);
    for (const panel of influxPanels(d)) {
      const check = CHECKS[`${d.uid}/${panel.id}`];
      if (!check) throw new Error(`${d.uid} panel ${panel.id} "${panel.title}" has no check in this test: add one`);
      for (const t of panel.targets!) {
        const q = renderQuery(t.query!, { range, minInterval: panel.interval, variables: d.templating.list, selection: sel, options });
        const series = await influxql(q);
        if (series.length > 0) answered.add(`${d.uid}/${panel.id}/${t.refId}`);
        try {
          check(series, { rows, sel, intervalMs: intervalMs(range, panel.interval), panel });
        } catch (err) {
          throw new Error(`${d.uid} panel ${panel.id} "${panel.title}"\n${q}\n${(err as Error).message}`, { cause: err });
        }
      }
    }
  });

  it('every InfluxQL target of every dashboard answered with data in some scenario', () => {
    const targets = [...dashboards.values()].flatMap((d) => influxPanels(d).flatMap((p) => p.targets!.map((t) => `${d.uid}/${p.id}/${t.refId}`)));
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((t) => !answered.has(t))).toEqual([]);
  });
});

interface CheckContext {
  rows: TruthRow[];
  sel: Selection;
  intervalMs: number;
  panel: DashboardPanel;
}

/** The one value of a query without GROUP BY; no series at all means nothing matched (0). */
function single(series: Series[]): number {
  if (series.length === 0) return 0;
  expect(series).toHaveLength(1);
  expect(series[0]!.values).toHaveLength(1);
  return Number(series[0]!.values[0]![1]);
}

const total = (rows: TruthRow[]) => rows.reduce((n, r) => n + r.down + r.up, 0n);
const num = (b: bigint) => Number(b);

/** Σ bits-per-second × interval / 8 over the buckets gives back the bytes (to float precision). */
function bytesFromRate(values: (number | string | null)[][], column: number, ms: number): number {
  return values.reduce((n, row) => n + Number(row[column] ?? 0), 0) * (ms / 1000) / 8;
}

function closeTo(got: number, want: number): void {
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(Math.max(1e-9 * want, 1e-6));
}

/** Per day of truth (keyed by `key`), compared with GROUP BY time(1d) series whose rows are [time, ...values]. */
function checkDaily(series: Series[], rows: TruthRow[], seriesKey: (s: Series) => string, rowKey: (r: TruthRow) => string, value: (row: (number | string | null)[]) => bigint, want: (t: { down: bigint; up: bigint }) => bigint): void {
  const expected = sumBy(rows, (r) => `${rowKey(r)}@${r.day}`);
  const got = new Map<string, bigint>();
  for (const s of series) for (const row of s.values) {
    const v = value(row);
    if (v !== 0n) got.set(`${seriesKey(s)}@${row[0]}`, v);
  }
  expect(Object.fromEntries(got)).toEqual(Object.fromEntries([...expected].map(([k, t]) => [k, want(t)]).filter(([, v]) => v !== 0n)));
}

const CHECKS: Record<string, (series: Series[], ctx: CheckContext) => void> = {
  // Subscriber usage
  'wispmeter-subscriber/1': (s, { rows }) => expect(single(s)).toBe(num(rows.reduce((n, r) => n + r.down, 0n))),
  'wispmeter-subscriber/2': (s, { rows }) => expect(single(s)).toBe(num(rows.reduce((n, r) => n + r.up, 0n))),
  'wispmeter-subscriber/3': (s, { rows, sel }) => closeTo(single(s), (num(total(rows)) / (Number(sel.quota_gb) * 1e9)) * 100),
  'wispmeter-subscriber/4': (s, { rows }) => expect(single(s)).toBe(num(total(rows.filter((r) => r.class === 'zero-rated')))),
  'wispmeter-subscriber/5': (s, { rows }) => {
    expect(s.every((x) => x.columns.join() === 'time,down,up')).toBe(true);
    checkDaily(s, rows, (x) => x.tags!.subscriber!, (r) => r.subscriber, (row) => BigInt(Number(row[1])) + BigInt(Number(row[2])), (t) => t.down + t.up);
  },
  'wispmeter-subscriber/6': (s, { rows }) => {
    const got = Object.fromEntries(s.map((x) => [x.tags!.class!, Number(x.values[0]![1])]));
    expect(got).toEqual(Object.fromEntries([...sumBy(rows, (r) => r.class)].map(([k, t]) => [k, num(t.down + t.up)])));
  },
  'wispmeter-subscriber/7': (s, { rows, intervalMs }) => {
    const want = sumBy(rows, (r) => r.subscriber);
    expect(s.map((x) => x.tags!.subscriber).sort()).toEqual([...want.keys()].sort());
    for (const x of s) {
      closeTo(bytesFromRate(x.values, 1, intervalMs), num(want.get(x.tags!.subscriber!)!.down));
      closeTo(bytesFromRate(x.values, 2, intervalMs), num(want.get(x.tags!.subscriber!)!.up));
    }
  },
  'wispmeter-subscriber/8': (s, { rows }) => {
    const got = Object.fromEntries(s.map((x) => [`${x.tags!.subscriber}|${x.tags!.device}|${x.tags!.source}`, [Number(x.values[0]![1]), Number(x.values[0]![2])]]));
    expect(got).toEqual(Object.fromEntries([...sumBy(rows, (r) => `${r.subscriber}|${r.device}|${r.source}`)].map(([k, t]) => [k, [num(t.down), num(t.up)]])));
  },
  // Network usage
  'wispmeter-network/1': (s, { rows }) => expect(single(s)).toBe(new Set(rows.map((r) => r.subscriber)).size),
  'wispmeter-network/2': (s, { rows }) => expect(single(s)).toBe(num(rows.reduce((n, r) => n + r.down, 0n))),
  'wispmeter-network/3': (s, { rows }) => expect(single(s)).toBe(num(rows.reduce((n, r) => n + r.up, 0n))),
  'wispmeter-network/4': (s, { rows }) => {
    expect(s).toHaveLength(1);
    const [time, bytes, subscriber] = ['time', 'bytes', 'subscriber'].map((c) => s[0]!.columns.indexOf(c));
    expect(time).toBe(0);
    const got = s[0]!.values.map((row) => [String(row[subscriber!]), Number(row[bytes!])] as const).sort(([a], [b]) => a.localeCompare(b));
    const want = [...sumBy(rows, (r) => r.subscriber)].map(([k, t]) => [k, num(t.down + t.up)] as const).sort(([, a], [, b]) => b - a).slice(0, 10);
    expect(got).toEqual(want.sort(([a], [b]) => a.localeCompare(b)));
  },
  'wispmeter-network/5': (s, { rows }) => {
    const got = Object.fromEntries(s.map((x) => [`${x.tags!.device}|${x.tags!.source}`, [Number(x.values[0]![1]), Number(x.values[0]![2])]]));
    expect(got).toEqual(Object.fromEntries([...sumBy(rows, (r) => `${r.device}|${r.source}`)].map(([k, t]) => [k, [num(t.down), num(t.up)]])));
  },
  'wispmeter-network/6': (s, { rows, intervalMs }) => {
    const want = sumBy(rows, (r) => r.device);
    expect(s.map((x) => x.tags!.device).sort()).toEqual([...want.keys()].sort());
    for (const x of s) closeTo(bytesFromRate(x.values, 1, intervalMs), num(want.get(x.tags!.device!)!.down));
  },
  'wispmeter-network/7': (s, { rows }) => checkDaily(s, rows, (x) => x.tags!.source!, (r) => r.source, (row) => BigInt(Number(row[1])), (t) => t.down + t.up),
  'wispmeter-network/8': (s, { rows }) => {
    const got = Object.fromEntries(s.map((x) => [x.tags!.class!, Number(x.values[0]![1])]));
    expect(got).toEqual(Object.fromEntries([...sumBy(rows, (r) => r.class)].map(([k, t]) => [k, num(t.down + t.up)])));
  },
};
