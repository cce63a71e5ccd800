// Runs `wispmeter collect` from source as its own process, as a NOC engineer would, for end-to-end tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../servers/free-port.js';
import { fetchWithin, startServerProcess, type ServerProcess } from '../servers/server-process.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** argv that runs the CLI from its TypeScript source (so tests never run a stale dist/). */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args];
}

export interface CollectorProcess {
  proc: ServerProcess;
  radiusPort: number;
  metricsUrl: string;
  configFile: string;
  /** The Prometheus text, parsed into `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>;
  /** Resolves once every sink's lag is 0 twice in a row (bounded by timeoutMs). */
  waitCaughtUp(timeoutMs?: number): Promise<void>;
}

/**
 * Writes `config` (YAML text with {RADIUS_PORT}, {METRICS_PORT} and {DATA_DIR} placeholders) to DATA_DIR/../wispmeter.yaml
 * and starts the collector on it; ready once /metrics answers (the last unit to start).
 */
export async function startCollector(opts: { dir: string; config: string; radiusPort?: number; metricsPort?: number }): Promise<CollectorProcess> {
  const radiusPort = opts.radiusPort ?? (await freePort());
  const metricsPort = opts.metricsPort ?? (await freePort());
  const configFile = join(opts.dir, 'wispmeter.yaml');
  writeFileSync(
    configFile,
    opts.config
      .replaceAll('{RADIUS_PORT}', String(radiusPort))
      .replaceAll('{METRICS_PORT}', String(metricsPort))
      .replaceAll('{DATA_DIR}', join(opts.dir, 'data')),
  );
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const proc = await startServerProcess({
    name: 'wispmeter collect',
    binary: process.execPath,
    args: cliArgs('collect', '--config', configFile),
    cwd: ROOT,
    ready: async () => (await fetchWithin(metricsUrl, {}, 1000)).ok,
    readyTimeoutMs: 30_000,
  });
  const metrics = async (): Promise<Map<string, number>> => parsePrometheus(await (await fetchWithin(metricsUrl)).text());
  return {
    proc,
    radiusPort,
    metricsUrl,
    configFile,
    metrics,
    async waitCaughtUp(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let zeroes = 0;
      let last = '';
      while (Date.now() < deadline) {
        const m = await metrics();
        const lags = [...m].filter(([k]) => k.startsWith('wispmeter_sink_lag_bytes{'));
        last = lags.map(([k, v]) => `${k}=${v}`).join(', ');
        zeroes = lags.length > 0 && lags.every(([, v]) => v === 0) ? zeroes + 1 : 0;
        if (zeroes >= 2) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`sinks did not catch up within ${timeoutMs} ms: ${last}\n${proc.output()}`);
    },
  };
}

export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Sum of every series of a metric whose labels include all of `labels` (e.g. reason="bad-authenticator"). */
export function metricSum(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of m) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}
