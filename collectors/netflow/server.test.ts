// The collector over loopback: softflowd datagrams in, spool records out; restart between template and data.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySpool } from '../pipeline/memory-spool.js';
import { netflowSchema } from './config.js';
import type { Lease } from '../pipeline/lease.js';
import { IPFIX_DATA, IPFIX_TEMPLATE, ipfixHeader, hex, T, V9 } from './testdata/packets.js';
import { NetflowCollector } from './server.js';
import { UNATTRIBUTED } from './usage-aggregator.js';

const dir = new URL('./testdata/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, { in: number; out: number }>;
const started: NetflowCollector[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

async function start(spool: MemorySpool, over: Record<string, unknown> = {}) {
  const registry = new Registry();
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
  const config = netflowSchema.parse({ listen: ['127.0.0.1:0'], receiveBuffer: '1MiB', static: Object.keys(truth).map((a) => ({ prefix: a, subscriber: `sub-${a}` })), ...over });
  const collector = new NetflowCollector({ config, spool, logger, registry, flushIntervalMs: 60_000 });
  await collector.start();
  started.push(collector);
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return m?.values.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((s, v) => s + v.value, 0) ?? 0;
  };
  return { collector, registry, logs, metric, port: collector.addresses()[0]!.port };
}

async function send(port: number, packets: Buffer[]): Promise<void> {
  const s = createSocket('udp4');
  for (const p of packets) {
    await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 100));
  s.close();
}

const datagrams = (v: number) => readFileSync(new URL(`softflowd-v${v}.hex`, dir), 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from(l, 'hex'));

describe('NetflowCollector', () => {
  it.each([[5, true], [9, true], [10, true], [5, false], [9, false], [10, false]])('softflowd -v %i over UDP (receive thread: %s): spooled per-subscriber totals equal mkpcap truth', async (v, receiveThread) => {
    const spool = new MemorySpool();
    const h = await start(spool, { receiveThread });
    await send(h.port, datagrams(v));
    expect(await h.metric('wispmeter_netflow_socket_drops')).toBe(0);
    await h.collector.stop();
    const want = new Map(Object.entries(truth).map(([a, t]) => [`sub-${a}`, { bytesDown: BigInt(t.in), bytesUp: BigInt(t.out) }]));
    expect(spool.totals()).toEqual(want);
    expect(await h.metric('wispmeter_netflow_packets_total')).toBe(datagrams(v).length);
    expect(await h.metric('wispmeter_netflow_decode_errors_total')).toBe(0);
  });

  it('decodes data after a restart from templates persisted in the spool state', async () => {
    const spool = new MemorySpool();
    const a = await start(spool);
    await send(a.port, [Buffer.concat([hex(ipfixHeader(16 + IPFIX_TEMPLATE.length)), IPFIX_TEMPLATE])]);
    await a.collector.stop();
    expect(spool.state('netflow').get('templates')).toBeDefined();
    const b = await start(spool);
    await send(b.port, [Buffer.concat([hex(ipfixHeader(16 + IPFIX_DATA.length)), IPFIX_DATA])]);
    await b.collector.stop();
    // 2001:db8:: addresses are in no static entry: both flows are kept as unattributed usage, and counted.
    expect(spool.totals().get(UNATTRIBUTED)).toEqual({ bytesDown: 11_000n, bytesUp: 0n });
    expect(await b.metric('wispmeter_netflow_octets_total', { attribution: 'unattributed' })).toBe(11_000);
  });

  it('drops and counts datagrams from exporters not in the config', async () => {
    const spool = new MemorySpool();
    const h = await start(spool, { exporters: [{ name: 'ccr', address: '10.9.9.9' }] });
    await send(h.port, datagrams(5).slice(0, 3));
    expect(await h.metric('wispmeter_netflow_dropped_total', { reason: 'unknown_exporter' })).toBe(3);
  });
});

describe('NetflowCollector and changing leases', () => {
  it('attributes by the leases of the moment: a change rebuilds the subscriber map and its memo', async () => {
    // V9's flow: 100.64.0.2 → 198.51.100.1, 1500 octets, ending at T (the subscriber's up).
    let leases: Lease[] = [{ subscriber: 'alice', prefix: '100.64.0.2', kind: 'framed-ip', device: 'nas', session: 'a', from: 0 }];
    let version = 1;
    const spool = new MemorySpool();
    const collector = new NetflowCollector({
      config: netflowSchema.parse({ listen: ['127.0.0.1:0'] }), spool, logger: pino({ level: 'silent' }), registry: new Registry(),
      leases: () => leases, leaseVersion: () => version, flushIntervalMs: 60_000,
    });
    await collector.start();
    started.push(collector);
    const from = { address: '127.0.0.1', port: 9995 };
    collector.receive(V9, from);
    collector.receive(V9, from);
    // RADIUS learns late that alice's session ended before the flow and bob got the address: the same flow again
    // must go to bob, not to alice's memoized answer.
    leases = [{ ...leases[0]!, to: T - 3000 }, { subscriber: 'bob', prefix: '100.64.0.2', kind: 'framed-ip', device: 'nas', session: 'b', from: T - 3000 }];
    version++;
    collector.receive(V9, from);
    await collector.stop();
    expect(spool.totals()).toEqual(new Map([['alice', { bytesDown: 0n, bytesUp: 3000n }], ['bob', { bytesDown: 0n, bytesUp: 1500n }]]));
  });
});

