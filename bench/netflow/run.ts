// Bench: NetFlow v9 / IPFIX from nfgen.py at rising rates into wispmeter collect and into nfcapd; finds each one's
// highest zero-loss rate (kernel socket drops, the collector's own counters and the stored bytes all checked).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { wispmeterMissing } from '../radius/wispmeter-collector.js';
import { readRmemMax, receiveBufferBytes, udpHostCounters, udpSocketState, writeRmemMax } from './kernel-udp.js';
import { nfcapdMissing, startNfcapd } from './nfcapd.js';
import { nfgenChildren, nfgenSubscriberAddresses, runNfgen, type FlowProtocol, type NfgenResult } from './nfgen.js';
import { makeTempDir, removeAllTempDirs, removeTempDir } from './temp-dirs.js';
import { startWispmeterNetflow, type StoredTotals, type WispmeterCounters } from './wispmeter-netflow.js';

const RESULTS_DIR = resolve(import.meta.dirname, '../results');
/** nfgen's default: subscriber addresses 100.64.0.1 … 100.64.4.8, each its own subscriber in wispmeter. */
const SUBSCRIBERS = 1024;
/** nfcapd's buffer in the issue's comparison; wispmeter asks 8 MiB by default (netflow.receiveBuffer). */
const NFCAPD_BUFFER = 8_000_000;
const RMEM_MAX_WANTED = 8 * 1024 * 1024;
/** A rate counts as sustained only if nfgen really sent at least this share of it. */
const SUSTAINED_SHARE = 0.97;
const DRAIN_TIMEOUT_MS = 30_000;

type Collector = 'wispmeter' | 'nfcapd';

interface Kernel {
  /** /proc/net/udp drops on the collector's socket, after minus before the send. */
  socketDrops: number;
  /** Host-wide Udp RcvbufErrors delta (/proc/net/snmp; other programs' sockets count too). */
  hostRcvbufErrors: number;
  /** Receive buffer the kernel gave the socket (ss skmem rb). */
  receiveBuffer: number | undefined;
  drained: boolean;
}

interface Trial {
  collector: Collector;
  proto: FlowProtocol;
  targetRps: number;
  achievedRps: number;
  sustained: boolean;
  sent: { packets: number; records: number; bytes: number; sendErrors: number };
  kernel: Kernel;
  /** What the collector says it got: wispmeter's metrics, or nfdump -I over nfcapd's files. */
  received: { packets?: number; records: number; bytes: number };
  /** wispmeter only: stored per-subscriber totals vs nfgen's exact ones. */
  stored?: { subscribers: number; mismatched: number; extraRows: number; bytesDown: number; bytesUp: number; examples: string[] };
  counters?: WispmeterCounters;
  nfcapd?: { version: string; sequenceFailures: number };
  cpuSeconds: number | undefined;
  /** Host 1-minute load average when the trial started: others' work on the host shows here. */
  hostLoad: number;
  zeroLoss: boolean;
  /** Where the loss happened, when there was one. */
  lostAt: string[];
}

