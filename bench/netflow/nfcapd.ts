// Runs nfdump's collector `nfcapd -B 8000000` in the foreground on 127.0.0.1 for the bench, and counts what it stored.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary, startServerProcess } from '../../test/servers/server-process.js';
import { processCpuSeconds } from '../radius/proc-cpu.js';
import { freeUdpPort } from '../radius/udp-port.js';
import { udpSocketState } from './kernel-udp.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

const run = promisify(execFile);

/** nfdump -I over everything nfcapd wrote. */
export interface NfdumpSummary {
  flows: number;
  bytes: number;
  sequenceFailures: number;
}

export interface Nfcapd {
  port: number;
  pid: number;
  version: string;
  cpuSeconds(): number | undefined;
  output(): string;
  /** SIGTERM: nfcapd closes its current file (renamed to nfcapd.YYYYMMDDhhmm) and prints its totals. */
  stop(): Promise<void>;
  /** `nfdump -R DIR -I` after stop(). */
  summary(): Promise<NfdumpSummary>;
  remove(): void;
}

export function nfcapdMissing(): string | undefined {
  try {
    findBinary('nfcapd', 'apt-get install nfdump');
    findBinary('nfdump', 'apt-get install nfdump');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function startNfcapd(opts: { bufferBytes: number; keep?: boolean }): Promise<Nfcapd> {
  const binary = findBinary('nfcapd', 'apt-get install nfdump');
  const dir = makeTempDir('wispmeter-bench-nfcapd-');
  const port = await freeUdpPort();
  const version = (await run(binary, ['-V'], { timeout: 5000 }).then((r) => r.stdout + r.stderr, () => '')).match(/Version:\s*(\S+)/)?.[1] ?? 'unknown';
  let server;
  try {
    // No -D: it stays in the foreground as our child. -t 3600: no file rotation during a run (nfdump -R reads
    // every file in the directory anyway, should an hour boundary fall inside one).
    server = await startServerProcess({
      name: 'nfcapd',
      binary,
      args: ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-B', String(opts.bufferBytes), '-t', '3600'],
      ready: async () => udpSocketState(port).sockets > 0,
      readyTimeoutMs: 15_000,
    });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const s = server;
  return {
    port,
    pid: s.pid,
    version,
    cpuSeconds: () => processCpuSeconds(s.pid),
    output: () => s.output(),
    async stop() {
      await s.stop(30_000);
    },
    async summary() {
      const { stdout } = await run(findBinary('nfdump', 'apt-get install nfdump'), ['-R', dir, '-I'], { timeout: 60_000 });
      const field = (name: string): number => {
        const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(stdout);
        if (!m) throw new Error(`nfdump -I: no "${name}" line in:\n${stdout}`);
        return Number(m[1]);
      };
      return { flows: field('Flows'), bytes: field('Bytes'), sequenceFailures: field('Sequence failures') };
    },
    remove() {
      if (!opts.keep) removeTempDir(dir);
      else console.log(`nfcapd dir kept: ${dir}`);
    },
  };
}
