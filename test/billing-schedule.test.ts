// `wispmeter bill schedule` as real processes: periods billed on each customer's billing day in their zone, three
// missed periods caught up in order, and one scheduler at a time (a second one stands by; a dead holder is replaced).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duePeriods } from '../billing-export/run/schedule.js';
import { loadCatalog } from '../config/catalog-load.js';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { cliArgs, ROOT } from './wispmeter/collector-process.js';

interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function schedule(world: BillingWorld, args: string[], env: Record<string, string> = {}, onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Proc> {
  const child = spawn(process.execPath, cliArgs('bill', 'schedule', '--config', world.config, ...args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  const kill = (s: NodeJS.Signals) => child.kill(s);
  const feed = (c: Buffer, into: 'out' | 'err') => {
    const text = c.toString();
    if (into === 'out') stdout += text;
    else stderr += text;
    for (const line of text.split('\n')) if (line) onLine?.(line, kill);
  };
  child.stdout.on('data', (c: Buffer) => feed(c, 'out'));
  child.stderr.on('data', (c: Buffer) => feed(c, 'err'));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function invoices(world: BillingWorld): { customer: string; period: string; number: string; series: string; sequence: number; issueDate: string }[] {
  const db = new Database(world.ledger, { readonly: true });
  try {
    return db.prepare("SELECT customer_id AS customer, period_label AS period, number, series, sequence, issue_date AS issueDate FROM invoice WHERE status = 'finalized' ORDER BY id").all() as ReturnType<typeof invoices>;
  } finally {
    db.close();
  }
}

describe('bill schedule', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-schedule-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bills on the billing day in each zone, and catches up a gap of three periods with three invoices, in order', async () => {
    // C-0001 and C-0003 are in Chicago (06:00 CST = 12:00Z), C-0002 in UTC.
    const w = writeBillingWorld(join(dir, 'catch-up'), 3, '  schedule: { at: "06:00", firstPeriod: "2025-09" }');
    await seedUsage(w, [9, 10, 11, 12].flatMap((m) => monthOfUsage(w, 2025, m, 200_000_000n)));

    const early = await schedule(w, ['--once', '--now', '2025-10-01T08:00:00Z']);
    expect(early.code, early.stderr).toBe(0);
    // 08:00Z: UTC's 06:00 has passed, Chicago's has not.
    expect(invoices(w).map((i) => [i.customer, i.period, i.number])).toEqual([['C-0002', '2025-09', 'INV-2025-000001']]);

    const sep = await schedule(w, ['--once', '--now', '2025-10-01T12:30:00Z']);
    expect(sep.code, sep.stderr).toBe(0);
    expect(invoices(w).map((i) => [i.customer, i.period])).toEqual([['C-0002', '2025-09'], ['C-0001', '2025-09'], ['C-0003', '2025-09']]);

    // The scheduler was down from October to New Year's Day: October, November and December are all due.
    const after = await schedule(w, ['--once', '--now', '2026-01-01T13:00:00Z']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/schedule: 9 finalized in 3 period\(s\)/);
    const caughtUp = invoices(w).slice(3);
    expect(caughtUp.map((i) => i.period)).toEqual(['2025-10', '2025-10', '2025-10', '2025-11', '2025-11', '2025-11', '2025-12', '2025-12', '2025-12']);
    // Issued 2026-01-01 in the seller's zone: the 2026 series starts at 1, gap-free, oldest period first.
    expect(caughtUp.map((i) => [i.series, i.sequence])).toEqual(Array.from({ length: 9 }, (_, k) => ['INV-2026', k + 1]));
    for (const c of w.customerIds) expect(caughtUp.filter((i) => i.customer === c).map((i) => i.period)).toEqual(['2025-10', '2025-11', '2025-12']);

    const again = await schedule(w, ['--once', '--now', '2026-01-01T13:00:00Z']);
    expect(again.stdout).toMatch(/schedule: 0 finalized in 0 period\(s\)/);
    expect(invoices(w)).toHaveLength(12);
  });

  it('refuses to bill past periods of a data dir with history until billing.schedule.firstPeriod is set; --dry-run shows what is due and writes nothing', async () => {
    // Subscriptions since 2025-06, usage since 2025-09: a first start in January would bill seven periods.
    const w = writeBillingWorld(join(dir, 'guard'), 2);
    await seedUsage(w, [9, 10, 11, 12].flatMap((m) => monthOfUsage(w, 2025, m, 200_000_000n)));
    const now = ['--now', '2026-01-02T13:00:00Z'];

    const refused = await schedule(w, ['--once', ...now]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the ledger is empty and the store holds usage before 2025-12 .*without billing\.schedule\.firstPeriod the scheduler would finalize 12 invoice\(s\) for 6 past period\(s\) \(2025-06 to 2025-11\).*e\.g\. "2025-12"/);
    expect(invoices(w)).toHaveLength(0);
    // The daemon refuses at start too, instead of logging a failed tick and waiting.
    const daemon = await schedule(w, []);
    expect(daemon.code).toBe(1);
    expect(daemon.stderr).toMatch(/billing\.schedule\.firstPeriod/);

    const dry = await schedule(w, ['--dry-run', ...now]);
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stderr).toMatch(/billing\.schedule\.firstPeriod/);

    writeFileSync(w.config, readFileSync(w.config, 'utf8').replace(/\n$/, '\n  schedule: { firstPeriod: "2025-11" }\n'));
    const preview = await schedule(w, ['--dry-run', ...now]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toBe([
      '2025-11  2 customer(s): C-0001, C-0002',
      '2025-12  2 customer(s): C-0001, C-0002',
      'dry run: 4 invoice(s) would be finalized in 2 period(s) (from billing.schedule.firstPeriod 2025-11); nothing was written',
      '',
    ].join('\n'));
    expect(invoices(w)).toHaveLength(0);

    const billed = await schedule(w, ['--once', ...now]);
    expect(billed.code, billed.stderr).toBe(0);
    expect(invoices(w).map((i) => i.period)).toEqual(['2025-11', '2025-11', '2025-12', '2025-12']);
  });

  it('without firstPeriod, a data dir whose only usage is in the latest due period bills that period alone', async () => {
    const w = writeBillingWorld(join(dir, 'guard-fresh'), 1);
    await seedUsage(w, monthOfUsage(w, 2025, 12, 200_000_000n).filter((r) => r.start >= Date.UTC(2025, 11, 2)));
    const r = await schedule(w, ['--once', '--now', '2026-01-02T13:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    // The guard looked at the store and found nothing older; the past periods bill their flat fees as before.
    expect(invoices(w).map((i) => i.period)).toEqual(['2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12']);
  });

  it('two schedulers never bill at once: the second stands by (exit 3); a holder killed with -9 is replaced at once', async () => {
    const w = writeBillingWorld(join(dir, 'lease'), 6, '  schedule: { firstPeriod: "2025-11", leaseMs: 600000 }');
    await seedUsage(w, [11, 12].flatMap((m) => monthOfUsage(w, 2025, m, 200_000_000n)));
    const now = ['--once', '--now', '2026-01-01T13:00:00Z', '--batch', '1'];

    let second: Promise<Proc> | undefined;
    const first = await schedule(w, now, { WISPMETER_TEST_STEP_DELAY_MS: '200' }, (line, kill) => {
      if (second || !/^bill: finalized 1$/.test(line)) return;
      // The first holds the lease and is billing: a second scheduler must refuse, then the first dies mid-run.
      second = schedule(w, now).then((r) => {
        kill('SIGKILL');
        return r;
      });
    });
    expect(first.signal, `${first.stdout}\n${first.stderr}`).toBe("SIGKILL");
    const refused = await second!;
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/another scheduler \(.+:\d+\) holds the lease until/);
    const partial = invoices(w).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(12);

    // The lease (10 minutes) names a process that is gone: a new scheduler takes over and finishes the job.
    const third = await schedule(w, now);
    expect(third.code, third.stderr).toBe(0);
    const all = invoices(w);
    expect(all).toHaveLength(12);
    expect(all.map((i) => i.sequence)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    expect(new Set(all.map((i) => `${i.customer} ${i.period}`)).size).toBe(12);
  });

  it('as a daemon: catches up at start, then stops cleanly on SIGTERM', async () => {
    const w = writeBillingWorld(join(dir, 'daemon'), 2, '  schedule: { firstPeriod: "2026-01" }');
    const catalog = loadCatalog({ plans: join(w.dir, 'plans.yaml'), customers: join(w.dir, 'customers.yaml') });
    const due = catalog.customers.reduce((n, c) => n + duePeriods(c, Date.now(), '06:00', '2026-01').length, 0);
    let stopping = false;
    const r = await schedule(w, ['--log-level', 'info'], {}, (line, kill) => {
      if (!stopping && /billing a due period/.test(line) && invoices(w).length >= 1) {
        stopping = true;
        // Leave it time to finish the catch-up, then ask it to stop.
        setTimeout(() => kill('SIGTERM'), 1500);
      }
    });
    expect(r.code, r.stderr).toBe(0);
    expect(due).toBeGreaterThan(0);
    expect(invoices(w).length).toBe(due);
  });
});
