// Runs one `wispmeter` subcommand from source and returns what it printed and how it exited.
import { spawn } from 'node:child_process';
import { cliArgs, ROOT } from './collector-process.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`) and returns what it printed and how it exited. */
export function runProcess(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return runProcess(process.execPath, cliArgs(...args), { cwd: ROOT, timeoutMs });
}

/** `wispmeter usage --format json` parsed with its integers kept exact. */
export async function usageJson(args: string[]): Promise<Map<string, { bytesDown: bigint; bytesUp: bigint }>> {
  const r = await runCli(['usage', '--format', 'json', ...args]);
  if (r.code !== 0) throw new Error(`wispmeter usage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  const out = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
  // The contract is integers of any size: read the digits, not JSON numbers (which round past 2^53).
  for (const m of r.stdout.matchAll(/\{"subscriber":("(?:[^"\\]|\\.)*"),(?:"class":"(?:[^"\\]|\\.)*",)?(?:"time":"[^"]*",)?"bytesDown":(\d+),"bytesUp":(\d+)\}/g)) {
    out.set(JSON.parse(m[1]!) as string, { bytesDown: BigInt(m[2]!), bytesUp: BigInt(m[3]!) });
  }
  return out;
}
