// Micro-bench of the collector's per-datagram path (decode → accounting → aggregator → metrics), no sockets:
// nfgen-like v9 and IPFIX datagrams fed to NetflowCollector.receive(); prints µs of CPU per record and checks
// that the spooled per-subscriber totals equal what was fed, to the byte.
//   npm run build && node --import tsx bench/netflow/hot-path.ts [--seconds 3] [--proto v9|ipfix|both] [--dist DIR]
//   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/netflow/hot-path.ts --proto ipfix
// --dist points at another build (e.g. of an older commit, extracted with `git archive`) to compare the two back
// to back under the same host load.
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MemorySpool } from '../../collectors/pipeline/memory-spool.js';
import { netflowSchema } from '../../collectors/netflow/config.js';
import { mulberry32 } from '../../scripts/prng.js';
import { nfgenSubscriberAddresses, type FlowProtocol } from './nfgen.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, proto: { type: 'string', default: 'both' }, dist: { type: 'string' } } });
// The collector comes from the tsc build that `wispmeter collect` runs, not through tsx: esbuild (keepNames) wraps
// every closure it creates in a `__name()` call, which made up a quarter of a profile taken through tsx.
const dist = args.dist ? pathToFileURL(`${resolve(args.dist)}/`) : new URL('../../dist/', import.meta.url);
const { NetflowCollector } = (await import(new URL('collectors/netflow/server.js', dist).href)) as typeof import('../../collectors/netflow/server.js');

const RECORDS = 24;
const POOL = 512;
const SUBSCRIBERS = 1024;
const TEMPLATE_ID = 256;
/** nfgen.py's layouts: [IE, length]; v9 uses sysUptime-relative times, IPFIX absolute milliseconds. */
const LAYOUT: Record<FlowProtocol, [number, number][]> = {
  v9: [[8, 4], [12, 4], [1, 4], [2, 4], [7, 2], [11, 2], [4, 1], [22, 4], [21, 4]],
  ipfix: [[8, 4], [12, 4], [1, 8], [2, 8], [7, 2], [11, 2], [4, 1], [152, 8], [153, 8]],
};

interface Load {
  template: Buffer;
  data: Buffer[];
  /** Per subscriber address, bytes to it (in) and from it (out), per pass over `data`. */
  truth: Map<string, { in: number; out: number }>;
}

const ip = (s: string): number => s.split('.').reduce((n, p) => n * 256 + Number(p), 0);