const { values: args } = parseArgs({
  options: {
    proto: { type: 'string', default: 'both' },
    rates: { type: 'string', default: '100000,400000,800000,1200000,1600000,2000000,2500000,3000000,3500000,4000000,4500000,5000000' },
    duration: { type: 'string', default: '10' },
    /** Every rate for every collector, also above one it lost at (by default a collector stops climbing there). */
    'all-rates': { type: 'boolean', default: false },
    /** Extra YAML for wispmeter collect (-c), e.g. `netflow: { receiveThread: false }` to compare runtime models. */
    'wispmeter-config': { type: 'string' },
    only: { type: 'string' },
    'leave-rmem-max': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const protos: FlowProtocol[] = args.proto === 'both' ? ['v9', 'ipfix'] : args.proto === 'v9' || args.proto === 'ipfix' ? [args.proto] : fail(`--proto takes v9, ipfix or both, got ${args.proto}`);
  const rates = (args.rates ?? '').split(',').map((r) => positive(r.trim(), '--rates')).sort((a, b) => a - b);
  const durationS = positive(args.duration ?? '', '--duration');
  if (durationS > 60 || rates.length > 20) fail('at most 20 rates of at most 60 s each');
  const only = args.only;
  if (only !== undefined && only !== 'wispmeter' && only !== 'nfcapd') fail('--only takes wispmeter or nfcapd');
  const collectors: Collector[] = [];
  const missing: Record<string, string> = {};
  const wm = wispmeterMissing();
  const nf = nfcapdMissing();
  if (only !== 'nfcapd') wm ? (missing.wispmeter = wm) : collectors.push('wispmeter');
  if (only !== 'wispmeter') nf ? (missing.nfcapd = nf) : collectors.push('nfcapd');
  for (const [name, why] of Object.entries(missing)) console.log(`${name}: skipped, ${why}`);
  if (!collectors.length) return 2;

  const rmem = raiseRmemMax();
  // Interrupted: put the sysctl back, stop the generator, remove temp dirs; server-process.ts kills the collectors on exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of nfgenChildren) child.kill('SIGKILL');
      try {
        rmem.restore();
        removeAllTempDirs();
      } finally {
        process.exit(130);
      }
    });
  }
  const work = makeTempDir('wispmeter-bench-netflow-work-');
  const trials: Trial[] = [];
  try {
    if (args['wispmeter-config']) console.log(`wispmeter config: ${args['wispmeter-config']}: ${readFileSync(args['wispmeter-config'], 'utf8').trim()}`);
    console.log(`load: nfgen.py, 24 records per data packet, template every 100 packets, ${SUBSCRIBERS} subscriber addresses, ${durationS} s per rate; rates ${rates.join(', ')} records/s`);
    // A collector that lost at a rate (or was not fed it in full) stops climbing: its zero-loss rate is found, and
    // the bench stays bounded (the other one goes on up the same ladder until it loses).
    const stopped = new Set<string>();
    for (const proto of protos) {
      for (const rps of rates) {
        for (const collector of collectors) {
          if (stopped.has(`${proto}/${collector}`)) continue;
          const jsonOut = join(work, `${proto}-${rps}-${collector}.json`);
          const t = collector === 'wispmeter' ? await trialWispmeter(proto, rps, durationS, jsonOut) : await trialNfcapd(proto, rps, durationS, jsonOut);
          trials.push(t);
          printTrial(t);
          if (!(t.zeroLoss && t.sustained) && !args['all-rates']) stopped.add(`${proto}/${collector}`);
        }
      }
    }
  } finally {
    rmem.restore();
    if (!args.keep) removeTempDir(work);
  }

  const summary = protos.map((proto) => summarise(proto, rates, collectors, trials));
  printTable(trials);
  console.log('');
  for (const s of summary) console.log(s.text);
  const file = writeResult({ durationS, rates, wispmeterConfig: args['wispmeter-config'] ? readFileSync(args['wispmeter-config'], 'utf8') : undefined, subscribers: SUBSCRIBERS, nfcapdBuffer: NFCAPD_BUFFER, rmemMax: rmem.record, skipped: missing, summary: summary.map(({ text: _, ...s }) => s), trials });
  console.log(`result: ${file}`);
  return 0;
}

