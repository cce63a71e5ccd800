// Bench: the same radclient load against FreeRADIUS (detail file) and against wispmeter collect; prints and saves both.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { countDetailRecords, startFreeRadius } from './freeradius.js';
import { DEFAULT_LOAD, runLoad, writeLoadFile, type LoadFile, type LoadResult } from './load.js';
import { startWispmeter, wispmeterMissing } from './wispmeter-collector.js';

const SECRET = 'bench-secret-not-for-production';
const RESULTS_DIR = resolve(import.meta.dirname, '../results');

interface ServerResult {
  /** Median over the runs; each run starts a fresh server, so no run answers from another run's state. */
  wallMs: number;
  runsMs: number[];
  requestsPerSecond: number;
  allAnswered: boolean;
  exitCode: number | null;
  summary: LoadResult['summary'];
  serverCpuSeconds: number | undefined;
  radclientCpuSeconds: number | undefined;
  extra: Record<string, unknown>;
}

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: String(DEFAULT_LOAD.sessions) },
    interims: { type: 'string', default: String(DEFAULT_LOAD.interims) },
    parallel: { type: 'string', default: '64' },
    stops: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '0' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const only = args.only;
  if (only !== undefined && only !== 'freeradius' && only !== 'wispmeter') throw new Error('--only takes freeradius or wispmeter');
  const parallel = positive(args.parallel, '--parallel');
  const runs = positive(args.runs, '--runs');
  const work = mkdtempSync(join(tmpdir(), 'wispmeter-bench-'));
  try {
    const load = await writeLoadFile(join(work, 'load.txt'), {
      ...DEFAULT_LOAD,
      sessions: positive(args.sessions, '--sessions'),
      interims: positive(args.interims, '--interims'),
      stops: args.stops,
      endTime: Math.floor(Date.now() / 1000),
      chunkPackets: Number(args.chunk) > 0 ? positive(args.chunk, '--chunk') : 0,
    });
    const split = load.files.length > 1 ? ` in ${load.files.length} files sent one after the other` : ' in one file';
    console.log(`load: ${load.packets} packets (${load.starts} Starts, ${load.interims} Interim-Updates, ${load.stops} Stops)${split}, radclient -p ${parallel} -r 3 -t 3`);
    if (load.files.length === 1 && load.packets > 5000) {
      // Measured here: one 20,200-packet file costs radclient ~5 s CPU, eleven 2,000-packet files ~1.4 s in all.
      console.log(`note: one radclient file of ${load.packets} packets; radclient's cost grows about quadratically with a file's packets, so wall time is mostly radclient's (--chunk 2000 measures the servers)`);
    }

    const missing = wispmeterMissing();
    if (only !== 'freeradius' && missing) console.log(`wispmeter: skipped, ${missing}`);
    const fr: ServerResult[] = [];
    const wm: ServerResult[] = [];
    // Interleaved (F, W, F, W, …) so a burst of load from elsewhere on the host hits both alike.
    for (let i = 0; i < runs; i++) {
      if (only !== 'wispmeter') fr.push(await benchFreeRadius(load, parallel));
      if (only !== 'freeradius' && !missing) wm.push(await benchWispmeter(load, parallel, work));
    }
    const freeradius = median(fr);
    const wispmeter = median(wm);
    if (runs > 1) {
      if (freeradius) console.log(`FreeRADIUS median of ${runs}: ${(freeradius.wallMs / 1000).toFixed(2)} s, ${freeradius.requestsPerSecond} requests/s`);
      if (wispmeter) console.log(`wispmeter median of ${runs}: ${(wispmeter.wallMs / 1000).toFixed(2)} s, ${wispmeter.requestsPerSecond} requests/s`);
    }

    const ratio = freeradius && wispmeter ? wispmeter.wallMs / freeradius.wallMs : undefined;
    if (ratio !== undefined) {
      const faster = ratio < 1 ? `wispmeter is ${(1 / ratio).toFixed(2)}x faster` : `FreeRADIUS is ${ratio.toFixed(2)}x faster`;
      console.log(`ratio wispmeter/FreeRADIUS wall time: ${ratio.toFixed(2)} (${faster})`);
    }
    const { files, ...loadCounts } = load;
    const file = writeResult({ load: { ...loadCounts, radclientFiles: files.length }, parallel, runs, freeradius, wispmeter, wispmeterSkipped: only === 'freeradius' ? '--only freeradius' : missing, ratio });
    console.log(`result: ${file}`);
    const failed = [...fr, ...wm].some((r) => !r.allAnswered);
    return failed ? 1 : 0;
  } finally {
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

async function benchFreeRadius(load: LoadFile, parallel: number): Promise<ServerResult> {
  const server = await startFreeRadius({ secret: SECRET, keep: args.keep });
  try {
    const before = countDetailRecords(server.detailFile);
    const run = await runLoad(load, server.target, SECRET, parallel, server.pid);
    const written = countDetailRecords(server.detailFile) - before;
    report(`FreeRADIUS ${server.version}`, run, `${written} detail records`);
    return toResult(run, { version: server.version, detailRecords: written, dir: args.keep ? server.dir : undefined });
  } finally {
    await server.stop();
  }
}

async function benchWispmeter(load: LoadFile, parallel: number, work: string): Promise<ServerResult> {
  const server = await startWispmeter({ secret: SECRET, workDir: work, keep: args.keep });
  try {
    const run = await runLoad(load, server.target, SECRET, parallel, server.pid);
    const metrics = await server.metrics().catch((err: unknown) => [`metrics unavailable: ${String(err)}`]);
    report('wispmeter', run, `${metrics.length} radius/spool metric lines`);
    if (!run.allAnswered) console.log(server.output().slice(-2000));
    return toResult(run, { metrics, dataDir: args.keep ? server.dataDir : undefined });
  } finally {
    await server.stop();
  }
}

function report(name: string, run: LoadResult, note: string): void {
  const s = run.summary;
  const answered = s ? `${s.accepted} answered, ${s.rejected} rejected, ${s.lost} lost` : 'no radclient summary';
  const cpu = `CPU: server ${seconds(run.serverCpuSeconds)}, radclient ${seconds(run.radclientCpuSeconds)}`;
  console.log(`${name}: ${(run.wallMs / 1000).toFixed(2)} s wall, ${Math.round(run.requestsPerSecond)} requests/s, ${answered}, exit ${run.exitCode}; ${cpu}; ${note}${run.allAnswered ? '' : ' — NOT ALL ANSWERED'}`);
  if (!run.allAnswered) console.log(run.output);
}

function seconds(s: number | undefined): string {
  return s === undefined ? 'n/a' : `${s.toFixed(2)} s`;
}

function toResult(run: LoadResult, extra: Record<string, unknown>): ServerResult {
  const { wallMs, requestsPerSecond, allAnswered, exitCode, summary, serverCpuSeconds, radclientCpuSeconds } = run;
  return {
    wallMs: Math.round(wallMs), runsMs: [Math.round(wallMs)], requestsPerSecond: Math.round(requestsPerSecond),
    allAnswered, exitCode, summary, serverCpuSeconds, radclientCpuSeconds, extra,
  };
}

/** The median run, carrying every run's wall time; all runs must have answered everything to count as answered. */
function median(results: ServerResult[]): ServerResult | undefined {
  if (results.length === 0) return undefined;
  const sorted = [...results].sort((a, b) => a.wallMs - b.wallMs);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...mid, runsMs: results.map((r) => r.wallMs), allAnswered: results.every((r) => r.allAnswered) };
}

function writeResult(result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const at = new Date();
  const file = join(RESULTS_DIR, `radius-${at.toISOString().replace(/[:.]/g, '-')}.json`);
  const host = { cpus: cpus().length, cpuModel: cpus()[0]?.model, os: `${osType()} ${release()}`, node: process.version };
  writeFileSync(file, `${JSON.stringify({ bench: 'radius', at: at.toISOString(), host, ...result }, null, 2)}\n`);
  return file;
}

function positive(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got ${text}`);
  return n;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 2;
});
