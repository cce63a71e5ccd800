// End to end: real radclient → `wispmeter collect` → spool → real influxd and the embedded store, totals exact.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDictionary } from '../collectors/radius/dictionary.js';
import { buildAccountingRequest, encodeAttribute, type AttributeInput } from '../collectors/radius/encode.js';
import { accountingLoad, expectedTotals, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { metricSum, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';
import { runCli, usageJson } from './wispmeter/cli-run.js';

const SECRET = 'testing123';
const DAY = ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z'];

describe('RADIUS accounting end to end (radclient, influxd)', () => {
  let dir: string;
  let influx: InfluxdServer;
  let collector: CollectorProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-e2e-'));
    influx = await startInfluxd();
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
    - { name: tower-v6, address: "::1/128", secret: ${SECRET}-v6 }
  identity: { attribute: User-Name, stripRealm: true, lowercase: true }
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database}, batchSize: 500 }
`,
    });
  });

  afterAll(async () => {
    await collector?.proc.stop();
    await influx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts 60 sessions with interims, gigawords, retries, a retransmit and Accounting-On exactly once in both stores', async () => {
    const load = accountingLoad({ sessions: 60, interims: 5, seed: 4242, subscribers: 24 });
    // A NAS that got no answer re-sends with a new Identifier and a bumped Acct-Delay-Time: same counters.
    const retries = load.sessions.filter((_, i) => i % 17 === 5).map((p) => [...p, { name: 'Acct-Delay-Time', value: 5 }]);
    const sessions = [...load.sessions, ...retries];
    const expected = expectedTotals(sessions);
    expect([...expected.values()].some((t) => t.bytesDown >= 2n ** 32n)).toBe(true); // one crosses 4 GiB (gigawords)

    const on = await runRadclient({ file: writeRadclientFile(join(dir, 'on.txt'), load.on), port: collector.radiusPort, secret: SECRET });
    expect(on.acked.size).toBe(1);
    const run = await runRadclient({ file: writeRadclientFile(join(dir, 'sessions.txt'), sessions), port: collector.radiusPort, secret: SECRET, parallel: 32 });
    expect(run.code, run.output).toBe(0);
    expect(run.acked.size).toBe(sessions.length);

    // A true retransmission (RFC 5080 §2.2.2: same source, Identifier and authenticator) is answered from the
    // cache and counted once. It carries usage of its own, so counting it twice would show. (A copy that arrives
    // while the first is still being made durable is discarded, as §2.2.2 says; these come after each answer.)
    const zed: AttributeInput[] = [
      { name: 'Acct-Status-Type', value: 'Interim-Update' }, { name: 'User-Name', value: 'Zed@wisp.example' },
      { name: 'Acct-Session-Id', value: 'retransmit-1' }, { name: 'NAS-IP-Address', value: '192.0.2.1' },
      { name: 'Event-Timestamp', value: 1_767_230_000 }, { name: 'Acct-Input-Octets', value: 1234 },
      { name: 'Acct-Output-Octets', value: 56789 }, { name: 'Acct-Output-Gigawords', value: 1 },
    ];
    const replies = await sendSameBytes(collector.radiusPort, buildAccountingRequest(77, zed.map((a) => encodeAttribute(a, defaultDictionary())), SECRET), 3);
    expect(replies).toHaveLength(3);
    expect(new Set(replies.map((r) => r.toString('hex'))).size).toBe(1);
    expected.set('zed', { bytesDown: 2n ** 32n + 56789n, bytesUp: 1234n });

    // Accounting-On after the sessions closed: it must not invent usage.
    const on2 = await runRadclient({ file: writeRadclientFile(join(dir, 'on2.txt'), load.on), port: collector.radiusPort, secret: SECRET });
    expect(on2.acked.size).toBe(1);

    await collector.waitCaughtUp();
    const m = await collector.metrics();
    expect(metricSum(m, 'wispmeter_radius_duplicates_total')).toBeGreaterThanOrEqual(2);

    const embedded = await usageJson(['--config', collector.configFile, '--store', 'embedded', ...DAY]);
    const influxTotals = await usageJson(['--config', collector.configFile, '--store', 'influx', ...DAY]);
    expect(sorted(embedded)).toEqual(sorted(expected));
    expect(sorted(influxTotals)).toEqual(sorted(expected));
    expect(expected.size).toBe(25);
  });

  it('drops wrong secrets, unknown NAS, truncated packets and bad attribute lengths, counts them and keeps serving', async () => {
    const dict = defaultDictionary();
    const good = (id: number) => buildAccountingRequest(id, [
      { name: 'Acct-Status-Type', value: 'Start' }, { name: 'User-Name', value: 'probe' }, { name: 'Acct-Session-Id', value: `p${id}` },
    ].map((a) => encodeAttribute(a, dict)), SECRET);
    const before = await collector.metrics();
    const reason = (m: Map<string, number>, r: string) => metricSum(m, 'wispmeter_radius_dropped_total', { reason: r });

    const wrongSecret = buildAccountingRequest(1, [encodeAttribute({ name: 'User-Name', value: 'x' }, dict)], 'not-the-secret');
    const truncated = good(2).subarray(0, 15);
    const shorterThanLength = good(3).subarray(0, good(3).length - 4);
    const badAttr = Buffer.from(good(4));
    badAttr[20 + 1] = 1; // first attribute's length 1: less than its own header
    const overflowAttr = Buffer.from(good(5));
    overflowAttr[20 + 1] = 250; // runs past the end of the packet
    for (const p of [wrongSecret, truncated, shorterThanLength, badAttr, overflowAttr]) expect(await sendSameBytes(collector.radiusPort, p, 1, 300)).toHaveLength(0);
    expect(await sendSameBytes(collector.radiusPort, good(6), 1, 300, '127.0.0.2')).toHaveLength(0); // not a configured client

    const after = await collector.metrics();
    expect(reason(after, 'bad_authenticator') - reason(before, 'bad_authenticator')).toBe(1);
    expect(reason(after, 'unknown_client') - reason(before, 'unknown_client')).toBe(1);
    const malformed = ['too_short', 'bad_length', 'bad_attribute'].reduce((n, r) => n + reason(after, r) - reason(before, r), 0);
    expect(malformed).toBe(4);
    // Still alive and answering.
    expect(await sendSameBytes(collector.radiusPort, good(7), 1)).toHaveLength(1);
    expect(collector.proc.exit()).toBeUndefined();
  });

  it('takes accounting over IPv6 from a NAS with its own secret', async () => {
    const session = (status: string, down: number, up: number): AttributeInput[] => [
      { name: 'Acct-Status-Type', value: status }, { name: 'User-Name', value: 'v6user@wisp.example' },
      { name: 'Acct-Session-Id', value: 'v6-1' }, { name: 'Event-Timestamp', value: 1_767_240_000 + down },
      { name: 'Acct-Output-Octets', value: down }, { name: 'Acct-Input-Octets', value: up },
    ];
    const file = writeRadclientFile(join(dir, 'v6.txt'), [session('Start', 0, 0), session('Interim-Update', 1000, 10), session('Stop', 5000, 70)]);
    const run = await runRadclient({ file, host: '[::1]', port: collector.radiusPort, secret: `${SECRET}-v6`, parallel: 1 });
    expect(run.code, run.output).toBe(0);
    expect(run.acked.size).toBe(3);
    // The IPv4 secret is not this NAS's: dropped.
    const wrong = await runRadclient({ file, host: '[::1]', port: collector.radiusPort, secret: SECRET, parallel: 1, retries: 1, timeoutS: 0.3 });
    expect(wrong.acked.size).toBe(0);
    await collector.waitCaughtUp();
    const got = await usageJson(['--config', collector.configFile, '--subscriber', 'v6user', ...DAY]);
    expect(got.get('v6user')).toEqual({ bytesDown: 5000n, bytesUp: 70n });
  });

  it('SIGTERM stops accepting, flushes and exits 0', async () => {
    await collector.proc.stop(15_000);
    expect(collector.proc.exit()).toEqual({ code: 0, signal: null });
    // What it flushed is readable afterwards without a daemon.
    const r = await runCli(['usage', '--config', collector.configFile, '--subscriber', 'zed', ...DAY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^zed\s+4295024085\s+1234\s/m);
  });
});

function sorted(m: Map<string, { bytesDown: bigint; bytesUp: bigint }>): [string, { bytesDown: bigint; bytesUp: bigint }][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

/** Sends the same datagram `copies` times from one socket, each after the previous one's reply (or waitMs). */
async function sendSameBytes(port: number, packet: Buffer, copies: number, waitMs = 1500, from = '127.0.0.1'): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (m) => replies.push(m));
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  for (let i = 0; i < copies; i++) {
    socket.send(packet, port, '127.0.0.1');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && replies.length <= i) await new Promise((r) => setTimeout(r, 10));
  }
  socket.close();
  return replies;
}
