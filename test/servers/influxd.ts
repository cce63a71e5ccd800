// The real InfluxDB 1.x (influxd) for integration tests: temp dirs, loopback ports, one database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { fetchWithin, findBinary, startServerProcess, type ServerProcess } from './server-process.js';

export interface InfluxdServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The database created at start. */
  database: string;
  /** SIGTERM and wait (bounded); data and config stay for restart(). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and directories, waiting until /ping answers. */
  restart(): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
}

export interface StartInfluxdOptions {
  database?: string;
  readyTimeoutMs?: number;
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  // Every listener on loopback: the top-level bind-address (backup/restore RPC) defaults to :8088.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"

[continuous_queries]
  enabled = false
`;
}

export async function startInfluxd(opts: StartInfluxdOptions = {}): Promise<InfluxdServer> {
  const binary = findBinary('influxd', 'apt-get install influxdb');
  const database = opts.database ?? 'wispmeter';
  const dir = mkdtempSync(join(tmpdir(), 'wispmeter-influxd-'));
  const [port, rpcPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const configPath = join(dir, 'influxdb.conf');
  writeFileSync(configPath, configText(dir, port, rpcPort));

  const launch = async (): Promise<ServerProcess> =>
    await startServerProcess({
      name: 'influxd',
      binary,
      args: ['run', '-config', configPath],
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      ready: async () => (await fetchWithin(`${url}/ping`)).status === 204,
    });

  let proc: ServerProcess;
  try {
    proc = await launch();
    const body = new URLSearchParams({ q: `CREATE DATABASE "${database}"` });
    const res = await fetchWithin(`${url}/query`, { method: 'POST', body }, 10_000);
    if (!res.ok) throw new Error(`influxd: CREATE DATABASE answered ${res.status}: ${await res.text()}`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    database,
    stop: async () => await proc.stop(),
    kill: async () => await proc.kill(),
    async restart() {
      await proc.stop();
      proc = await launch();
    },
    async dispose() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
