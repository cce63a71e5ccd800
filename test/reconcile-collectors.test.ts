// `wispmeter reconcile` over what a real `wispmeter collect` gathered from radclient and softflowd: it finds an
// accounting leak, a session never stopped and an unattributed range (with its addresses, to the byte), and
// nothing on the same traffic when every session stops and every address is configured.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeInput } from '../collectors/radius/encode.js';
import { makeCapture, replayWithSoftflowd, type Truth } from './flows/softflowd.js';
import { writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { freePort } from './servers/free-port.js';
import { runCli } from './wispmeter/cli-run.js';
import { ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const SECRET = 'reconcile-secret';
const MIN = 60_000;

const customer = (id: string, subscribers: string) =>
  `  - { id: ${id}, legalName: ${id}, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [${subscribers}] }, subscriptions: [{ id: S${id}, plan: metered, start: 2025-11-01 }] }\n`;

describe('wispmeter reconcile over real collectors (radclient, softflowd)', () => {
  let base: string;
  let capture: string;
  let truth: Truth;
  let addresses: string[];
  /** Everything happens in [anchor − 1 h, anchor], inside one UTC month, at most minutes ago (softflowd's times must be recent). */
  let anchor: number;
  let period: string;
  const running: CollectorProcess[] = [];

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'wispmeter-reconcile-collectors-'));
    anchor = Date.now() - 5 * MIN;
    const monthStart = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), 1);
    if (monthStart(anchor - 60 * MIN) !== monthStart(anchor)) anchor = monthStart(anchor) - MIN;
    period = new Date(anchor).toISOString().slice(0, 7);
    capture = join(base, 'capture.pcap');
    truth = await makeCapture(capture, { subs: 8, packets: 4000, seed: 88, start: Math.floor(anchor / 1000) - 12 * 60, span: 600 });
    addresses = Object.keys(truth).sort();
    expect(addresses).toHaveLength(8);
  }, 60_000);

  afterAll(async () => {
    for (const c of running) await c.proc.stop();
    rmSync(base, { recursive: true, force: true });
  });

  /**
   * a1..d1 are customers whose address is a static NetFlow entry and (but d1) who also have a RADIUS session
   * carrying the same bytes; e1..e4 hold the other four addresses. Planted: a1's RADIUS counts half (a leak),
   * b1's session never gets its Stop, and e1..e4's addresses are configured nowhere (nor is their customer).
   */
  async function collect(name: string, planted: boolean): Promise<CollectorProcess> {
    const dir = join(base, name);
    mkdirSync(dir);
    const subscriber = ['a1', 'b1', 'c1', 'd1', 'e1', 'e2', 'e3', 'e4'];
    const configured = planted ? 4 : 8;
    writeFileSync(join(dir, 'customers.yaml'), `customers:\n${customer('A', 'a1')}${customer('B', 'b1')}${customer('C', 'c1')}${customer('D', 'd1')}${planted ? '' : customer('E', 'e1, e2, e3, e4')}`);
    const netflowPort = await freePort();
    const collector = await startCollector({
      dir,
      config: `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
catalog: { plans: ${JSON.stringify(join(ROOT, 'fixtures/demo/plans.yaml'))}, customers: ${JSON.stringify(join(dir, 'customers.yaml'))} }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: bng-1, address: 127.0.0.1/32, secret: ${SECRET} }]
netflow:
  listen: ["127.0.0.1:${netflowPort}"]
  exporters: [{ name: edge-1, address: 127.0.0.1 }]
  static:
${addresses.slice(0, configured).map((a, i) => `    - { prefix: ${a}/32, subscriber: ${subscriber[i]} }`).join('\n')}
`,
    });
    running.push(collector);

    // RADIUS: a1, b1 and c1 start 55 minutes before the anchor with an interim 5 minutes later; a1 and b1 stop
    // 10 minutes after that (b1 not when planted); c1 stays open and reports again a minute before the anchor.
    const s = (t: number) => Math.floor(t / 1000);
    const packet = (who: number, status: string, at: number, counted = true): AttributeInput[] => {
      const t = truth[addresses[who]!]!;
      const share = planted && who === 0 ? 2 : 1;
      return [
        { name: 'Acct-Status-Type', value: status }, { name: 'User-Name', value: subscriber[who]! }, { name: 'Acct-Session-Id', value: `sess-${subscriber[who]}` },
        { name: 'Event-Timestamp', value: s(at) },
        ...(counted ? [{ name: 'Acct-Output-Octets', value: Math.floor(t.in / share) }, { name: 'Acct-Input-Octets', value: Math.floor(t.out / share) }] : []),
      ];
    };
    const phases: AttributeInput[][][] = [
      [0, 1, 2].map((w) => packet(w, 'Start', anchor - 55 * MIN, false)),
      [0, 1, 2].map((w) => packet(w, 'Interim-Update', anchor - 50 * MIN)),
      (planted ? [0] : [0, 1]).map((w) => packet(w, 'Stop', anchor - 45 * MIN)),
      [packet(2, 'Interim-Update', anchor - MIN)],
    ];
    for (const [i, packets] of phases.entries()) {
      const rc = await runRadclient({ file: writeRadclientFile(join(dir, `radius-${i}.txt`), packets), port: collector.radiusPort, secret: SECRET, parallel: 1 });
      expect(rc.acked.size, rc.output).toBe(packets.length);
    }

    await replayWithSoftflowd(capture, `127.0.0.1:${netflowPort}`, 9);
    // Buckets are flushed on a 5 s timer, then the store catches up: wait until every byte is stored.
    const all = addresses.reduce((n, a) => n + truth[a]!.in + truth[a]!.out, 0);
    const window = ['--from', new Date(anchor - 2 * 60 * MIN).toISOString(), '--to', new Date(Date.now() + 60 * MIN).toISOString(), '--source', 'netflow', '--format', 'json'];
    let stored = 0;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && stored !== all; await new Promise((r) => setTimeout(r, 500))) {
      const r = await runCli(['usage', '--config', collector.configFile, ...window]);
      stored = (JSON.parse(r.stdout || '[]') as { bytesDown: number; bytesUp: number }[]).reduce((n, x) => n + x.bytesDown + x.bytesUp, 0);
    }
    expect(stored).toBe(all);
    await collector.waitCaughtUp();
    return collector;
  }

  async function report(config: string): Promise<Record<string, string>[]> {
    const r = await runCli(['reconcile', '--config', config, '--period', period, '--format', 'csv', '--stale-after', '30m']);
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\r\n').map(csvCells);
    return rows.map((row) => Object.fromEntries(head!.map((h, i) => [h, row[i] ?? ''])));
  }

  it('flags nothing when every session stops and every address is configured', async () => {
    const collector = await collect('clean', false);
    await collector.proc.stop();
    expect(collector.proc.exit()?.code).toBe(0);
    const rows = await report(collector.configFile);
    expect(rows.filter((r) => r.flagged === 'yes')).toEqual([]);
    expect(rows.map((r) => `${r.kind}:${r.subject}`)).toEqual(['sources:a1', 'sources:b1', 'sources:c1', 'sources:d1', 'sources:e1', 'sources:e2', 'sources:e3', 'sources:e4']);
    expect(rows.filter((r) => r.kind === 'sources' && r.radius).map((r) => r.detail)).toEqual(['deviation 0.00 %', 'deviation 0.00 %', 'deviation 0.00 %']);
  }, 180_000);

  it('finds the leak, the session never stopped and the unattributed range with its addresses', async () => {
    const collector = await collect('planted', true);
    // Beside the running collector: the session is in its state as soon as RADIUS was acknowledged.
    const live = await report(collector.configFile);
    expect(live.filter((r) => r.kind === 'unstopped_session').map((r) => `${r.customer} ${r.subject}`)).toEqual(['B bng-1 sess-b1']);
    // Its stop writes the last of the addresses it counted.
    await collector.proc.stop();
    expect(collector.proc.exit()?.code).toBe(0);

    const rows = await report(collector.configFile);
    expect(rows.filter((r) => r.flagged === 'yes').map((r) => `${r.kind} ${r.customer} ${r.subject}`).sort()).toEqual([
      'sources A a1',
      'unattributed  (unattributed)',
      'unstopped_session B bng-1 sess-b1',
    ]);
    const b1 = truth[addresses[1]!]!;
    const session = rows.find((r) => r.kind === 'unstopped_session')!;
    expect(session.bytes).toBe(String(b1.in + b1.out));
    expect(session.detail).toBe(`b1: started ${iso(anchor - 55 * MIN)}, last update ${iso(anchor - 50 * MIN)}, down ${b1.in}, up ${b1.out}; open, silent for more than 30 min`);

    // Every address of the range nobody configured is listed, to the byte; the rest are the far ends of its flows.
    const unattributed = addresses.slice(4);
    const total = unattributed.reduce((n, a) => n + truth[a]!.in + truth[a]!.out, 0);
    expect(rows.find((r) => r.kind === 'unattributed')!.bytes).toBe(String(total));
    const listed = rows.filter((r) => r.kind === 'unattributed_address');
    expect(listed.length).toBe(10);
    for (const a of unattributed) {
      const t = truth[a]!;
      const share = (Math.floor(((t.in + t.out) * 10_000) / total) / 100).toFixed(2);
      expect(listed.find((r) => r.subject === a)).toMatchObject({ bytes: String(t.in + t.out), flagged: '', detail: `down ${t.in}, up ${t.out}: ${share} % of unattributed bytes` });
    }
    expect(listed.every((r) => unattributed.includes(r.subject!) || /^(198\.51\.100|203\.0\.113)\./.test(r.subject!))).toBe(true);
  }, 180_000);
});

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** One RFC 4180 line (no line breaks inside fields in this report) → its cells. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  for (let i = 0; i <= line.length; ) {
    if (line[i] === '"') {
      let v = '';
      for (i++; i < line.length; i++) {
        if (line[i] === '"' && line[i + 1] === '"') (v += '"'), i++;
        else if (line[i] === '"') break;
        else v += line[i];
      }
      cells.push(v);
      i += 2;
    } else {
      const end = line.indexOf(',', i) === -1 ? line.length : line.indexOf(',', i);
      cells.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}
