// `wispmeter bill run` as real processes on real files: two at once make one invoice per customer, and a run killed
// with SIGKILL (between transactions, or at a random moment) finishes on rerun with no duplicate and no gap.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../scripts/prng.js';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { cliArgs, ROOT } from './wispmeter/collector-process.js';

const CUSTOMERS = 24;

interface Bill {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `wispmeter bill run`; `onLine` sees each stderr line with a way to SIGKILL the process. Bounded by 60 s. */
function billRun(world: BillingWorld, env: Record<string, string>, onLine?: (line: string, kill: () => void) => void): Promise<Bill> {
  const child = spawn(process.execPath, cliArgs('bill', 'run', '--config', world.config, '--period', '2025-12', '--batch', '1'), {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  let partial = '';
  const kill = () => child.kill('SIGKILL');
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine?.(line, kill);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

interface LedgerState {
  finalized: { customer: string; sequence: number; number: string }[];
  drafts: string[];
  lastSequence: number | undefined;
}

function ledgerState(world: BillingWorld): LedgerState {
  const db = new Database(world.ledger, { readonly: true });
  try {
    return {
      finalized: db.prepare("SELECT customer_id AS customer, sequence, number FROM invoice WHERE kind = 'invoice' AND status = 'finalized' ORDER BY sequence").all() as LedgerState['finalized'],
      drafts: (db.prepare("SELECT customer_id FROM invoice WHERE status = 'draft' ORDER BY customer_id").all() as { customer_id: string }[]).map((r) => r.customer_id),
      lastSequence: (db.prepare("SELECT last_sequence FROM number_series WHERE kind = 'invoice'").get() as { last_sequence: number } | undefined)?.last_sequence,
    };
  } finally {
    db.close();
  }
}

/** One finalized invoice per customer, numbered 1…n without a gap, and the series at n. */
function expectComplete(world: BillingWorld, s: LedgerState): void {
  expect(s.drafts).toEqual([]);
  expect(s.finalized.map((f) => f.customer).sort()).toEqual(world.customerIds);
  expect(s.finalized.map((f) => f.sequence)).toEqual(Array.from({ length: world.customerIds.length }, (_, i) => i + 1));
  expect(new Set(s.finalized.map((f) => f.number)).size).toBe(world.customerIds.length);
  expect(s.lastSequence).toBe(world.customerIds.length);
}

const finalizedCount = (b: Bill) => Number(/(\d+) finalized/.exec(b.stdout)?.[1] ?? NaN);

describe('bill run as real processes', () => {
  let dir: string;
  let usage: ReturnType<typeof monthOfUsage>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-bill-proc-'));
    usage = monthOfUsage(writeBillingWorld(join(dir, 'proto'), CUSTOMERS), 2025, 12, 500_000_000n);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function world(name: string): Promise<BillingWorld> {
    const w = writeBillingWorld(join(dir, name), CUSTOMERS);
    await seedUsage(w, usage);
    return w;
  }

  it('two runs at once produce one invoice per customer, numbered without a gap', async () => {
    const w = await world('concurrent');
    // A pause after every transaction keeps both processes inside the customer list at the same time: 24 customers
    // × 2 transactions × 100 ms outlast the seconds one process may start later than the other on a busy host.
    const env = { WISPMETER_TEST_STEP_DELAY_MS: '100' };
    const [a, b] = await Promise.all([billRun(w, env), billRun(w, env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(finalizedCount(a) + finalizedCount(b)).toBe(CUSTOMERS);
    // Both were working at once, as the ledger's run log records: each run started before the other finished, and
    // each went through the whole customer list (finalized or found finalized by the other). Which process wins a
    // given customer is the scheduler's choice, so the test does not ask that each won one.
    const db = new Database(w.ledger, { readonly: true });
    let runs: { pid: number; started_at: string; finished_at: string; status: string; finalized: number; skipped: number }[];
    try {
      runs = db.prepare('SELECT pid, started_at, finished_at, status, finalized, skipped FROM billing_run ORDER BY id').all() as typeof runs;
    } finally {
      db.close();
    }
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished']);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(2);
    expect(runs[0]!.started_at < runs[1]!.finished_at && runs[1]!.started_at < runs[0]!.finished_at).toBe(true);
    for (const r of runs) expect(r.finalized + r.skipped).toBe(CUSTOMERS);
    expectComplete(w, ledgerState(w));
  });

  it('killed between draft and finalization, the rerun finalizes the draft into the next number', async () => {
    const w = await world('kill-draft');
    const killed = await billRun(w, { WISPMETER_TEST_KILL_AFTER: 'drafted:5' });
    expect(killed.signal).toBe('SIGKILL');
    const mid = ledgerState(w);
    expect(mid.finalized.map((f) => f.sequence)).toEqual([1, 2, 3, 4]);
    expect(mid.drafts).toEqual([w.customerIds[4]]);
    const rerun = await billRun(w, {});
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(finalizedCount(rerun)).toBe(CUSTOMERS - 4);
    const end = ledgerState(w);
    expectComplete(w, end);
    expect(end.finalized[4]!.customer).toBe(w.customerIds[4]);
  });

  it('killed at random moments over several runs, it still ends gap-free with no duplicate', async () => {
    const w = await world('kill-random');
    const rnd = mulberry32(20251201);
    const env = { WISPMETER_TEST_STEP_DELAY_MS: '10' };
    let kills = 0;
    for (let trial = 0; trial < 4; trial++) {
      let k: Bill;
      if (trial % 2 === 0) {
        // After a random number (1 to 8) of this process's committed steps: lands in the pause between transactions.
        const after = 1 + Math.floor(rnd() * 8);
        k = await billRun(w, env, (line, kill) => {
          if (Number(/^bill: \w+ (\d+)$/.exec(line)?.[1] ?? 0) >= after) kill();
        });
      } else {
        // After a random time once the first step is committed: lands anywhere, inside a transaction included.
        const ms = Math.floor(rnd() * 150);
        let armed = false;
        k = await billRun(w, env, (line, kill) => {
          if (!armed && /^bill: /.test(line)) {
            armed = true;
            setTimeout(kill, ms);
          }
        });
      }
      if (k.signal === 'SIGKILL') kills++;
      const s = ledgerState(w);
      // Whatever the moment, what is finalized is numbered 1…n and nothing is finalized twice.
      expect(s.finalized.map((f) => f.sequence)).toEqual(Array.from({ length: s.finalized.length }, (_, i) => i + 1));
      expect(new Set(s.finalized.map((f) => f.customer)).size).toBe(s.finalized.length);
      expect(s.lastSequence ?? 0).toBe(s.finalized.length);
    }
    const done = await billRun(w, {});
    expect(done.code, done.stderr).toBe(0);
    expectComplete(w, ledgerState(w));
    expect(kills).toBeGreaterThan(0);
  });
});