describe('NetflowCollector with its receive thread', () => {
  it.each([
    ['a kernel buffer that holds the rest: nothing is lost', '8MiB', 3000],
    ['a kernel buffer that overflows: received + socket drops = sent', '1MiB', 8000],
  ])('when the decoder is blocked, the receive thread waits for room (counted) with %s', async (_name, receiveBuffer, count) => {
    const { execFileSync } = await import('node:child_process');
    const h = await start(new MemorySpool(), { receiveQueue: '1MiB', receiveBuffer });
    // The sender runs while this thread is blocked in execFileSync: the receive thread fills the 1 MiB ring
    // (~1,000 datagrams of 1,000 bytes), then waits; the socket buffer takes what comes, and the kernel counts
    // what it cannot take.
    const sender = `const s = require('node:dgram').createSocket('udp4'); let n = 0;
      const next = () => { if (n === ${count}) return s.close(); n++; s.send(Buffer.alloc(1000, 0), ${h.port}, '127.0.0.1', next); }; next();`;
    execFileSync(process.execPath, ['-e', sender]);
    const deadline = Date.now() + 5000;
    const settled = async () => (await h.metric('wispmeter_netflow_packets_total')) + (await h.metric('wispmeter_netflow_socket_drops'));
    while ((await settled()) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const received = await h.metric('wispmeter_netflow_packets_total');
    const socketDrops = await h.metric('wispmeter_netflow_socket_drops');
    expect(await h.metric('wispmeter_netflow_receive_queue_waits_total')).toBeGreaterThan(0);
    expect(await h.metric('wispmeter_netflow_dropped_total', { reason: 'receive_queue_full' })).toBe(0);
    expect(received + socketDrops).toBe(count);
    if (receiveBuffer === '8MiB') expect(socketDrops).toBe(0);
    else expect(socketDrops).toBeGreaterThan(0);
    await h.collector.stop();
  });
});

describe('NetflowCollector and a refusing spool', () => {
  it('keeps records for the next tick while the spool is full, and counts the refusal', async () => {
    const { SpoolFullError } = await import('../pipeline/spool-types.js');
    const spool = new MemorySpool();
    const h = await start(spool);
    await send(h.port, datagrams(9));
    spool.failWith = new SpoolFullError(10, 10);
    await h.collector.flush(false);
    await h.collector.flush(false);
    expect(await h.metric('wispmeter_netflow_dropped_total', { reason: 'spool_full' })).toBeGreaterThanOrEqual(1);
    spool.failWith = undefined;
    await h.collector.stop();
    const want = new Map(Object.entries(truth).map(([a, t]) => [`sub-${a}`, { bytesDown: BigInt(t.in), bytesUp: BigInt(t.out) }]));
    expect(spool.totals()).toEqual(want);
    expect(await h.metric('wispmeter_netflow_dropped_records_total')).toBe(0);
  });
});

describe('NetflowCollector over IPv6', () => {
  it('takes IPFIX from ::1 and keys its templates by that address', async () => {
    const spool = new MemorySpool();
    const h = await start(spool, { listen: ['[::1]:0'], static: [{ prefix: '2001:db8:1::/48', subscriber: 'carol' }] });
    const s = createSocket('udp6');
    for (const p of [Buffer.concat([hex(ipfixHeader(16 + IPFIX_TEMPLATE.length + IPFIX_DATA.length)), IPFIX_TEMPLATE, IPFIX_DATA])]) {
      await new Promise<void>((r, j) => s.send(p, h.port, '::1', (e) => (e ? j(e) : r())));
    }
    await new Promise((r) => setTimeout(r, 100));
    s.close();
    await h.collector.stop();
    // Record 1: 2001:db8::1 → 2001:db8:1::2 (carol's down, 10000); record 2 the other way (carol's up, 1000).
    expect(spool.totals().get('carol')).toEqual({ bytesDown: 10_000n, bytesUp: 1000n });
    expect(await h.metric('wispmeter_netflow_packets_total', { exporter: '::1', version: '10' })).toBe(1);
  });
});
