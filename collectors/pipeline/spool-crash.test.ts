// Crash test: a child appends until SIGKILL; every append it acknowledged must be readable exactly once after reopen.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Spool } from './spool.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wispmeter-crash-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it has acknowledged `acks` appends, then SIGKILLs it; returns the acknowledged ids. */
function runAndKill(round: string, acks: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'spool-crash-child.ts'), dir, round], {
      cwd: join(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (!killed && out.split('\n').length > acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own: ${err}`));
      // The last line may have been cut by the kill; only whole lines are acknowledgements.
      const lines = out.split('\n').slice(0, -1).filter((l) => l !== 'ready');
      resolve(lines);
    });
  });
}

it('keeps every acknowledged append across SIGKILLs, exactly once', async () => {
  const acked: string[] = [];
  for (const round of ['r1', 'r2']) acked.push(...(await runAndKill(round, 4000)));

  const spool = await Spool.open(dir, { maxBytes: 1 << 30, segmentBytes: 64 * 1024, logger: pino({ level: 'silent' }) });
  try {
    const seen = new Map<string, number>();
    for (let pos = spool.startOffset; ; ) {
      const batch = await spool.read(pos, 5000);
      if (batch.length === 0) break;
      for (const e of batch) for (const r of e.entry.records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      pos = batch[batch.length - 1]!.next;
    }
    expect(acked.length).toBeGreaterThanOrEqual(8000);
    const missing = acked.filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    expect([...seen].filter(([, n]) => n !== 1)).toEqual([]);

    // The state rebuilt on open is at least as new as every acknowledged append.
    const state = spool.state('crash');
    for (const id of acked) {
      const [round, a, i] = id.split(':');
      expect(state.get(`${round}:${a}`)).toBeGreaterThanOrEqual(Number(i));
    }
  } finally {
    await spool.close();
  }
});