async function trialWispmeter(proto: FlowProtocol, rps: number, durationS: number, jsonOut: string): Promise<Trial> {
  const addresses = nfgenSubscriberAddresses(SUBSCRIBERS);
  const hostLoad = round2(loadavg()[0] ?? 0);
  const wm = await startWispmeterNetflow({ subscriberAddresses: addresses, keep: args.keep, configFile: args['wispmeter-config'] });
  try {
    const cpu0 = wm.cpuSeconds();
    const { sent, kernel } = await sendAndDrain(wm.port, () => runNfgen({ proto, port: wm.port, rps, durationS, subs: SUBSCRIBERS, jsonOut }),
      async () => (await wm.counters()).flows);
    const counters = await wm.counters();
    const cpu1 = wm.cpuSeconds();
    const startedMs = Date.now() - (sent.duration_s + 10) * 1000;
    await wm.stop();
    // Flows end up to ~2 s before their export time; buckets are minutes: an hour either side covers them all.
    const stored = compareStored(sent, await wm.storedTotals(new Date(startedMs - 3_600_000), new Date(Date.now() + 3_600_000)));
    const errors = sumOf(counters.decodeErrors) + sumOf(counters.dropped) + counters.droppedRecords;
    const lostAt: string[] = [];
    if (kernel.socketDrops > 0) lostAt.push(`kernel: ${kernel.socketDrops} datagrams dropped on the socket (receive buffer full, the collector read too slowly${counters.receiveQueueWaits ? `; the decoder fell behind: ${counters.receiveQueueWaits} datagrams waited for room in the receive queue` : '; no receive-queue waits: the socket reader was the slower part'})`);
    const queueDrops = counters.dropped.receive_queue_full ?? 0;
    if (counters.packets + kernel.socketDrops + queueDrops < sent.packets) lostAt.push(`unaccounted: ${sent.packets - counters.packets - kernel.socketDrops - queueDrops} datagrams neither received nor counted as kernel or receive-queue drops`);
    if (errors > 0) lostAt.push(`collector: decode errors ${JSON.stringify(counters.decodeErrors)}, dropped ${JSON.stringify(counters.dropped)}, dropped usage records ${counters.droppedRecords}`);
    if (counters.flows !== sent.records && kernel.socketDrops === 0 && counters.packets === sent.packets) lostAt.push(`decoder: ${sent.records - counters.flows} records of received datagrams not decoded`);
    // Under kernel loss the stored totals must still equal what was decoded: that tells the store apart from the socket.
    const storedBytes = stored.bytesDown + stored.bytesUp;
    if (storedBytes !== counters.octets) lostAt.push(`store: ${storedBytes} bytes stored of ${counters.octets} decoded`);
    if (stored.mismatched || stored.extraRows) lostAt.push(`totals: ${stored.mismatched} subscribers' stored totals differ from nfgen's, ${stored.extraRows} unexpected rows`);
    if (sent.send_errors) lostAt.push(`sender: ${sent.send_errors} send errors in nfgen`);
    if (!kernel.drained) lostAt.push('collector still had queued datagrams after the drain wait');
    return {
      ...trialBase('wispmeter', proto, rps, sent, kernel, hostLoad),
      received: { packets: counters.packets, records: counters.flows, bytes: stored.bytesDown + stored.bytesUp },
      stored, counters,
      cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? round2(cpu1 - cpu0) : undefined,
      zeroLoss: lostAt.length === 0 && counters.flows === sent.records && counters.packets === sent.packets,
      lostAt,
    };
  } catch (err) {
    console.log(wm.output().slice(-2000));
    throw err;
  } finally {
    await wm.stop().catch(() => undefined);
    wm.remove();
  }
}

async function trialNfcapd(proto: FlowProtocol, rps: number, durationS: number, jsonOut: string): Promise<Trial> {
  const hostLoad = round2(loadavg()[0] ?? 0);
  const nf = await startNfcapd({ bufferBytes: NFCAPD_BUFFER, keep: args.keep });
  try {
    const cpu0 = nf.cpuSeconds();
    const { sent, kernel } = await sendAndDrain(nf.port, () => runNfgen({ proto, port: nf.port, rps, durationS, subs: SUBSCRIBERS, jsonOut }));
    const cpu1 = nf.cpuSeconds();
    await nf.stop();
    const counted = await nf.summary();
    const lostAt: string[] = [];
    if (kernel.socketDrops > 0) lostAt.push(`kernel: ${kernel.socketDrops} datagrams dropped on the socket`);
    if (counted.flows !== sent.records) lostAt.push(`nfdump counts ${counted.flows} of ${sent.records} records`);
    if (counted.bytes !== sent.bytes) lostAt.push(`nfdump counts ${counted.bytes} of ${sent.bytes} bytes`);
    if (sent.send_errors) lostAt.push(`sender: ${sent.send_errors} send errors in nfgen`);
    if (!kernel.drained) lostAt.push('nfcapd still had queued datagrams after the drain wait');
    return {
      ...trialBase('nfcapd', proto, rps, sent, kernel, hostLoad),
      received: { records: counted.flows, bytes: counted.bytes },
      nfcapd: { version: nf.version, sequenceFailures: counted.sequenceFailures },
      cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? round2(cpu1 - cpu0) : undefined,
      zeroLoss: lostAt.length === 0,
      lostAt,
    };
  } catch (err) {
    console.log(nf.output().slice(-2000));
    throw err;
  } finally {
    await nf.stop().catch(() => undefined);
    nf.remove();
  }
}

/**
 * Reads the kernel counters, sends, waits (bounded) until the socket's queue is empty and the collector's
 * progress counter stops moving, then reads the kernel counters again — before the socket closes and its drops go.
 */
