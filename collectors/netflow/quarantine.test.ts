// Implausible flows (2^63 octets, above the line rate) beside valid ones over UDP: quarantined alone, the rest exact.
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySpool } from '../pipeline/memory-spool.js';
import { netflowSchema } from './config.js';
import type { QuarantinedFlow } from './quarantine.js';
import { NetflowCollector } from './server.js';

/** 2020-09-13T12:26:40Z: the export time and every flow's end. */
const T = 1_600_000_000_000;
const u32 = (n: number) => n.toString(16).padStart(8, '0');
const u64 = (n: bigint) => n.toString(16).padStart(16, '0');
const v4 = (a: string) => a.split('.').map((p) => Number(p).toString(16).padStart(2, '0')).join('');

/** IPFIX template 300: sourceIPv4Address, destinationIPv4Address, octetDeltaCount (8), flowStart/EndMilliseconds. */
const TEMPLATE = '0002 001c' + '012c 0005' + '0008 0004 000c 0004' + '0001 0008' + '0098 0008 0099 0008';

interface Flow { src: string; dst: string; octets: bigint; durationMs: number }
function datagram(flows: Flow[]): Buffer {
  // Each record: 4 + 4 + 8 + 8 + 8 = 32 octets.
  const records = flows.map((f) => v4(f.src) + v4(f.dst) + u64(f.octets) + u64(BigInt(T - f.durationMs)) + u64(BigInt(T))).join('');
  const data = '012c' + (4 + flows.length * 32).toString(16).padStart(4, '0') + records;
  const body = TEMPLATE.replace(/\s+/g, '') + data;
  const header = '000a' + (16 + body.length / 2).toString(16).padStart(4, '0') + u32(T / 1000) + u32(0) + u32(1);
  return Buffer.from(header + body, 'hex');
}

const started: NetflowCollector[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function collect(flows: Flow[], quarantine: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'wispmeter-quarantine-'));
  dirs.push(dir);
  const registry = new Registry();
  const spool = new MemorySpool();
  const config = netflowSchema.parse({
    listen: ['127.0.0.1:0'], receiveBuffer: '1MiB', quarantine,
    exporters: [{ name: 'ccr', address: '127.0.0.1' }],
    static: [{ prefix: '100.64.0.1', subscriber: 'alice' }, { prefix: '100.64.0.2', subscriber: 'bob' }, { prefix: '100.64.0.3', subscriber: 'carol' }],
  });
  const collector = new NetflowCollector({ config, spool, logger: pino({ level: 'silent' }), registry, quarantineDir: join(dir, 'quarantine'), flushIntervalMs: 60_000 });
  await collector.start();
  started.push(collector);
  const s = createSocket('udp4');
  await new Promise<void>((r, j) => s.send(datagram(flows), collector.addresses()[0]!.port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
  // Bounded wait for the datagram to be decoded (the receive thread hands it over asynchronously).
  for (let i = 0; i < 100 && (await metric(registry, 'wispmeter_netflow_flows_total')) === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await collector.stop();
  let lines: QuarantinedFlow[] = [];
  try {
    lines = (await readFile(join(dir, 'quarantine', 'netflow.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as QuarantinedFlow);
  } catch {
    // no file: nothing was quarantined
  }
  return { spool, registry, lines };
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((s, v) => s + v.value, 0) ?? 0;
}

const ALICE = { src: '198.51.100.1', dst: '100.64.0.1', octets: 1000n, durationMs: 5000 };
const BOB_UP = { src: '100.64.0.2', dst: '198.51.100.1', octets: 1234n, durationMs: 5000 };
const CAROL = { src: '198.51.100.9', dst: '100.64.0.3', octets: 500n, durationMs: 5000 };

describe('netflow quarantine', () => {
  it('a record of 2^63 octets beside valid ones is quarantined alone; every other subscriber exact to the byte', async () => {
    const flipped = { src: '198.51.100.7', dst: '100.64.0.2', octets: 2n ** 63n + 1500n, durationMs: 5000 };
    const { spool, registry, lines } = await collect([ALICE, flipped, BOB_UP, CAROL]);
    expect(spool.totals()).toEqual(new Map([
      ['alice', { bytesDown: 1000n, bytesUp: 0n }],
      ['bob', { bytesDown: 0n, bytesUp: 1234n }],
      ['carol', { bytesDown: 500n, bytesUp: 0n }],
    ]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'octets_int64', exporter: 'ccr', src: '198.51.100.7', dst: '100.64.0.2', octets: (2n ** 63n + 1500n).toString(), version: 10, end: new Date(T).toISOString() });
    expect(await metric(registry, 'wispmeter_netflow_quarantined_flows_total', { exporter: 'ccr', reason: 'octets_int64' })).toBe(1);
    expect(await metric(registry, 'wispmeter_netflow_quarantined_flows_total', { reason: 'above_line_rate' })).toBe(0);
    expect(await metric(registry, 'wispmeter_netflow_decode_errors_total')).toBe(0);
  });

  it('2^63 − 1 octets is legal (int64 holds it) and is billed, as is a sum of two flows above 2^53', async () => {
    const big = { src: '198.51.100.7', dst: '100.64.0.2', octets: 2n ** 63n - 1n, durationMs: 5000 };
    const { spool, lines } = await collect([big, ALICE, { ...ALICE, octets: 2n ** 53n + 1n }]);
    expect(spool.totals().get('bob')).toEqual({ bytesDown: 2n ** 63n - 1n, bytesUp: 0n });
    expect(spool.totals().get('alice')).toEqual({ bytesDown: 2n ** 53n + 1001n, bytesUp: 0n });
    expect(lines).toEqual([]);
  });

  it('above maxLineRate × duration (with minDuration as the floor) is quarantined; at the ceiling it is billed', async () => {
    // 1 Gb/s = 125,000,000 octets/s. minDuration 1 s: a 0 ms flow may carry 125 MB, a 5 s flow 625 MB.
    const atCeiling = { src: '198.51.100.9', dst: '100.64.0.3', octets: 625_000_000n, durationMs: 5000 };
    const tooMuch = { src: '198.51.100.8', dst: '100.64.0.1', octets: 125_000_001n, durationMs: 0 };
    const { spool, registry, lines } = await collect([ALICE, atCeiling, tooMuch, BOB_UP], { maxLineRate: 1e9, minDuration: '1s' });
    expect(spool.totals()).toEqual(new Map([
      ['alice', { bytesDown: 1000n, bytesUp: 0n }],
      ['bob', { bytesDown: 0n, bytesUp: 1234n }],
      ['carol', { bytesDown: 625_000_000n, bytesUp: 0n }],
    ]));
    expect(lines.map((l) => [l.reason, l.dst, l.octets, l.ceiling])).toEqual([['above_line_rate', '100.64.0.1', '125000001', '125000000']]);
    expect(await metric(registry, 'wispmeter_netflow_quarantined_flows_total', { exporter: 'ccr', reason: 'above_line_rate' })).toBe(1);
    expect(await metric(registry, 'wispmeter_netflow_quarantined_octets_total', { exporter: 'ccr' })).toBe(125_000_001);
  });
});
