// Every InfluxQL query of the Grafana dashboards, filled in as Grafana fills it, run against a real influxd that
// `wispmeter collect` loaded from real radclient and softflowd traffic and from its SNMP poller reading a real
// snmpd; the answers equal the traffic's own totals and what snmpd served.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPanels, type Dashboard, type DashboardPanel } from './grafana/dashboard-structure.js';
import { intervalMs, renderQuery, type RenderRange, type Selection } from './grafana/render-influxql.js';
import { pcapTruth, radiusTruth, sumBy, type TruthRow } from './grafana/usage-truth.js';
import { makeCapture, replayWithSoftflowd } from './flows/softflowd.js';
import { accountingLoad, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { freePort, freeUdpPort } from './servers/free-port.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { startSnmpd, type Snmpd } from './snmpd.js';
import { ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'grafana-secret';
const DAY_MS = 86_400_000;
const ZERO_RATED = '198.51.100.';
const COMMUNITY = 'radio-ro-5e1';
/** The AP fixture's poll where ath0 is down, so every radio panel has something to show. */
const AP_STEP = 8;
/** Polled devices and their towers: two APs served by one snmpd on two ports, and one that never answers. */
const RADIOS = [{ device: 'ap-north', tower: 'north' }, { device: 'ap-east', tower: 'east' }, { device: 'ap-dead', tower: 'east' }] as const;
const execFileP = promisify(execFile);

/** What snmpd served for the radio dashboard: per station (MAC) its gauges, per interface its oper status. */
interface HealthTruth {
  stations: Map<string, { signal: number; ccq: number; airmax: number; tx: number; rx: number }>;
  interfaces: Map<string, number>;
  /** The AP radio's noise floor (ubntWlStatNoiseFloor of radio 1, dBm). */
  noiseFloor: number;
  /** The AP's hrProcessorLoad rows (% per CPU): their mean and the busiest. */
  cpu: { mean: number; max: number; cpus: number };
  /** When snmpd started (ms): no uptime can be longer than since then. */
  startedAt: number;
}

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
  let ap: Snmpd;
  let health: HealthTruth;
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
    const startedAt = Date.now();
    ap = await startSnmpd({
      ports: [await freeUdpPort(), await freeUdpPort()],
      communities: [COMMUNITY],
      sysObjectID: '.1.3.6.1.4.1.41112.1.4',
      hostIfMib: false,
      hostResources: false,
      fixture: { walkFile: join(ROOT, 'fixtures/snmp/ap.walk'), subtrees: ['1.3.6.1.4.1.41112.1.4.7', '1.3.6.1.4.1.41112.1.4.5', '1.3.6.1.2.1.2.2', '1.3.6.1.2.1.25.3.3', '1.3.6.1.2.1.31.1.1'] },
    });
    // One fixed step: counters never move, so the poller bills nothing and the usage totals above stay the truth.
    ap.setStep(AP_STEP);
    health = { ...(await servedHealth(ap.port)), startedAt };
    const deadPort = await freeUdpPort();
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
snmp:
  interval: 2s
  timeout: 1s
  retries: 0
  targets:
    - { name: ap-north, tower: north, version: 2c, address: 127.0.0.1, port: ${ap.ports[0]}, community: ${COMMUNITY} }
    - { name: ap-east, tower: east, version: 2c, address: 127.0.0.1, port: ${ap.ports[1]}, community: ${COMMUNITY} }
    - { name: ap-dead, tower: east, version: 2c, address: 127.0.0.1, port: ${deadPort}, community: ${COMMUNITY}, timeout: 200ms }
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
    // device_health is written best effort on a 5 s timer: wait for two polls of every station and device.
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const polls = await influxql('SELECT count("signal_dbm") FROM "device_health" GROUP BY "device"');
      const dead = await influxql('SELECT count("up") FROM "device_health" WHERE "device" = \'ap-dead\'');
      const done = ['ap-north', 'ap-east'].every((d) => Number(polls.find((x) => x.tags?.device === d)?.values[0]?.[1] ?? 0) >= 2 * health.stations.size) && dead.length > 0;
      if (done) break;
      if (Date.now() > deadline) throw new Error(`device_health did not arrive: ${JSON.stringify(polls)}\n${collector.proc.output()}`);
    }

    const zr = sumBy(truth.filter((r) => r.class === 'zero-rated'), (r) => r.subscriber);
    zeroRatedSubscriber = [...zr].sort(([, a], [, b]) => Number(b.down + b.up - a.down - a.up))[0]![0];
  }, 180_000);

  afterAll(async () => {
    await collector?.proc.stop();
    await ap?.dispose();
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

  /** Values of a query variable: what Grafana lists in its drop-down (a query using an earlier variable filled in from `sel`). */
  async function variableOptions(d: Dashboard, sel: Selection = {}): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const v of d.templating.list) {
      const query = v.query?.includes('$') ? renderQuery(v.query, { range, variables: d.templating.list, selection: sel, options: out }) : v.query;
      if (v.type === 'query') out[v.name] = (await influxql(query!)).flatMap((s) => s.values.map((row) => String(row[1])));
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
    const radio = dashboards.get('wispmeter-radio')!;
    const all = await variableOptions(radio, { tower: ['$__all'] });
    expect(all.tower!.sort()).toEqual(['east', 'north']);
    expect(all.device!.sort()).toEqual(['ap-dead', 'ap-east', 'ap-north']);
    expect((await variableOptions(radio, { tower: ['east'] })).device!.sort()).toEqual(['ap-dead', 'ap-east']);
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
    { dashboard: 'wispmeter-radio', name: 'every tower and device', selection: () => ({ tower: ['$__all'], device: ['$__all'] }) },
    { dashboard: 'wispmeter-radio', name: 'one tower (an AP that answers, one that does not)', selection: () => ({ tower: ['east'], device: ['$__all'] }) },
    { dashboard: 'wispmeter-radio', name: 'one AP out of all towers', selection: () => ({ tower: ['$__all'], device: ['ap-north'] }) },
    { dashboard: 'wispmeter-radio', name: 'only the device that never answers', selection: () => ({ tower: ['east'], device: ['ap-dead'] }) },
  ];

  it.each(scenarios)('$dashboard, $name: every panel equals the traffic', async ({ dashboard, selection }) => {
    const d = dashboards.get(dashboard)!;
    const sel = selection();
    const options = await variableOptions(d, sel);
    const radio = d.uid === 'wispmeter-radio';
    const rows = radio ? [] : selected(sel);
    if (!radio) expect(rows.length).toBeGreaterThan(0);
    const devices = radio ? RADIOS.filter((r) => pickedIn(sel.tower!, r.tower, options.tower!) && pickedIn(sel.device!, r.device, options.device!)) : [];
    for (const panel of influxPanels(d)) {
      const check = CHECKS[`${d.uid}/${panel.id}`];
      if (!check) throw new Error(`${d.uid} panel ${panel.id} "${panel.title}" has no check in this test: add one`);
      for (const t of panel.targets!) {
        const q = renderQuery(t.query!, { range, minInterval: panel.interval, variables: d.templating.list, selection: sel, options });
        const series = await influxql(q);
        if (series.length > 0) answered.add(`${d.uid}/${panel.id}/${t.refId}`);
        try {
          check(series, { rows, sel, intervalMs: intervalMs(range, panel.interval), panel, health, devices });
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
  health: HealthTruth;
  /** The radio dashboard's selected devices (tower and device both picked). */
  devices: readonly (typeof RADIOS)[number][];
}

/** Whether a variable's pick (one value, several or All) takes `value`. */
function pickedIn(picked: string | string[], value: string, options: readonly string[]): boolean {
  const list = Array.isArray(picked) ? picked : [picked];
  return list.includes('$__all') ? options.includes(value) : list.includes(value);
}

/** The AP fixture as snmpd serves it now, read with the real snmpwalk: station gauges by MAC, ifOperStatus by ifName, CPU loads. */
async function servedHealth(port: number): Promise<Omit<HealthTruth, 'startedAt'>> {
  const walk = async (oid: string) => {
    const { stdout } = await execFileP('snmpwalk', ['-v2c', '-c', COMMUNITY, '-On', '-Oq', '-Ot', '-t', '3', `127.0.0.1:${port}`, oid], { env: { ...process.env, MIBS: '' } });
    return new Map(stdout.trim().split('\n').filter(Boolean).map((l) => {
      const at = l.indexOf(' ');
      return [l.slice(oid.length + 1, at), l.slice(at + 1).replace(/^"|"$/g, '')] as const;
    }));
  };
  const col = (n: number) => walk(`.1.3.6.1.4.1.41112.1.4.7.1.${n}`);
  const [signal, ccq, airmax, txBytes, tx, rx] = await Promise.all([col(3), col(6), col(9), col(13), col(17), col(18)]);
  const stations = new Map<string, { signal: number; ccq: number; airmax: number; tx: number; rx: number }>();
  // Index radio.m1…m6; a row without counters is skipped by the poller (no health either).
  for (const idx of txBytes.keys()) {
    const mac = idx.split('.').slice(1).map((n) => Number(n).toString(16).padStart(2, '0')).join(':');
    stations.set(mac, { signal: Number(signal.get(idx)), ccq: Number(ccq.get(idx)), airmax: Number(airmax.get(idx)), tx: Number(tx.get(idx)), rx: Number(rx.get(idx)) });
  }
  const [names, oper, noise, cpuLoad] = await Promise.all([walk('.1.3.6.1.2.1.31.1.1.1.1'), walk('.1.3.6.1.2.1.2.2.1.8'), walk('.1.3.6.1.4.1.41112.1.4.5.1.8'), walk('.1.3.6.1.2.1.25.3.3.1.2')]);
  const loads = [...cpuLoad.values()].map(Number);
  const cpu = { mean: loads.reduce((n, v) => n + v, 0) / loads.length, max: Math.max(...loads), cpus: loads.length };
  return { stations, interfaces: new Map([...oper].map(([i, v]) => [names.get(i)!, Number(v)])), noiseFloor: Number(noise.get('1')), cpu };
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

type Station = HealthTruth['stations'] extends Map<string, infer V> ? V : never;
const live = (devices: CheckContext['devices']) => devices.filter((d) => d.device !== 'ap-dead');

/** Series grouped by device and station equal, point by point, the gauge snmpd served for that station. */
function checkStations(series: Series[], { devices, health }: CheckContext, gauge: (s: Station) => number): void {
  const want = live(devices).flatMap((d) => [...health.stations.keys()].map((mac) => `${d.device}|${mac}`)).sort();
  expect(series.map((x) => `${x.tags!.device}|${x.tags!.entity}`).sort()).toEqual(want);
  for (const x of series) {
    const values = x.values.map((row) => row[1]).filter((v) => v !== null);
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values)).toEqual(new Set([gauge(health.stations.get(x.tags!.entity!)!)]));
  }
}

/** A stat over the selected APs' stations: no series at all when no AP that answers is selected. */
function checkStationStat(series: Series[], ctx: CheckContext, gauge: (s: Station) => number): void {
  if (live(ctx.devices).length === 0) return void expect(series).toEqual([]);
  expect(single(series)).toBe(Math.min(...[...ctx.health.stations.values()].map(gauge)));
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
  // Radio health: what snmpd served, per selected tower and device
  'wispmeter-radio/1': (s, { devices }) => expect(single(s)).toBe(live(devices).length),
  'wispmeter-radio/2': (s, { devices }) => expect(single(s)).toBe(devices.length - live(devices).length),
  'wispmeter-radio/3': (s, ctx) => checkStationStat(s, ctx, (x) => x.signal),
  'wispmeter-radio/4': (s, ctx) => checkStationStat(s, ctx, (x) => x.ccq),
  'wispmeter-radio/5': (s, { devices, health }) => {
    const got = Object.fromEntries(s.map((x) => [`${x.tags!.tower}|${x.tags!.device}|${x.tags!.entity}`, x.values[0]!.slice(1)]));
    expect(s.every((x) => x.columns.join() === 'time,signal,ccq,airmax,tx_kbps,rx_kbps')).toBe(true);
    expect(got).toEqual(Object.fromEntries(live(devices).flatMap((d) => [...health.stations].map(([mac, t]) => [`${d.tower}|${d.device}|${mac}`, [t.signal, t.ccq, t.airmax, t.tx, t.rx]]))));
  },
  'wispmeter-radio/6': (s, ctx) => checkStations(s, ctx, (x) => x.signal),
  'wispmeter-radio/7': (s, ctx) => checkStations(s, ctx, (x) => x.ccq),
  'wispmeter-radio/8': (s, ctx) => checkStations(s, ctx, (x) => x.airmax),
  'wispmeter-radio/9': (s, ctx) => checkStations(s, ctx, (x) => x.tx),
  'wispmeter-radio/10': (s, { devices, health }) => {
    expect(s.map((x) => `${x.tags!.tower}|${x.tags!.device}`).sort()).toEqual(devices.map((d) => `${d.tower}|${d.device}`).sort());
    const maxUptime = (Date.now() - health.startedAt) / 1000 + 1;
    for (const x of s) {
      expect(x.columns).toEqual(['time', 'up', 'uptime', 'poll_ms', 'cpu', 'cpu_max']);
      const [up, uptime, pollMs, cpu, cpuMax] = x.values[0]!.slice(1);
      if (x.tags!.device === 'ap-dead') {
        expect([up, uptime, pollMs, cpu, cpuMax]).toEqual([0, null, null, null, null]);
      } else {
        expect(up).toBe(1);
        expect([cpu, cpuMax]).toEqual([health.cpu.mean, health.cpu.max]);
        expect(Number(uptime)).toBeGreaterThan(0);
        expect(Number(uptime)).toBeLessThanOrEqual(maxUptime);
        expect(Number(pollMs)).toBeGreaterThanOrEqual(0);
      }
    }
  },
  'wispmeter-radio/11': (s, { devices, health }) => {
    const down = [...health.interfaces].filter(([, status]) => status !== 1).map(([name]) => name);
    expect(down.length).toBeGreaterThan(0);
    const got = s.map((x) => `${x.tags!.tower}|${x.tags!.device}|${x.tags!.entity}=${x.values.map((row) => row[1]).join()}`).sort();
    expect(got).toEqual(live(devices).flatMap((d) => down.map((i) => `${d.tower}|${d.device}|${i}=0`)).sort());
  },
  'wispmeter-radio/12': (s, { devices }) => {
    expect(s.map((x) => x.tags!.device).sort()).toEqual(live(devices).map((d) => d.device).sort());
    for (const x of s) expect(x.values.every((row) => row[1] === null || Number(row[1]) >= 0)).toBe(true);
  },
  'wispmeter-radio/13': (s, { devices, health }) => {
    expect(Number.isInteger(health.noiseFloor) && health.noiseFloor < -80).toBe(true);
    expect(s.map((x) => x.tags!.device).sort()).toEqual(live(devices).map((d) => d.device).sort());
    for (const x of s) {
      const values = x.values.map((row) => row[1]).filter((v) => v !== null);
      expect(values.length).toBeGreaterThan(0);
      expect(new Set(values)).toEqual(new Set([health.noiseFloor]));
    }
  },
  // A: the mean over the CPUs, B: the busiest CPU; the fixture's two CPUs differ, so the mean is neither of them.
  'wispmeter-radio/14': (s, { devices, health }) => {
    expect(health.cpu.cpus).toBe(2);
    expect(health.cpu.mean).not.toBe(health.cpu.max);
    expect(s.map((x) => x.tags!.device).sort()).toEqual(live(devices).map((d) => d.device).sort());
    for (const x of s) {
      const field = x.columns[1];
      expect(['cpu_load_pct', 'cpu_load_max_pct']).toContain(field);
      const values = x.values.map((row) => row[1]).filter((v) => v !== null);
      expect(values.length).toBeGreaterThan(0);
      expect(new Set(values)).toEqual(new Set([field === 'cpu_load_pct' ? health.cpu.mean : health.cpu.max]));
    }
  },
};
