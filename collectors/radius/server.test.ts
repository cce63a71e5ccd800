// Collector tests over loopback: our client and real radclient, drops, duplicates, spool failure, restart, IPv6.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { radiusSchema } from '../../config/schema.js';
import { SpoolFullError } from '../pipeline/spool-types.js';
import { generateSessions } from '../../scripts/gen-radius-fixtures.js';
import { sendAccounting } from './client.js';
import { defaultDictionary } from './dictionary.js';
import { buildAccountingRequest, encodeAttribute, type AttributeInput } from './encode.js';
import { MemorySpool } from '../pipeline/memory-spool.js';
import { RadiusCollector } from './server.js';

const SECRET = 'loopback-secret-42';
const run = promisify(execFile);

interface Harness {
  collector: RadiusCollector;
  spool: MemorySpool;
  registry: Registry;
  logs: string[];
  port: (family?: 'IPv4' | 'IPv6') => number;
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
}

const started: RadiusCollector[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

async function startCollector(over: Record<string, unknown> = {}, spool = new MemorySpool()): Promise<Harness> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
  const registry = new Registry();
  const config = radiusSchema.parse({
    listen: ['127.0.0.1:0', '[::1]:0'],
    clients: [{ name: 'nas-lo', address: '127.0.0.0/8', secret: SECRET }, { name: 'nas-v6', address: '::1', secret: SECRET }],
    identity: { stripRealm: true, lowercase: true },
    ...over,
  });
  const collector = new RadiusCollector({ config, spool, logger, registry });
  await collector.start();
  started.push(collector);
  return {
    collector, spool, registry, logs,
    port: (family = 'IPv4') => collector.addresses().find((a) => a.family === family)!.port,
    metric: async (name, labels = {}) => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
      const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
      return v?.value ?? 0;
    },
  };
}

const acct = (status: string, session: string, extra: AttributeInput[] = []): AttributeInput[] => [
  { name: 'Acct-Status-Type', value: status }, { name: 'User-Name', value: 'Alice@ISP' }, { name: 'Acct-Session-Id', value: session }, ...extra,
];
const counters = (up: number, down: number): AttributeInput[] => [{ name: 'Acct-Input-Octets', value: up }, { name: 'Acct-Output-Octets', value: down }];

/** Sends raw datagrams; resolves with whatever came back within `waitMs`. */
async function sendRaw(port: number, packets: Buffer[], waitMs = 150, host = '127.0.0.1'): Promise<Buffer[]> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, r));
  for (const p of packets) s.send(p, port, host);
  await new Promise((r) => setTimeout(r, waitMs));
  s.close();
  return got;
}

