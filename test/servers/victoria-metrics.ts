// The real VictoriaMetrics single-node for integration tests: it accepts InfluxDB line protocol (v1 and v2 write).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { fetchWithin, findBinary, startServerProcess, type ServerProcess } from './server-process.js';

export interface VictoriaMetricsServer {
  url: string;
  port: number;
  /** Make everything ingested so far visible to queries and exports (it buffers for about a second). */
  flush(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
}

export interface StartVictoriaMetricsOptions {
  /** Extra flags, e.g. ["-dedup.minScrapeInterval=1ms"]. */
  args?: string[];
  readyTimeoutMs?: number;
}

export async function startVictoriaMetrics(opts: StartVictoriaMetricsOptions = {}): Promise<VictoriaMetricsServer> {
  const binary = findBinary('victoria-metrics', 'apt-get install victoria-metrics');
  const dir = mkdtempSync(join(tmpdir(), 'wispmeter-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ServerProcess;
  try {
    proc = await startServerProcess({
      name: 'victoria-metrics',
      binary,
      args: [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${dir}`,
        // Test data sits near "now"; a long retention keeps a slow test run from ageing it out.
        '-retentionPeriod=100y',
        '-loggerLevel=ERROR',
        ...(opts.args ?? []),
      ],
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      ready: async () => (await fetchWithin(`${url}/health`)).ok,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    async flush() {
      const res = await fetchWithin(`${url}/internal/force_flush`, {}, 10_000);
      if (!res.ok) throw new Error(`victoria-metrics: force_flush answered ${res.status}`);
    },
    stop: async () => await proc.stop(),
    kill: async () => await proc.kill(),
    async dispose() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