async function sendAndDrain(port: number, send: () => Promise<NfgenResult>, progress?: () => Promise<number>): Promise<{ sent: NfgenResult; kernel: Kernel }> {
  const before = udpSocketState(port);
  const hostBefore = udpHostCounters();
  const receiveBuffer = receiveBufferBytes(port);
  const sent = await send();
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let last = Number.NaN;
  let quiet = 0;
  let drained = false;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = progress ? await progress() : 0;
    quiet = udpSocketState(port).rxQueue === 0 && now === last ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) {
      drained = true;
      break;
    }
  }
  const after = udpSocketState(port);
  const hostAfter = udpHostCounters();
  return { sent, kernel: { socketDrops: after.drops - before.drops, hostRcvbufErrors: hostAfter.rcvbufErrors - hostBefore.rcvbufErrors, receiveBuffer, drained } };
}

function trialBase(collector: Collector, proto: FlowProtocol, targetRps: number, sent: NfgenResult, kernel: Kernel, hostLoad: number): Pick<Trial, 'collector' | 'proto' | 'targetRps' | 'achievedRps' | 'sustained' | 'sent' | 'kernel' | 'hostLoad'> {
  return {
    collector, proto, targetRps, kernel, hostLoad,
    achievedRps: Math.round(sent.achieved_rps),
    sustained: sent.achieved_rps >= SUSTAINED_SHARE * targetRps,
    sent: { packets: sent.packets, records: sent.records, bytes: sent.bytes, sendErrors: sent.send_errors },
  };
}

/** Stored rows vs nfgen's per-address truth: down = bytes to the address ("in"), up = bytes from it ("out"). */
function compareStored(sent: NfgenResult, rows: StoredTotals[]): NonNullable<Trial['stored']> {
  const bySubscriber = new Map(rows.map((r) => [r.subscriber, r]));
  let mismatched = 0;
  const examples: string[] = [];
  for (const [address, truth] of Object.entries(sent.subs)) {
    const row = bySubscriber.get(address);
    bySubscriber.delete(address);
    if (row && row.bytesDown === truth.in && row.bytesUp === truth.out) continue;
    mismatched++;
    if (examples.length < 5) examples.push(`${address}: stored ${row ? `${row.bytesDown}/${row.bytesUp}` : 'nothing'}, sent ${truth.in}/${truth.out}`);
  }
  const extra = [...bySubscriber.values()].filter((r) => r.bytesDown || r.bytesUp);
  for (const r of extra.slice(0, 5 - Math.min(5, examples.length))) examples.push(`unexpected row ${r.subscriber}: ${r.bytesDown}/${r.bytesUp}`);
  return {
    subscribers: rows.length, mismatched, extraRows: extra.length, examples,
    bytesDown: rows.reduce((s, r) => s + r.bytesDown, 0),
    bytesUp: rows.reduce((s, r) => s + r.bytesUp, 0),
  };
}

interface Summary {
  proto: FlowProtocol;
  /** Highest rate of the ladder that, with every lower rate, was sent in full and lost nothing; 0 if none. */
  zeroLossRps: Partial<Record<Collector, number>>;
  /** True when the collector passed every rate tried: its limit is above the ladder. */
  passedAll: Partial<Record<Collector, boolean>>;
  ratio: number | undefined;
  ratioBound: RatioBound;
  text: string;
}

type RatioBound = 'exact' | 'at most' | 'at least' | 'unknown';

function summarise(proto: FlowProtocol, rates: number[], collectors: Collector[], trials: Trial[]): Summary {
  const zeroLossRps: Summary['zeroLossRps'] = {};
  const passedAll: Summary['passedAll'] = {};
  const parts: string[] = [];
  for (const c of collectors) {
    let best = 0;
    for (const rps of rates) {
      const t = trials.find((x) => x.proto === proto && x.collector === c && x.targetRps === rps);
      if (!t || !t.zeroLoss || !t.sustained) break;
      best = rps;
    }
    zeroLossRps[c] = best;
    passedAll[c] = best === rates[rates.length - 1];
    parts.push(`${c} ${best ? `${best.toLocaleString('en')}${passedAll[c] ? '+ (every rate tried)' : ''}` : 'none'} records/s`);
  }
  const w = zeroLossRps.wispmeter;
  const n = zeroLossRps.nfcapd;
  const ratio = w !== undefined && n ? round2(w / n) : undefined;
  // A collector that passed every rate has its limit somewhere above the ladder: the ratio is then a bound.
  const ratioBound: RatioBound = ratio === undefined ? 'unknown'
    : passedAll.wispmeter && passedAll.nfcapd ? 'unknown'
      : passedAll.nfcapd ? 'at most' : passedAll.wispmeter ? 'at least' : 'exact';
  const ratioText = ratio === undefined ? '' : ratioBound === 'unknown' ? '; ratio unknown: both passed every rate (raise --rates)'
    : `; ratio wispmeter/nfcapd ${ratioBound === 'exact' ? '' : `${ratioBound} `}${ratio}`;
  const unsent = trials.filter((t) => t.proto === proto && !t.sustained).map((t) => `${t.collector}@${t.targetRps}: sent ${t.achievedRps}/s`);
  const text = `${proto}: highest zero-loss rate: ${parts.join(', ')}${ratioText}` +
    (unsent.length ? ` (generator fell short: ${unsent.join('; ')})` : '');
  return { proto, zeroLossRps, passedAll, ratio, ratioBound, text };
}

