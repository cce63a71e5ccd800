// End to end: real softflowd exports an mkpcap capture as NetFlow v5, v9 and IPFIX to `wispmeter collect`;
// flows are attributed through RADIUS leases (real radclient) and static entries, and every subscriber's
// stored down/up equals mkpcap's truth to the byte, in the embedded store and in a real influxd.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeInput } from '../collectors/radius/encode.js';
import { makeCapture, replayWithSoftflowd, type Truth } from './flows/softflowd.js';
import { writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { freePort } from './servers/free-port.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { runCli, usageJson } from './wispmeter/cli-run.js';
import { metricSum, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'flows-secret';
const SPAN_S = 600;

describe('NetFlow v5/v9/IPFIX end to end (softflowd, radclient, influxd)', () => {
  let base: string;
  let influx: InfluxdServer;
  let truth: Truth;
  let capture: string;
  let startS: number;
  const running: CollectorProcess[] = [];

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'wispmeter-flows-'));
    capture = join(base, 'capture.pcap');
    // Within the last hour: softflowd's uptime-relative v9/IPFIX times must not wrap (see shared/tools/README.md).
    startS = Math.floor(Date.now() / 1000) - 3600;
    truth = await makeCapture(capture, { subs: 60, packets: 100_000, seed: 2026, start: startS, span: SPAN_S });
    influx = await startInfluxd();
  }, 120_000);

  afterAll(async () => {
    for (const c of running) await c.proc.stop();
    await influx?.dispose();
    rmSync(base, { recursive: true, force: true });
  });

  it.each([5, 9, 10] as const)('softflowd -v %i: per-subscriber totals equal mkpcap to the byte, in both stores', async (version) => {
    const addresses = Object.keys(truth).sort();
    expect(addresses.length).toBeGreaterThanOrEqual(50);
    // Every other address is a PPPoE subscriber whose address comes from RADIUS; the rest are static customers,
    // but for one address nobody holds: its traffic must show up as unattributed, not vanish.
    const orphan = addresses.at(-1)!;
    const viaRadius = addresses.filter((a, i) => i % 2 === 0 && a !== orphan);
    const viaStatic = addresses.filter((a, i) => i % 2 === 1 && a !== orphan);
    const name = (a: string) => (a === orphan ? '(unattributed)' : viaRadius.includes(a) ? `pppoe-${a}` : `static-${a}`);

    const database = `flows_v${version}`;
    await fetch(`${influx.url}/query?${new URLSearchParams({ q: `CREATE DATABASE "${database}"` })}`, { method: 'POST' });
    const netflowPort = await freePort();
    const dir = mkdtempSync(join(base, `v${version}-`));
    const collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: bng-1, address: 127.0.0.1/32, secret: ${SECRET} }]
netflow:
  listen: ["127.0.0.1:${netflowPort}"]
  exporters: [{ name: edge-1, address: 127.0.0.1 }]
  static:
${viaStatic.map((a) => `    - { prefix: ${a}, subscriber: ${name(a)} }`).join('\n')}
  classes: [{ name: zero-rated, prefixes: [198.51.100.0/24] }]
stores:
  influx: { version: 1, url: "${influx.url}", database: ${database} }
`,
    });
    running.push(collector);

    // The PPPoE sessions start an hour before the capture and stay open: their Framed-IP-Address is a lease.
    const starts: AttributeInput[][] = viaRadius.map((a, i) => [
      { name: 'Acct-Status-Type', value: 'Start' }, { name: 'User-Name', value: name(a) },
      { name: 'Acct-Session-Id', value: `s-${version}-${i}` }, { name: 'Framed-IP-Address', value: a },
      { name: 'Event-Timestamp', value: startS - 3600 },
    ]);
    const rc = await runRadclient({ file: writeRadclientFile(join(dir, 'starts.txt'), starts), port: collector.radiusPort, secret: SECRET, parallel: 16 });
    expect(rc.acked.size).toBe(starts.length);

    await replayWithSoftflowd(capture, `127.0.0.1:${netflowPort}`, version);

    // Unattributed flows are stored with all their bytes as down (there is no subscriber side to call up).
    const want = new Map(addresses.map((a) => [name(a), a === orphan
      ? { bytesDown: BigInt(truth[a]!.in + truth[a]!.out), bytesUp: 0n }
      : { bytesDown: BigInt(truth[a]!.in), bytesUp: BigInt(truth[a]!.out) }]));
    const all = [...want.values()].reduce((n, t) => n + t.bytesDown + t.bytesUp, 0n);
    const window = ['--from', new Date((startS - 86_400) * 1000).toISOString(), '--to', new Date(Date.now() + 86_400_000).toISOString(), '--source', 'netflow'];
    // Buckets are flushed on a 5 s timer, then the stores catch up: wait until every byte is stored.
    const deadline = Date.now() + 60_000;
    let stored = 0n;
    while (Date.now() < deadline) {
      const got = await usageJson(['--config', collector.configFile, ...window]);
      stored = [...got.values()].reduce((n, t) => n + t.bytesDown + t.bytesUp, 0n);
      if (stored >= all) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(stored).toBe(all);
    await collector.waitCaughtUp();

    const sort = (m: Map<string, { bytesDown: bigint; bytesUp: bigint }>) => [...m].sort(([a], [b]) => a.localeCompare(b));
    expect(sort(await usageJson(['--config', collector.configFile, '--store', 'embedded', ...window]))).toEqual(sort(want));
    expect(sort(await usageJson(['--config', collector.configFile, '--store', 'influx', ...window]))).toEqual(sort(want));

    // The zero-rated class (flows to or from 198.51.100.0/24) is visible per subscriber in the store and in metrics.
    const byClass = await runCli(['usage', '--config', collector.configFile, ...window, '--by', 'class', '--format', 'json']);
    const rows = JSON.parse(byClass.stdout) as { subscriber: string; class: string; bytesDown: number; bytesUp: number }[];
    const zeroRated = rows.filter((r) => r.class === 'zero-rated' && r.subscriber !== '(unattributed)').reduce((n, r) => n + r.bytesDown + r.bytesUp, 0);
    expect(zeroRated).toBeGreaterThan(0);
    expect(rows.filter((r) => r.class === '').length).toBeGreaterThan(0);

    const m = await collector.metrics();
    const orphanBytes = truth[orphan]!.in + truth[orphan]!.out;
    expect(metricSum(m, 'wispmeter_netflow_decode_errors_total')).toBe(0);
    expect(metricSum(m, 'wispmeter_netflow_octets_total', { attribution: 'subscriber' })).toBe(Number(all) - orphanBytes);
    expect(metricSum(m, 'wispmeter_netflow_octets_total', { attribution: 'unattributed' })).toBe(orphanBytes);
    expect(metricSum(m, 'wispmeter_netflow_octets_total', { attribution: 'subscriber', class: 'zero-rated' })).toBe(zeroRated);
    await collector.proc.stop();
    expect(collector.proc.exit()?.code).toBe(0);
  });
});
