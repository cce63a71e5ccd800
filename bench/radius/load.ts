// The benchmark's RADIUS load: sessions with a Start and growing interims, written as a radclient file and sent.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { processCpuSeconds } from './proc-cpu.js';
import { runRadclient, type RadclientRun, type RadclientSummary } from './radclient.js';
import { mulberry32 } from '../../scripts/prng.js';

export interface LoadSpec {
  sessions: number;
  /** Interim-Updates in total, spread evenly over the sessions. */
  interims: number;
  /** Close every session with a Stop after its last interim. */
  stops: boolean;
  /** Seconds between two interims of one session (Acct-Interim-Interval on the NAS). */
  intervalSeconds: number;
  /** Seed of the traffic pattern, so two runs send the same bytes. */
  seed: number;
  /** Event-Timestamp of the last interim, in Unix seconds; the load ends "now" so no server finds it stale. */
  endTime: number;
  /**
   * Packets per radclient file; 0 = one file. radclient's cost grows about quadratically with the packets of one file
   * (20,000 packets: ~5 s of radclient CPU, 2,000: ~0.1 s), so smaller files measure the server, not radclient.
   */
  chunkPackets: number;
}

export interface LoadFile {
  /** Sent one after the other, each by its own radclient run; in order, so a session's packets stay in order. */
  files: string[];
  starts: number;
  interims: number;
  stops: number;
  packets: number;
}

export const DEFAULT_LOAD: Omit<LoadSpec, 'endTime'> = { sessions: 200, interims: 20_000, stops: false, intervalSeconds: 60, seed: 1813, chunkPackets: 0 };

const TWO_32 = 1n << 32n;

/**
 * Writes the load in radclient's input format (attribute lines, a blank line between packets). Packets go
 * round by round, all Starts, then every session's first interim, and so on: with 200 sessions and 64 in
 * flight a session's previous packet is normally answered before its next one is sent, as on a real NAS.
 */
export async function writeLoadFile(base: string, spec: LoadSpec): Promise<LoadFile> {
  if (spec.sessions < 1 || spec.interims < spec.sessions) throw new Error('load: need at least one interim per session');
  const rounds = Math.floor(spec.interims / spec.sessions);
  const random = mulberry32(spec.seed);
  const sessions = Array.from({ length: spec.sessions }, (_, i) => newSession(i, random));
  const startTime = spec.endTime - rounds * spec.intervalSeconds;
  const files: string[] = [];
  let out: WriteStream | undefined;
  let inFile = 0;
  const write = async (text: string): Promise<void> => {
    if (!out || (spec.chunkPackets > 0 && inFile === spec.chunkPackets)) {
      if (out) await close(out);
      files.push(`${base}.${String(files.length).padStart(3, '0')}`);
      out = createWriteStream(files[files.length - 1]!);
      inFile = 0;
    }
    inFile++;
    if (!out.write(text)) await once(out, 'drain');
  };

  for (const s of sessions) await write(packet(s, 'Start', startTime, 0));
  for (let round = 1; round <= rounds; round++) {
    for (const s of sessions) {
      grow(s, spec.intervalSeconds, random);
      await write(packet(s, 'Interim-Update', startTime + round * spec.intervalSeconds, round * spec.intervalSeconds));
    }
  }
  if (spec.stops) {
    for (const s of sessions) await write(packet(s, 'Stop', spec.endTime, rounds * spec.intervalSeconds));
  }
  if (out) await close(out);
  const interims = rounds * spec.sessions;
  const stops = spec.stops ? spec.sessions : 0;
  return { files, starts: spec.sessions, interims, stops, packets: spec.sessions + interims + stops };
}

export interface LoadResult extends RadclientRun {
  packets: number;
  requestsPerSecond: number;
  /** Every packet answered: exit code 0 and a summary with as many responses as packets, none lost. */
  allAnswered: boolean;
  summary: RadclientSummary | undefined;
  /** CPU seconds the server used during the load (undefined without /proc or a pid). */
  serverCpuSeconds: number | undefined;
}

/** Sends the load files with radclient, one after the other, and says whether every request was answered. */
export async function runLoad(load: LoadFile, target: string, secret: string, parallel = 64, serverPid?: number): Promise<LoadResult> {
  const serverCpuBefore = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  const runs: RadclientRun[] = [];
  for (const file of load.files) {
    const one = await runRadclient({ file, target, secret, parallel, retries: 3, timeoutSeconds: 3, deadlineMs: 600_000 });
    runs.push(one);
    if (one.exitCode !== 0) break;
  }
  const run = combine(runs);
  const allAnswered = runs.length === load.files.length && run.exitCode === 0 && run.summary !== undefined
    && run.summary.accepted === load.packets && run.summary.lost === 0 && run.summary.rejected === 0;
  const serverCpuAfter = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  const serverCpuSeconds = serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpuBefore;
  return { ...run, packets: load.packets, requestsPerSecond: load.packets / (run.wallMs / 1000), allAnswered, serverCpuSeconds };
}

