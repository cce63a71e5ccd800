// Runs one real server binary for a test: spawn, wait until it answers, stop or kill, never leak it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Children still running; killed when the test worker exits, also after a failed or aborted test. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Absolute path of `name` on PATH (or /usr/sbin, /usr/bin), or an Error that says what to install. */
export function findBinary(name: string, install: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found on PATH: these integration tests need the real server; install it with "${install}"`);
}

export interface ServerProcessOptions {
  /** Short name used in errors, e.g. "influxd". */
  name: string;
  binary: string;
  args: string[];
  /** Resolves true once the server answers; called until it does or `readyTimeoutMs` passes. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  cwd?: string;
}

/** A started server process; `stop()` asks it to exit (SIGTERM, then SIGKILL), `kill()` does not ask. */
export interface ServerProcess {
  readonly pid: number;
  /** The last lines it wrote to stdout and stderr, for error messages. */
  output(): string;
  /** How it ended, once it has. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stop(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
}

const OUTPUT_KEEP = 8192;

export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(opts.binary, opts.args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const waitExit = async (timeoutMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([exitPromise.then(() => true), timedOut]);
    clearTimeout(timer);
    return done;
  };
  const handle: ServerProcess = {
    pid: child.pid ?? -1,
    output: () => output,
    exit: () => exited,
    async stop(timeoutMs = 10_000) {
      if (exited) return;
      child.kill('SIGTERM');
      if (!(await waitExit(timeoutMs))) {
        child.kill('SIGKILL');
        await waitExit(5_000);
      }
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await waitExit(5_000);
    },
  };

  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 0, undefined))]);
    if (failure) throw new Error(`${opts.name}: could not start ${opts.binary}`, { cause: failure });
    if (exited) {
      throw new Error(`${opts.name} exited (code ${exited.code}, signal ${exited.signal}) before it was ready:\n${output}`);
    }
    if (await opts.ready().catch(() => false)) return handle;
    if (Date.now() > deadline) {
      await handle.kill();
      throw new Error(`${opts.name} did not answer within ${timeoutMs} ms (killed it):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** fetch with a bounded wait, for readiness probes and test set-up. */
export async function fetchWithin(url: string, init: RequestInit = {}, timeoutMs = 2_000): Promise<Response> {
  return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
