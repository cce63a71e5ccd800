// Starts the built wispmeter collector (dist/cli/main.js collect) on loopback ports for the bench, and stops it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/servers/free-port.js';
import { fetchWithin, startServerProcess, type ServerProcess } from '../../test/servers/server-process.js';
import { answers } from './radclient.js';
import { freeUdpPort } from './udp-port.js';

// WISPMETER_MAIN points the bench at another build (e.g. a worktree's dist) without touching this checkout.
export const WISPMETER_MAIN = resolve(process.env.WISPMETER_MAIN ?? resolve(import.meta.dirname, '../../dist/cli/main.js'));

export interface WispmeterCollector {
  target: string;
  metricsUrl: string;
  dataDir: string;
  pid: number;
  /** The radius-related lines of /metrics, read just before stopping. */
  metrics(): Promise<string[]>;
  output(): string;
  stop(): Promise<void>;
}

/** Why the collector cannot be benchmarked in this checkout, or undefined if it can. */
export function wispmeterMissing(): string | undefined {
  return existsSync(WISPMETER_MAIN) ? undefined : `${WISPMETER_MAIN} does not exist (run npm run build first)`;
}

/** Runs `collect` with the bench's flags; resolves once its metrics port and RADIUS port both answer. */
export async function startWispmeter(opts: { secret: string; workDir: string; keep?: boolean }): Promise<WispmeterCollector> {
  const { secret } = opts;
  const dataDir = mkdtempSync(join(tmpdir(), 'wispmeter-bench-collect-'));
  const target = `127.0.0.1:${await freeUdpPort()}`;
  const metricsListen = `127.0.0.1:${await freePort()}`;
  const metricsUrl = `http://${metricsListen}/metrics`;
  const probe = join(opts.workDir, 'wispmeter-probe');
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      name: 'wispmeter',
      binary: process.execPath,
      args: [WISPMETER_MAIN, 'collect', '--data-dir', dataDir, '--radius-listen', target,
        '--radius-client', `127.0.0.1/32=${secret}`, '--metrics-listen', metricsListen],
      // Metrics first (cheap HTTP), then a RADIUS probe: the UDP socket may bind after the HTTP server.
      ready: async () => (await fetchWithin(metricsUrl)).ok && (await answers(target, secret, probe)),
      readyTimeoutMs: 30_000,
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    target,
    metricsUrl,
    dataDir,
    pid: server.pid,
    async metrics() {
      const text = await (await fetchWithin(metricsUrl)).text();
      return text.split('\n').filter((l) => /radius|spool/i.test(l) && !l.startsWith('#')).slice(0, 80);
    },
    output: () => server.output(),
    async stop() {
      await server.stop(30_000);
      if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