describe('RadiusCollector', () => {
  it('meters the generated sessions sent by our client exactly (≥ 50 sessions, gigawords)', async () => {
    const h = await startCollector();
    const g = generateSessions({ sessions: 60, interims: 3, seed: 7, startTime: 1_800_000_000 });
    // Sessions are independent; send each session's packets in order, sessions in parallel.
    const results = await sendAccounting(g.packets, { host: '127.0.0.1', port: h.port(), secret: SECRET, concurrency: 1 });
    expect(results.every((r) => r.status === 'ack')).toBe(true);
    const totals = Object.fromEntries([...h.spool.totals()].map(([k, v]) => [k, { bytesDown: v.bytesDown.toString(), bytesUp: v.bytesUp.toString() }]));
    const want = Object.fromEntries(Object.entries(g.expected.subscribers).map(([k, v]) => [k, { bytesDown: v.bytesDown, bytesUp: v.bytesUp }]));
    expect(totals).toEqual(want);
    expect(await h.metric('wispmeter_radius_requests_total', { nas: 'nas-lo', status: 'stop' })).toBe(60);
    expect(await h.metric('wispmeter_radius_open_sessions')).toBe(0);
    expect(h.collector.leases()).toHaveLength(60);
    // One spool entry per packet that changed something; every record carries its session state with it.
    for (const e of h.spool.entries) if (e.records.length) expect(e.state?.length).toBe(1);
  });

  it('answers real radclient, from stdin and from the committed fixture file', async () => {
    const h = await startCollector();
    const child = execFile('radclient', ['-x', '-r', '2', '-t', '2', `127.0.0.1:${h.port()}`, 'acct', SECRET]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += String(d); });
    child.stdin!.end('User-Name = "x@isp", Acct-Status-Type = Stop, Acct-Session-Id = "r1", Acct-Output-Octets = 42, Acct-Output-Gigawords = 1\n');
    await new Promise((r) => child.on('close', r));
    expect(out).toContain('Received Accounting-Response');
    expect(h.spool.totals().get('x')).toEqual({ bytesDown: 2n ** 32n + 42n, bytesUp: 0n });

    const { stdout } = await run('radclient', ['-f', 'fixtures/radius/demo.txt', '-r', '2', '-t', '2', `127.0.0.1:${h.port()}`, 'acct', SECRET]);
    expect(stdout.match(/Received Accounting-Response/g)).toHaveLength(31);
    const expected = JSON.parse((await import('node:fs')).readFileSync('fixtures/radius/demo.expected.json', 'utf8')) as { subscribers: Record<string, { bytesDown: string }> };
    for (const [who, t] of Object.entries(expected.subscribers)) expect(h.spool.totals().get(who)?.bytesDown.toString()).toBe(t.bytesDown);
  });

  it('signs the answer to a signed Accounting-Request, and real radclient verifies it', async () => {
    const h = await startCollector();
    const send = async (secret: string): Promise<{ out: string; code: number | null }> => {
      const child = execFile('radclient', ['-x', '-r', '1', '-t', '1', `127.0.0.1:${h.port()}`, 'acct', secret]);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += String(d); });
      child.stderr!.on('data', (d: Buffer) => { out += String(d); });
      child.stdin!.end('User-Name = "ma@isp", Acct-Status-Type = Start, Acct-Session-Id = "ma1", Message-Authenticator = 0x00\n');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      return { out, code };
    };
    const ok = await send(SECRET);
    expect(ok.code, ok.out).toBe(0);
    // The reply radclient printed carries our Message-Authenticator (radclient checks it before printing the reply).
    expect(ok.out).toMatch(/Received Accounting-Response[\s\S]*Message-Authenticator = 0x[0-9a-f]{32}/);
  });

  it('answers Status-Server (RFC 5997) from real radclient without touching sessions or the spool', async () => {
    const h = await startCollector();
    const status = async (input: string, secret = SECRET): Promise<{ out: string; code: number | null }> => {
      const child = execFile('radclient', ['-x', '-r', '1', '-t', '0.5', `127.0.0.1:${h.port()}`, 'status', secret]);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += String(d); });
      child.stderr!.on('data', (d: Buffer) => { out += String(d); });
      child.stdin!.end(input);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      return { out, code };
    };
    // radclient verifies both the Response Authenticator and our Message-Authenticator before printing this.
    const ok = await status('Message-Authenticator = 0x00\n');
    expect(ok.out).toContain('Received Accounting-Response');
    expect(ok.code).toBe(0);
    expect((await status('Message-Authenticator = 0x00, NAS-Identifier = "noc"\n')).out).toContain('Received Accounting-Response');
    expect(await h.metric('wispmeter_radius_status_server_total', { nas: 'nas-lo' })).toBe(2);

    const wrongSecret = await status('Message-Authenticator = 0x00\n', 'not-the-secret');
    expect(wrongSecret.out).not.toContain('Received');
    expect(wrongSecret.code).not.toBe(0);
    const noMa = await status('NAS-Identifier = "noc"\n'); // radclient 3.2.1 does not add one by itself
    expect(noMa.out).not.toContain('Received');
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'bad_message_authenticator' })).toBe(1);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'missing_attribute' })).toBe(1);

    expect(await h.metric('wispmeter_radius_status_server_total', { nas: 'nas-lo' })).toBe(2);
    expect(await h.metric('wispmeter_radius_requests_total')).toBe(0);
    expect(await h.metric('wispmeter_radius_responses_total')).toBe(0);
    expect(await h.metric('wispmeter_radius_duplicates_total')).toBe(0);
    expect(h.spool.entries).toEqual([]);
    expect(h.collector.leases()).toEqual([]);
  });

  it('answers a retransmitted Status-Server again with the same bytes, and drops one from an unknown client', async () => {
    const h = await startCollector({ clients: [{ name: 'nas-lo', address: '127.0.0.0/8', secret: SECRET }] });
    const probe = Buffer.from('0c0700260123456789abcdef0123456789abcdef5012' + '00'.repeat(16), 'hex');
    createHmac('md5', SECRET).update(probe).digest().copy(probe, 22);
    const replies = await sendRaw(h.port(), [probe, probe]);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toEqual(replies[1]);
    expect(replies[0]!.subarray(0, 4).toString('hex')).toBe('05070026');
    expect(await sendRaw(h.port('IPv6'), [probe], 150, '::1')).toEqual([]);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'unknown_client' })).toBe(1);
    expect(await h.metric('wispmeter_radius_status_server_total', { nas: 'nas-lo' })).toBe(2);
  });

  it('works over IPv6 ([::1])', async () => {
    const h = await startCollector();
    const r = await sendAccounting([acct('Stop', 'v6', counters(1, 2))], { host: '::1', port: h.port('IPv6'), secret: SECRET, timeoutMs: 500 });
    expect(r[0]?.status).toBe('ack');
    expect(h.spool.records()[0]).toMatchObject({ device: 'nas-v6', subscriber: 'alice' });
  });

  it('matches IPv4 senders on a dual-stack [::] socket (::ffff:127.0.0.1) to IPv4 clients', async () => {
    const h = await startCollector({ listen: ['[::]:0'] });
    const r = await sendAccounting([acct('Stop', 'mapped', counters(1, 2))], { host: '127.0.0.1', port: h.port('IPv6'), secret: SECRET, timeoutMs: 500 });
    expect(r[0]?.status).toBe('ack');
    expect(h.spool.records()[0]?.device).toBe('nas-lo');
  });

  it('drops, without a reply, what is unknown, forged or malformed, counting each reason and logging it rate-limited', async () => {
    const h = await startCollector({ clients: [{ name: 'nas-lo', address: '127.0.0.0/8', secret: SECRET }, { name: 'elsewhere', address: '10.0.0.0/8', secret: 'x' }] });
    const wrong = await sendAccounting([acct('Start', 'w1'), acct('Start', 'w2')], { host: '127.0.0.1', port: h.port(), secret: 'not-the-secret', timeoutMs: 100, retries: 0 });
    expect(wrong.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    const unknown = await sendAccounting([acct('Start', 'u1')], { host: '::1', port: h.port('IPv6'), secret: SECRET, timeoutMs: 100, retries: 0 });
    expect(unknown[0]?.status).toBe('timeout');

    const dict = defaultDictionary();
    const good = buildAccountingRequest(9, acct('Start', 'g1').map((a) => encodeAttribute(a, dict)), SECRET);
    const badLength = Buffer.concat([good, Buffer.from('0100', 'hex')]); // attribute length 0
    badLength.writeUInt16BE(badLength.length, 2);
    const accessRequest = Buffer.from(good);
    accessRequest[0] = 1;
    const replies = await sendRaw(h.port(), [good.subarray(0, 30), good.subarray(0, 10), badLength, accessRequest]);
    expect(replies).toEqual([]);

    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'bad_authenticator' })).toBe(2);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'unknown_client' })).toBe(1);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'too_short' })).toBe(2);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'bad_attribute' })).toBe(1);
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'bad_code' })).toBe(1);
    const dropLines = h.logs.filter((l) => l.includes('radius packet dropped'));
    expect(dropLines.filter((l) => l.includes('"reason":"bad_authenticator"'))).toHaveLength(1); // second one suppressed
    expect(dropLines.filter((l) => l.includes('"reason":"too_short"'))).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain(SECRET);
    expect(h.spool.entries).toEqual([]);
  });

  it('never crashes on random datagrams and still answers afterwards', async () => {
    const h = await startCollector();
    let seed = 99;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    const junk = Array.from({ length: 300 }, () => {
      const b = Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256)));
      if (b.length >= 4) { b[0] = 4; b.writeUInt16BE(b.length, 2); }
      return b;
    });
    await sendRaw(h.port(), junk, 100);
    const r = await sendAccounting([acct('Start', 'after-fuzz')], { host: '127.0.0.1', port: h.port(), secret: SECRET, timeoutMs: 500 });
    expect(r[0]?.status).toBe('ack');
  });

  it('answers a retransmit from cache, and ignores one that arrives while the first copy awaits the fsync', async () => {
    const h = await startCollector();
    const dict = defaultDictionary();
    const pkt = buildAccountingRequest(42, acct('Interim-Update', 'd1', counters(10, 20)).map((a) => encodeAttribute(a, dict)), SECRET);
    h.spool.hold();
    const s = createSocket('udp4');
    const replies: Buffer[] = [];
    s.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => s.bind(0, r));
    const send = (): void => s.send(pkt, h.port(), '127.0.0.1');
    send();
    await new Promise((r) => setTimeout(r, 50));
    send(); // in flight: ignored
    await new Promise((r) => setTimeout(r, 50));
    expect(replies).toHaveLength(0);
    h.spool.release();
    await new Promise((r) => setTimeout(r, 50));
    send(); // answered: from cache
    await new Promise((r) => setTimeout(r, 50));
    s.close();
    expect(replies).toHaveLength(2);
    expect(replies[0]).toEqual(replies[1]);
    expect(h.spool.entries).toHaveLength(1);
    expect(await h.metric('wispmeter_radius_duplicates_total', { outcome: 'in_flight' })).toBe(1);
    expect(await h.metric('wispmeter_radius_duplicates_total', { outcome: 'cached' })).toBe(1);
  });

  it('acknowledges a NAS retry with a new ID and bumped Acct-Delay-Time, counting it once', async () => {
    const h = await startCollector();
    const first = acct('Interim-Update', 'n1', counters(100, 200));
    const retry = [...first, { name: 'Acct-Delay-Time', value: 3 }];
    const r = await sendAccounting([first, retry], { host: '127.0.0.1', port: h.port(), secret: SECRET, concurrency: 1 });
    expect(r.map((x) => x.status)).toEqual(['ack', 'ack']);
    expect(r[0]?.identifier).not.toBe(r[1]?.identifier);
    expect(h.spool.records()).toHaveLength(1);
  });

  it('does not acknowledge when the spool rejects, and counts the retry as the first copy', async () => {
    const h = await startCollector();
    h.spool.failWith = new SpoolFullError(10, 5);
    const pkt = [acct('Stop', 'f1', counters(5, 6))];
    const r1 = await sendAccounting(pkt, { host: '127.0.0.1', port: h.port(), secret: SECRET, timeoutMs: 100, retries: 1 });
    expect(r1[0]?.status).toBe('timeout');
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'spool_full' })).toBe(2);
    h.spool.failWith = new Error('EIO');
    await sendAccounting(pkt, { host: '127.0.0.1', port: h.port(), secret: SECRET, timeoutMs: 100, retries: 0 });
    expect(await h.metric('wispmeter_radius_dropped_total', { reason: 'spool_error' })).toBe(1);
    h.spool.failWith = undefined;
    const r2 = await sendAccounting(pkt, { host: '127.0.0.1', port: h.port(), secret: SECRET, timeoutMs: 500 });
    expect(r2[0]?.status).toBe('ack');
    expect(h.spool.totals().get('alice')).toEqual({ bytesDown: 6n, bytesUp: 5n });
  });

  it('rebuilds sessions from the spool state after a restart', async () => {
    const spool = new MemorySpool();
    const a = await startCollector({}, spool);
    await sendAccounting([acct('Start', 'rs', [{ name: 'Framed-IP-Address', value: '100.64.0.7' }]), acct('Interim-Update', 'rs', counters(100, 1000))], { host: '127.0.0.1', port: a.port(), secret: SECRET, concurrency: 1 });
    await a.collector.stop();
    const b = await startCollector({}, spool);
    expect(b.collector.leases().map((l) => l.prefix)).toEqual(['100.64.0.7']);
    await sendAccounting([acct('Stop', 'rs', counters(150, 1500))], { host: '127.0.0.1', port: b.port(), secret: SECRET });
    expect(spool.records().map((r) => [r.bytesUp, r.bytesDown])).toEqual([[100n, 1000n], [50n, 500n]]);
    expect(await b.metric('wispmeter_radius_open_sessions')).toBe(0);
  });

  it('stop() waits for in-flight appends, whose responses still go out, and runs once', async () => {
    const h = await startCollector();
    h.spool.hold();
    const pending = sendAccounting([acct('Stop', 'sd', counters(1, 1))], { host: '127.0.0.1', port: h.port(), secret: SECRET, timeoutMs: 2000, retries: 0 });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = h.collector.stop();
    expect(h.collector.stop()).toBe(stopping);
    setTimeout(() => h.spool.release(), 50);
    await stopping;
    expect((await pending)[0]?.status).toBe('ack');
  });
});