/** Several radclient runs as one: times and counts add up, the first failing exit code wins. */
function combine(runs: readonly RadclientRun[]): RadclientRun {
  const sum = (pick: (r: RadclientRun) => number | undefined): number | undefined =>
    runs.reduce<number | undefined>((acc, r) => (acc === undefined || pick(r) === undefined ? undefined : acc + pick(r)!), 0);
  const summaries = runs.map((r) => r.summary);
  const summary = summaries.every((x) => x !== undefined)
    ? { accepted: sum((r) => r.summary?.accepted)!, rejected: sum((r) => r.summary?.rejected)!, lost: sum((r) => r.summary?.lost)! }
    : undefined;
  return {
    exitCode: runs.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
    wallMs: sum((r) => r.wallMs) ?? 0,
    radclientCpuSeconds: sum((r) => r.radclientCpuSeconds),
    summary,
    output: runs.find((r) => r.exitCode !== 0)?.output ?? runs[runs.length - 1]?.output ?? '',
  };
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

interface Session {
  id: string;
  user: string;
  mac: string;
  framedIp: string;
  nasPort: number;
  /** Mean rates in bytes/s; a few sessions are fast enough to pass 2^32 octets and exercise the gigawords. */
  upRate: number;
  downRate: number;
  up: bigint;
  down: bigint;
  upPackets: number;
  downPackets: number;
}

function newSession(i: number, random: () => number): Session {
  const n = i + 1;
  const hex = n.toString(16).padStart(4, '0');
  // Log-uniform from 10 kB/s to 12.5 MB/s (100 Mbit/s): mostly idle CPEs, some busy ones.
  const downRate = 10_000 * 1250 ** random();
  return {
    id: `bench-${hex}`,
    user: `sub${String(n).padStart(4, '0')}@wisp.example`,
    mac: `02-00-00-00-${hex.slice(0, 2)}-${hex.slice(2)}`.toUpperCase(),
    framedIp: `100.64.${Math.floor(n / 256)}.${n % 256}`,
    nasPort: n,
    upRate: downRate * (0.05 + 0.2 * random()),
    downRate,
    up: 0n,
    down: 0n,
    upPackets: 0,
    downPackets: 0,
  };
}

function grow(s: Session, seconds: number, random: () => number): void {
  const up = Math.round(s.upRate * seconds * (0.5 + random()));
  const down = Math.round(s.downRate * seconds * (0.5 + random()));
  s.up += BigInt(up);
  s.down += BigInt(down);
  s.upPackets += Math.ceil(up / 600);
  s.downPackets += Math.ceil(down / 1200);
}

// Counters are cumulative since the Start, counted at the NAS: Input is from the subscriber (up), Output to it
// (down). Octets above 2^32 go to the gigawords (RFC 2869 §5.1).
function packet(s: Session, status: 'Start' | 'Interim-Update' | 'Stop', eventTime: number, sessionTime: number): string {
  const lines = [
    `Acct-Status-Type = ${status}`,
    `Acct-Session-Id = "${s.id}"`,
    `User-Name = "${s.user}"`,
    'NAS-IP-Address = 127.0.0.1',
    'NAS-Identifier = "bench-nas"',
    `NAS-Port = ${s.nasPort}`,
    'NAS-Port-Type = Wireless-802.11',
    `Framed-IP-Address = ${s.framedIp}`,
    `Calling-Station-Id = "${s.mac}"`,
    `Event-Timestamp = ${eventTime}`,
    'Acct-Delay-Time = 0',
  ];
  if (status !== 'Start') {
    lines.push(
      `Acct-Session-Time = ${sessionTime}`,
      `Acct-Input-Octets = ${s.up % TWO_32}`,
      `Acct-Input-Gigawords = ${s.up / TWO_32}`,
      `Acct-Output-Octets = ${s.down % TWO_32}`,
      `Acct-Output-Gigawords = ${s.down / TWO_32}`,
      `Acct-Input-Packets = ${s.upPackets % 2 ** 32}`,
      `Acct-Output-Packets = ${s.downPackets % 2 ** 32}`,
    );
  }
  if (status === 'Stop') lines.push('Acct-Terminate-Cause = User-Request');
  return `${lines.join('\n')}\n\n`;
}

