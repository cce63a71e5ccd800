// Runs radclient (freeradius-utils) and reads its summary: the load driver and the readiness probe of the bench.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { findBinary } from '../../test/servers/server-process.js';
import { reapedChildrenCpuSeconds } from './proc-cpu.js';

export interface RadclientSummary {
  /** Requests that got a response (Accounting-Response for acct). */
  accepted: number;
  rejected: number;
  /** Requests still unanswered after every retry. */
  lost: number;
}

export interface RadclientRun {
  exitCode: number | null;
  wallMs: number;
  /** CPU seconds radclient itself used: at 20,000 packets it is a large part of the wall time. */
  radclientCpuSeconds: number | undefined;
  summary: RadclientSummary | undefined;
  /** Last part of radclient's output, for a failure message. */
  output: string;
}

export interface RadclientOptions {
  file: string;
  /** "127.0.0.1:PORT". */
  target: string;
  secret: string;
  parallel: number;
  retries: number;
  timeoutSeconds: number;
  /** Upper bound on the whole run; radclient is killed past it. */
  deadlineMs: number;
}

export function radclientBinary(): string {
  return findBinary('radclient', 'apt-get install freeradius-utils');
}

/** Sends every packet of `file` as Accounting-Requests and times the whole run, wall clock. */
export async function runRadclient(o: RadclientOptions): Promise<RadclientRun> {
  const args = ['-f', o.file, '-p', String(o.parallel), '-r', String(o.retries), '-t', String(o.timeoutSeconds), '-q', '-s', o.target, 'acct', o.secret];
  const cpuBefore = reapedChildrenCpuSeconds();
  const started = performance.now();
  const { exitCode, output } = await runBounded(radclientBinary(), args, o.deadlineMs);
  const wallMs = performance.now() - started;
  const cpuAfter = reapedChildrenCpuSeconds();
  const radclientCpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { exitCode, wallMs, radclientCpuSeconds, summary: parseSummary(output), output: output.slice(-2000) };
}

/**
 * True once the server at `target` answers a probe. Status-Server (RFC 5997) first: wispmeter and the bench's
 * FreeRADIUS (status_server = yes) answer it on the accounting port. A server that does not gets an
 * Accounting-On, which is harmless before any session exists.
 */
export async function answers(target: string, secret: string, probeFile: string): Promise<boolean> {
  const status = await runBounded(radclientBinary(), ['-r', '1', '-t', '0.5', '-q', '-f', writeProbe(probeFile, 'status'), target, 'status', secret], 3_000);
  if (status.exitCode === 0) return true;
  const on = await runBounded(radclientBinary(), ['-r', '1', '-t', '0.5', '-q', '-f', writeProbe(probeFile, 'on'), target, 'acct', secret], 3_000);
  return on.exitCode === 0;
}

function writeProbe(file: string, kind: 'status' | 'on'): string {
  const path = `${file}.${kind}`;
  const body = kind === 'status'
    ? 'Message-Authenticator = 0x00\n'
    : 'Acct-Status-Type = Accounting-On\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "bench-nas"\nAcct-Session-Id = "bench-probe"\nAcct-Delay-Time = 0\n';
  writeFileSync(path, body);
  return path;
}

/** radclient -s prints "Accepted : N", "Rejected : N", "Lost : N"; undefined if it printed no summary. */
export function parseSummary(output: string): RadclientSummary | undefined {
  const read = (label: string): number | undefined => {
    const m = new RegExp(`^\\s*${label}\\s*:\\s*(\\d+)\\s*$`, 'm').exec(output);
    return m ? Number(m[1]) : undefined;
  };
  const accepted = read('Accepted');
  const rejected = read('Rejected');
  const lost = read('Lost');
  if (accepted === undefined || rejected === undefined || lost === undefined) return undefined;
  return { accepted, rejected, lost };
}

async function runBounded(binary: string, args: string[], deadlineMs: number): Promise<{ exitCode: number | null; output: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`radclient: could not run ${binary}`, { cause: err }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, output });
    });
  });
}