function printTrial(t: Trial): void {
  const verdict = t.zeroLoss ? 'no loss' : `LOSS: ${t.lostAt.join('; ')}`;
  console.log(`${t.proto} ${t.targetRps}/s ${t.collector}: sent ${t.sent.records} records (${t.achievedRps}/s), got ${t.received.records}, socket drops ${t.kernel.socketDrops}, rb ${t.kernel.receiveBuffer ?? '?'}, CPU ${t.cpuSeconds ?? '?'} s; ${verdict}${t.sustained ? '' : ' (rate not reached by the generator)'}`);
  if (t.stored?.examples.length) console.log(`  ${t.stored.examples.join('\n  ')}`);
}

function printTable(trials: Trial[]): void {
  const head = ['proto', 'target/s', 'collector', 'sent/s', 'records sent', 'records got', 'sock drops', 'host rcvbuf', 'stored exact', 'cpu s', 'load1', 'zero loss'];
  const rows = trials.map((t) => [t.proto, String(t.targetRps), t.collector, String(t.achievedRps), String(t.sent.records), String(t.received.records),
    String(t.kernel.socketDrops), String(t.kernel.hostRcvbufErrors), t.stored ? (t.stored.mismatched || t.stored.extraRows ? 'no' : 'yes') : (t.received.bytes === t.sent.bytes ? 'bytes=' : 'bytes≠'),
    String(t.cpuSeconds ?? '?'), t.hostLoad.toFixed(2), t.zeroLoss && t.sustained ? 'yes' : t.zeroLoss ? 'yes*' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log('');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/** Raises net.core.rmem_max to 8 MiB for the run when root and lower; restore() puts the old value back. */
function raiseRmemMax(): { restore: () => void; record: { before: number; during: number; restored?: number; note: string } } {
  const before = readRmemMax();
  const record: { before: number; during: number; restored?: number; note: string } = { before, during: before, note: '' };
  const isRoot = process.getuid?.() === 0;
  if (args['leave-rmem-max'] || before >= RMEM_MAX_WANTED || !isRoot) {
    record.note = args['leave-rmem-max'] ? 'left as is (--leave-rmem-max)' : before >= RMEM_MAX_WANTED ? 'already large enough' : 'not root: left as is';
    console.log(`net.core.rmem_max = ${before} (${record.note})`);
    return { restore: () => undefined, record };
  }
  record.during = writeRmemMax(RMEM_MAX_WANTED);
  record.note = 'raised for the run, restored at the end';
  console.log(`net.core.rmem_max: ${before} -> ${record.during} for this run (restored at the end)`);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    record.restored = writeRmemMax(before);
    console.log(`net.core.rmem_max restored: ${record.restored}`);
  };
  return { restore, record };
}

function writeResult(result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const at = new Date();
  const file = join(RESULTS_DIR, `netflow-${at.toISOString().replace(/[:.]/g, '-')}.json`);
  const host = { cpus: cpus().length, cpuModel: cpus()[0]?.model, os: `${osType()} ${release()}`, node: process.version };
  writeFileSync(file, `${JSON.stringify({ bench: 'netflow', at: at.toISOString(), host, ...result }, null, 2)}\n`);
  return file;
}

function sumOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((s, n) => s + n, 0);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} takes positive integers, got "${text}"`);
  return n;
}

function fail(message: string): never {
  throw new Error(message);
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 2;
});
