// Runs the real radclient (freeradius-utils) and reads which requests of its file were answered.
import { spawn } from 'node:child_process';
import { findBinary } from '../servers/server-process.js';

export interface RadclientRun {
  code: number | null;
  /** Indexes (in file order) of the requests that got an Accounting-Response. */
  acked: Set<number>;
  sent: number;
  output: string;
}

export interface RadclientOptions {
  file: string;
  host?: string;
  port: number;
  secret: string;
  /** Requests in flight (-p). */
  parallel?: number;
  /** Retransmissions on timeout (-r) and the wait before each (-t, seconds). */
  retries?: number;
  timeoutS?: number;
  /** Kill radclient after this long (the run is bounded even when the server never answers). */
  killAfterMs?: number;
  /** Called on each answered request, with its index and how many are answered so far. */
  onAck?: (index: number, count: number) => void;
  /** Kills radclient at once (a NAS that goes away mid-run). */
  signal?: AbortSignal;
}

/**
 * radclient sends a file's requests in order and prints `Sent … Id N` (again for a retransmission, with the same
 * Id while it is outstanding) and `Received … Id N`; an Id is never reused while outstanding, so the order of
 * those lines maps each answer to its request.
 */
export function runRadclient(opts: RadclientOptions): Promise<RadclientRun> {
  const binary = findBinary('radclient', 'apt-get install freeradius-utils');
  const args = ['-x', '-f', opts.file, '-p', String(opts.parallel ?? 16), '-r', String(opts.retries ?? 3), '-t', String(opts.timeoutS ?? 2),
    `${opts.host ?? '127.0.0.1'}:${opts.port}`, 'acct', opts.secret];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const outstanding = new Map<number, number>();
  const acked = new Set<number>();
  let sent = 0;
  let output = '';
  let partial = '';
  const onLine = (line: string): void => {
    const s = /^Sent \S+ Id (\d+) /.exec(line);
    if (s) {
      const id = Number(s[1]);
      if (!outstanding.has(id)) outstanding.set(id, sent++);
      return;
    }
    const r = /^Received \S+ Id (\d+) /.exec(line);
    if (r) {
      const index = outstanding.get(Number(r[1]));
      outstanding.delete(Number(r[1]));
      if (index !== undefined && !acked.has(index)) {
        acked.add(index);
        opts.onAck?.(index, acked.size);
      }
      return;
    }
    const n = /No reply from server for ID (\d+)/.exec(line);
    if (n) outstanding.delete(Number(n[1]));
  };
  const onData = (chunk: Buffer): void => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('\t')) output = (output + line + '\n').slice(-20_000);
      onLine(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
  opts.signal?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (partial) onLine(partial);
      resolve({ code, acked, sent, output });
    });
  });
}