/** The same kind of datagrams nfgen.py sends (its layout, sizes and address mix), from a seeded PRNG. */
function buildLoad(proto: FlowProtocol, nowMs: number): Load {
  const r = mulberry32(1);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const subs = nfgenSubscriberAddresses(SUBSCRIBERS);
  const remotes = [...Array.from({ length: 254 }, (_, i) => `198.51.100.${i + 1}`), ...Array.from({ length: 254 }, (_, i) => `203.0.113.${i + 1}`)];
  const fields = LAYOUT[proto];
  const recordLength = fields.reduce((n, [, l]) => n + l, 0);
  const setLength = 4 + RECORDS * recordLength + ((4 - ((4 + RECORDS * recordLength) % 4)) % 4);
  const v9 = proto === 'v9';
  const headerLength = v9 ? 20 : 16;
  const uptimeMs = 3_600_000;
  const header = (b: Buffer) => {
    b.writeUInt16BE(v9 ? 9 : 10, 0);
    b.writeUInt16BE(v9 ? 1 : b.length, 2);
    if (v9) {
      b.writeUInt32BE(uptimeMs, 4);
      b.writeUInt32BE(Math.floor(nowMs / 1000), 8);
      b.writeUInt32BE(1, 16);
    } else {
      b.writeUInt32BE(Math.floor(nowMs / 1000), 4);
      b.writeUInt32BE(1, 12);
    }
  };
  const template = Buffer.alloc(headerLength + 8 + fields.length * 4);
  header(template);
  template.writeUInt16BE(v9 ? 0 : 2, headerLength);
  template.writeUInt16BE(8 + fields.length * 4, headerLength + 2);
  template.writeUInt16BE(TEMPLATE_ID, headerLength + 4);
  template.writeUInt16BE(fields.length, headerLength + 6);
  fields.forEach(([id, len], i) => {
    template.writeUInt16BE(id, headerLength + 8 + i * 4);
    template.writeUInt16BE(len, headerLength + 10 + i * 4);
  });
  const truth = new Map<string, { in: number; out: number }>();
  const data: Buffer[] = [];
  for (let m = 0; m < POOL; m++) {
    const b = Buffer.alloc(headerLength + setLength);
    header(b);
    b.writeUInt16BE(TEMPLATE_ID, headerLength);
    b.writeUInt16BE(setLength, headerLength + 2);
    for (let k = 0; k < RECORDS; k++) {
      const sub = subs[int(0, SUBSCRIBERS - 1)]!;
      const remote = remotes[int(0, remotes.length - 1)]!;
      const bytes = int(40, 3_000_000);
      const packets = Math.max(1, Math.floor(bytes / int(60, 1500)));
      const down = r() < 0.65;
      const lastOff = int(0, 2000);
      const firstOff = lastOff + int(0, 120_000);
      const values = [ip(down ? remote : sub), ip(down ? sub : remote), bytes, packets, int(1024, 65000), [53, 80, 443][int(0, 2)]!, r() < 0.5 ? 6 : 17,
        v9 ? uptimeMs - firstOff : nowMs - firstOff, v9 ? uptimeMs - lastOff : nowMs - lastOff];
      let off = headerLength + 4 + k * recordLength;
      fields.forEach(([, len], i) => {
        const v = values[i]!;
        if (len === 8) {
          b.writeUInt32BE(Math.floor(v / 2 ** 32), off);
          b.writeUInt32BE(v % 2 ** 32, off + 4);
        } else {
          b.writeUIntBE(v, off, len);
        }
        off += len;
      });
      const t = truth.get(sub) ?? { in: 0, out: 0 };
      if (down) t.in += bytes;
      else t.out += bytes;
      truth.set(sub, t);
    }
    data.push(b);
  }
  return { template, data, truth };
}

async function measure(proto: FlowProtocol, seconds: number): Promise<{ usPerRecord: number; usPerDatagram: number; records: number; exact: boolean }> {
  const spool = new MemorySpool();
  const logger = pino({ level: 'warn' }, new Writable({ write(_c, _e, cb) { cb(); } }));
  const subs = nfgenSubscriberAddresses(SUBSCRIBERS);
  const config = netflowSchema.parse({ listen: ['127.0.0.1:0'], static: subs.map((a) => ({ prefix: `${a}/32`, subscriber: a })) });
  const collector = new NetflowCollector({ config, spool, logger, registry: new Registry(), flushIntervalMs: 3_600_000 });
  await collector.start();
  const load = buildLoad(proto, Date.now());
  const from = { address: '127.0.0.1', port: 40000 };
  collector.receive(load.template, from);
  let passes = 0;
  const pass = () => {
    for (const d of load.data) collector.receive(d, from);
    passes++;
  };
  for (let i = 0; i < 20; i++) pass(); // warm-up: let V8 optimise the path
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let measured = 0;
  while (performance.now() - t0 < seconds * 1000) {
    pass();
    measured++;
  }
  const cpu = process.cpuUsage(cpu0);
  await collector.stop();
  const records = measured * POOL * RECORDS;
  const cpuUs = cpu.user + cpu.system;
  const got = spool.totals();
  let exact = got.size === load.truth.size;
  for (const [sub, t] of load.truth) {
    const g = got.get(sub);
    if (!g || g.bytesDown !== BigInt(t.in) * BigInt(passes) || g.bytesUp !== BigInt(t.out) * BigInt(passes)) exact = false;
  }
  return { usPerRecord: cpuUs / records, usPerDatagram: cpuUs / (measured * POOL), records, exact };
}

const protos: FlowProtocol[] = args.proto === 'both' ? ['v9', 'ipfix'] : [args.proto === 'v9' ? 'v9' : 'ipfix'];
let ok = true;
for (const proto of protos) {
  const m = await measure(proto, Number(args.seconds));
  ok &&= m.exact;
  console.log(`${proto.padEnd(5)} ${m.usPerRecord.toFixed(3)} µs CPU/record  ${m.usPerDatagram.toFixed(2)} µs/datagram  ` +
    `(${m.records} records; stored totals ${m.exact ? 'exact' : 'WRONG'})`);
}
process.exitCode = ok ? 0 : 1;
