// A hostile agent on loopback (hand-written BER over UDP) answers the poller with garbage, truncated datagrams,
// wrong request ids, fewer varbinds than asked, cells of the wrong type or size, a walk that does not advance and
// a sysUpTime that is a string: each is counted by reason, fails at most that poll (or skips that row), and the
// poller keeps working.
// Also: a spool that refuses a poll leaves the readings at the last durable poll.
import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySpool } from '../collectors/pipeline/memory-spool.js';
import { SpoolFullError } from '../collectors/pipeline/spool-types.js';
import { snmpSchema } from '../collectors/snmp/config.js';
import { SnmpPoller } from '../collectors/snmp/poller.js';
import { metricSum, parsePrometheus } from './wispmeter/collector-process.js';

type Mode = 'good' | 'garbage' | 'truncated' | 'wrong-request-id' | 'bad-cells' | 'walk-stuck' | 'uptime-string' | 'too-big' | 'short-get';

// --- just enough BER for SNMPv2c GET/GETBULK requests and their responses ---
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
function uint(tag: number, v: bigint): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}
function oid(s: string): Buffer {
  const [a, b, ...rest] = s.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function read(buf: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + buf[start + i]!;
    start += k;
  }
  return { tag, start, end: start + len };
}
function children(buf: Buffer, start: number, end: number): { tag: number; start: number; end: number }[] {
  const out = [];
  for (let at = start; at < end;) {
    const t = read(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}
function decodeOid(b: Buffer): string {
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (const x of b.subarray(1)) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
function cmp(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const Q = '1.3.6.1.4.1.14988.1.1.2.1.1';

class HostileAgent {
  mode: Mode = 'good';
  step = 0;
  /** The largest max-repetitions of a GETBULK the agent answered. */
  largestReps = 0;
  private socket: Socket = createSocket('udp4');

  async start(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.socket.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) this.socket.send(reply, rinfo.port, rinfo.address);
    });
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }

  /** The agent's data at this step: queue 1 normal, 2 with a 10-byte Counter64, 3 with a counter sent as a string. */
  private table(): [string, Buffer][] {
    const n = BigInt(this.step);
    const rows: [string, Buffer][] = [
      [`${Q}.2.1`, tlv(0x04, Buffer.from('alice'))], [`${Q}.8.1`, uint(0x46, 1000n + 10n * n)], [`${Q}.9.1`, uint(0x46, 50_000n + 700n * n)],
      [`${Q}.2.2`, tlv(0x04, Buffer.from('bob'))], [`${Q}.8.2`, uint(0x46, 5n)],
      [`${Q}.2.3`, tlv(0x04, Buffer.from('carol'))], [`${Q}.8.3`, tlv(0x04, Buffer.from('123'))], [`${Q}.9.3`, uint(0x46, 9n)],
    ];
    if (this.mode === 'bad-cells') rows.push([`${Q}.9.2`, tlv(0x46, Buffer.from('01ffffffffffffffffff', 'hex'))]);
    return rows.sort(([a], [b]) => cmp(a, b));
  }

  private answer(msg: Buffer): Buffer | undefined {
    if (this.mode === 'garbage') return Buffer.from('30 82 ff ff 02 01 01 de ad be ef'.replace(/ /g, ''), 'hex');
    const top = read(msg, 0);
    const [version, community, pdu] = children(msg, top.start, top.end);
    const [reqId, a, b, list] = children(msg, pdu!.start, pdu!.end);
    const requested = children(msg, list!.start, list!.end).map((vb) => decodeOid(msg.subarray(read(msg, vb.start).start, read(msg, vb.start).end)));
    const data = this.table();
    const varbinds: Buffer[] = [];
    if (pdu!.tag === 0xa0) {
      for (const o of requested) {
        let value: Buffer | undefined;
        if (o === '1.3.6.1.2.1.1.3.0') value = this.mode === 'uptime-string' ? tlv(0x04, Buffer.from('up 3 days')) : uint(0x43, 100_000n + BigInt(this.step) * 6000n);
        if (o === '1.3.6.1.2.1.1.2.0') value = oid('1.3.6.1.4.1.14988.1');
        varbinds.push(tlv(0x30, Buffer.concat([oid(o), value ?? tlv(0x81, Buffer.alloc(0))])));
      }
      // short-get: fewer varbinds than were asked for.
      if (this.mode === 'short-get') varbinds.splice(1);
    } else {
      const reps = Number(BigInt('0x' + msg.subarray(b!.start, b!.end).toString('hex')));
      // too-big: an agent whose answers to more than two rows per column would not fit its buffer.
      if (this.mode === 'too-big' && reps > 2) {
        return tlv(0x30, Buffer.concat([
          msg.subarray(version!.start - 2, version!.end), msg.subarray(community!.start - 2, community!.end),
          tlv(0xa2, Buffer.concat([tlv(0x02, msg.subarray(reqId!.start, reqId!.end)), uint(0x02, 1n), uint(0x02, 0n), tlv(0x30, Buffer.alloc(0))])),
        ]));
      }
      this.largestReps = Math.max(this.largestReps, reps);
      const cursors = [...requested];
      for (let r = 0; r < reps; r++) {
        cursors.forEach((c, i) => {
          // walk-stuck: the agent answers the OID it was asked for instead of the next one.
          const next = this.mode === 'walk-stuck' ? data.find(([o]) => cmp(o, c) >= 0) : data.find(([o]) => cmp(o, c) > 0);
          if (!next) return void varbinds.push(tlv(0x30, Buffer.concat([oid(c), tlv(0x82, Buffer.alloc(0))])));
          cursors[i] = next[0];
          varbinds.push(tlv(0x30, Buffer.concat([oid(next[0]), next[1]])));
        });
      }
    }
    void a;
    const id = msg.subarray(reqId!.start, reqId!.end);
    const idOut = this.mode === 'wrong-request-id' ? Buffer.from([id[0]! ^ 0x55, ...id.subarray(1)]) : id;
    const response = tlv(0x30, Buffer.concat([
      msg.subarray(version!.start - 2, version!.end), msg.subarray(community!.start - 2, community!.end),
      tlv(0xa2, Buffer.concat([tlv(0x02, idOut), uint(0x02, 0n), uint(0x02, 0n), tlv(0x30, Buffer.concat(varbinds))])),
    ]));
    // Cut inside the header: cut among the varbinds instead, the library may read a shorter varbind list (then
    // the poller reports the answer as malformed), which would make this case depend on the values' lengths.
    return this.mode === 'truncated' ? response.subarray(0, 12) : response;
  }
}

describe('SNMP poller against a hostile agent', () => {
  const agent = new HostileAgent();
  let port: number;
  beforeAll(async () => {
    port = await agent.start();
  });
  afterAll(() => agent.close());

  it('counts every kind of odd answer, loses at most that poll, and bills only sane rows', async () => {
    const registry = new Registry();
    const spool = new MemorySpool();
    const config = snmpSchema.parse({
      timeout: 200, retries: 0, maxRepetitions: 4,
      targets: [{ name: 'odd', version: '2c', address: '127.0.0.1', port, community: 'public', profiles: ['mikrotik-queue'] }],
    });
    const poller = new SnmpPoller({ config, spool, logger: pino({ level: 'silent' }), registry, manual: true });
    await poller.start();
    const poll = async (mode: Mode) => {
      agent.mode = mode;
      agent.step++;
      const [e] = await poller.pollNow();
      return e!.ok ? 'ok' : e!.reason;
    };
    try {
      expect(await poll('good')).toBe('ok');
      expect(await poll('garbage')).toBe('timeout');
      expect(await poll('truncated')).toBe('timeout');
      expect(await poll('wrong-request-id')).toBe('timeout');
      expect(await poll('walk-stuck')).toBe('malformed');
      expect(await poll('uptime-string')).toBe('malformed');
      expect(await poll('short-get')).toBe('malformed');
      expect(await poll('bad-cells')).toBe('ok');
      expect(await poll('good')).toBe('ok');
      // tooBig: the walk asks for fewer rows per request (4 → 2) and the poll still succeeds; the session
      // keeps asking for 2 (no tooBig round trip on every poll).
      agent.largestReps = 0;
      expect(await poll('too-big')).toBe('ok');
      expect(agent.largestReps).toBe(2);
      agent.largestReps = 0;
      expect(await poll('good')).toBe('ok');
      expect(agent.largestReps).toBe(2);
    } finally {
      await poller.stop();
    }
    const m = parsePrometheus(await registry.metrics());
    expect(metricSum(m, 'wispmeter_snmp_malformed_total', { target: 'odd', reason: 'undecodable' })).toBeGreaterThanOrEqual(2);
    expect(metricSum(m, 'wispmeter_snmp_malformed_total', { target: 'odd', reason: 'bad_value' })).toBe(1);
    expect(metricSum(m, 'wispmeter_snmp_malformed_total', { target: 'odd', reason: 'answer' })).toBe(3);
    // bob (no BytesOut, then a 10-byte one) and carol (BytesIn as a string) are skipped at every successful poll.
    expect(metricSum(m, 'wispmeter_snmp_malformed_total', { target: 'odd', reason: 'queue_no_counters' })).toBe(10);
    expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'odd' })).toBe(6);
    // alice only: step 1 → 8 (one interval over the failed polls), then one record per poll.
    const records = spool.entries.flatMap((e) => e.records);
    expect(records.map((r) => [r.subscriber, r.bytesDown, r.bytesUp])).toEqual([['alice', 700n * 7n, 70n], ['alice', 700n, 10n], ['alice', 700n, 10n], ['alice', 700n, 10n]]);
    expect(records[0]!.end - records[0]!.start).toBeGreaterThan(0);
  });

  it('keeps the last durable readings when the spool refuses a poll, so the next poll bills both intervals once', async () => {
    const registry = new Registry();
    const spool = new MemorySpool();
    const config = snmpSchema.parse({
      timeout: 200, retries: 0,
      targets: [{ name: 'full', version: '2c', address: '127.0.0.1', port, community: 'public', profiles: ['mikrotik-queue'] }],
    });
    const poller = new SnmpPoller({ config, spool, logger: pino({ level: 'silent' }), registry, manual: true });
    await poller.start();
    agent.mode = 'good';
    const poll = async () => {
      agent.step++;
      const [e] = await poller.pollNow();
      return e!.ok ? 'ok' : e!.reason;
    };
    try {
      expect(await poll()).toBe('ok');
      spool.failWith = new SpoolFullError(2_000_000_000, 1_000_000_000);
      expect(await poll()).toBe('spool');
      expect(await poll()).toBe('spool');
      spool.failWith = undefined;
      expect(await poll()).toBe('ok');
    } finally {
      await poller.stop();
    }
    const records = spool.entries.flatMap((e) => e.records);
    expect(records.map((r) => [r.subscriber, r.bytesDown, r.bytesUp])).toEqual([['alice', 700n * 3n, 30n]]);
    expect(metricSum(parsePrometheus(await registry.metrics()), 'wispmeter_snmp_spool_errors_total', { reason: 'spool_full' })).toBe(2);
  });
});
