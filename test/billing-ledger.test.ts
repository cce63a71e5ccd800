// The ledger on a real SQLite file: idempotent runs, immutability enforced by the database itself, gap-free numbers,
// late usage billed as adjustments, credit notes in their own series, payments allocated oldest first.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../billing-export/ledger/ledger.js';
import { parsePaymentsCsv } from '../billing-export/payments/payments-csv.js';
import { allocateUnapplied, customerBalances, importPayments } from '../billing-export/payments/payments.js';
import { runBilling } from '../billing-export/run/billing-run.js';
import { creditNoteLines } from '../billing-export/run/credit-note.js';
import { openLedgerForReading } from '../billing-export/run/ledger-reader.js';
import { loadCatalog } from '../config/catalog-load.js';
import { loadConfig } from '../config/load.js';
import { dec } from '../rating/money.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { type BillingWorld, hourlyUsage, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';

const log = pino({ level: 'silent' });

/** Runs billing in this process against the world's files, as `bill run` does. */
async function bill(world: BillingWorld, period: string, options: { now?: string; customerIds?: string[]; dryRun?: boolean; batchSize?: number } = {}) {
  const config = loadConfig(world.config);
  const catalog = loadCatalog(config.catalog!);
  const store = EmbeddedStore.open(join(world.dataDir, 'usage.sqlite'), log);
  const now = () => new Date(options.now ?? '2026-01-02T15:00:00Z');
  try {
    if (options.dryRun) {
      const { reader, close } = openLedgerForReading(world.ledger);
      try {
        return await runBilling({ store, catalog, billing: config.billing!, log, ledger: { reader }, now }, { period, customerIds: options.customerIds });
      } finally {
        close();
      }
    }
    const ledger = Ledger.open(world.ledger);
    try {
      return await runBilling({ store, catalog, billing: config.billing!, log, ledger, now }, { period, customerIds: options.customerIds, batchSize: options.batchSize ?? 2 });
    } finally {
      ledger.close();
    }
  } finally {
    await store.close();
  }
}

/** Every row of every table, for "nothing changed" comparisons. */
function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } finally {
    db.close();
  }
}

describe('billing runs into the ledger', () => {
  let dir: string;
  let world: BillingWorld;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-ledger-'));
    world = writeBillingWorld(join(dir, 'w'), 5);
    await seedUsage(world, monthOfUsage(world, 2025, 12, 1_000_000_000n));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a dry run previews every invoice and writes nothing (not even the ledger file)', async () => {
    const r = await bill(world, '2025-12', { dryRun: true });
    expect(r.previews.map((p) => p.rated.customerId)).toEqual(world.customerIds);
    expect(r.previews[1]!.rated.total.toString()).toBe('129.46');
    expect(existsSync(world.ledger)).toBe(false);
  });

  it('finalizes one invoice per customer with consecutive numbers; a second run changes nothing', async () => {
    const first = await bill(world, '2025-12');
    expect(first.finalized.map((f) => f.number)).toEqual(['INV-2026-000001', 'INV-2026-000002', 'INV-2026-000003', 'INV-2026-000004', 'INV-2026-000005']);
    // C-0001 has a 10.00 credit: total 129.46, due 119.46.
    expect([first.finalized[0]!.total.toString(), first.finalized[0]!.amountDue.toString()]).toEqual(['129.46', '119.46']);
    const before = dump(world.ledger).replace(/"billing_run",\[.*?\]\]/, '');
    const second = await bill(world, '2025-12');
    expect(second.finalized).toEqual([]);
    expect(second.skipped.map((s) => s.number)).toEqual(first.finalized.map((f) => f.number));
    // Only the run log grew: invoices, lines, numbers are byte for byte the same.
    expect(dump(world.ledger).replace(/"billing_run",\[.*?\]\]/, '')).toEqual(before);
  });

  it('stores the finalized document with its evidence, and the credit carries over to the next period', async () => {
    const ledger = Ledger.open(world.ledger);
    try {
      const doc = ledger.document('INV-2026-000002');
      expect(doc.number).toBe('INV-2026-000002');
      expect([doc.issueDate, doc.dueDate]).toEqual(['2026-01-02', '2026-01-17']);
      expect(doc.seller.legalName).toBe('Mesa Wireless LLC');
      expect(doc.lines.map((l) => l.description)).toEqual(['Home 100', 'Data, per GB (10^9 bytes)']);
      expect(doc.lines[1]!.evidence?.bytesDown).toBe(744n * 1_000_000_000n);
      expect(doc.dailyUsage).toHaveLength(31);
      expect(ledger.creditBalances('C-0001').get('CR-1')?.toString()).toBe('0');
    } finally {
      ledger.close();
    }
  });

  it('the database refuses any change to a finalized invoice, its lines, its number or its series', () => {
    const db = new Database(world.ledger);
    try {
      const refuse = (sql: string) => expect(() => db.prepare(sql).run(), sql).toThrow(/cannot be changed|finalized document takes the next number|UNIQUE constraint failed/);
      refuse("UPDATE invoice SET total = '0.01' WHERE number = 'INV-2026-000001'");
      refuse("UPDATE invoice SET status = 'draft', number = NULL WHERE number = 'INV-2026-000001'");
      refuse("DELETE FROM invoice WHERE number = 'INV-2026-000001'");
      refuse("UPDATE invoice_line SET amount = '0' WHERE invoice_id = (SELECT id FROM invoice WHERE number = 'INV-2026-000001')");
      refuse("DELETE FROM invoice_line WHERE invoice_id = (SELECT id FROM invoice WHERE number = 'INV-2026-000001')");
      refuse("INSERT INTO invoice_line_tax (invoice_id, line_no, position, rate_id, name, rate, compound, base, amount) SELECT id, 1, 9, 'x', 'x', '0', 0, '0', '0' FROM invoice WHERE number = 'INV-2026-000001'");
      refuse("UPDATE invoice_tax SET amount = '0'");
      refuse("UPDATE number_series SET last_sequence = 2 WHERE series = 'INV-2026'");
      refuse("DELETE FROM number_series");
      // A draft cannot be finalized by hand, whatever number it claims: not the next, not a reused one, not 0.
      db.prepare("INSERT INTO number_series (series, kind, last_sequence) VALUES ('HAND', 'invoice', 0)").run();
      const draft = Number(db.prepare(`INSERT INTO invoice (kind, status, customer_id, period_label, period_from, period_to, timezone, currency, subtotal, tax_total, total, amount_due, reverse_charge, notes, created_at)
        VALUES ('invoice', 'draft', 'C-0001', '2030-01', 'x', 'y', 'UTC', 'USD', '0', '0', '0', '0', 0, '[]', 'now')`).run().lastInsertRowid);
      const finalizeAs = (series: string, sequence: number) =>
        `UPDATE invoice SET status = 'finalized', series = '${series}', sequence = ${sequence}, number = '${series}-${sequence}', issue_date = 'd', due_date = 'd', finalized_at = 'd', document_json = '{}' WHERE id = ${draft}`;
      refuse(finalizeAs('INV-2026', 9));
      refuse(finalizeAs('INV-2026', 5));
      refuse(finalizeAs('HAND', 0));
      db.prepare(`DELETE FROM invoice WHERE id = ${draft}`).run();
      // The rows are intact.
      expect(db.prepare("SELECT total FROM invoice WHERE number = 'INV-2026-000001'").get()).toEqual({ total: '129.46' });
      expect(db.prepare("SELECT last_sequence FROM number_series WHERE series = 'INV-2026'").get()).toEqual({ last_sequence: 5 });
    } finally {
      db.close();
    }
  });

  it('late usage of a finalized period is billed on the next invoice as an adjustment with evidence', async () => {
    // 24 GB more for C-0002 on 2025-12-15 (another NAS, so new record ids), after December was finalized.
    const t = Date.UTC(2025, 11, 15);
    await seedUsage(world, [
      ...monthOfUsage(world, 2026, 1, 1_000_000_000n),
      ...hourlyUsage(world.subscriber('C-0002'), t, t + 86_400_000, 1_000_000_000n, 'nas-late'),
    ]);
    const jan = await bill(world, '2026-01', { now: '2026-02-02T15:00:00Z' });
    expect(jan.finalized.map((f) => f.number)).toEqual(['INV-2026-000006', 'INV-2026-000007', 'INV-2026-000008', 'INV-2026-000009', 'INV-2026-000010']);
    const ledger = Ledger.open(world.ledger);
    try {
      const doc = ledger.document('INV-2026-000007');
      const adj = doc.lines.filter((l) => l.kind === 'adjustment');
      expect(adj).toHaveLength(1);
      expect(adj[0]!.adjusts?.invoiceNumber).toBe('INV-2026-000002');
      // 24 h × (1 GB down + 0.1 GB up) = 26.4 GB × 0.10 = 2.64 net; the line tax goes from 5.12 (on 81.84) to 5.28 (on 84.48).
      expect([adj[0]!.net.toString(), adj[0]!.taxes[0]!.amount.toString()]).toEqual(['2.64', '0.16']);
      expect(adj[0]!.evidence?.bytesDown).toBe(768n * 1_000_000_000n);
      expect(doc.total.toString()).toBe(dec('129.46').plus(dec('2.80')).toString());
      // The December invoice itself is untouched, and no other customer got an adjustment.
      expect(ledger.document('INV-2026-000002').total.toString()).toBe('129.46');
      for (const n of ['INV-2026-000006', 'INV-2026-000008']) expect(ledger.document(n).lines.some((l) => l.kind === 'adjustment')).toBe(false);
    } finally {
      ledger.close();
    }
    // Billing February adjusts nothing more: the difference was billed once.
    await seedUsage(world, monthOfUsage(world, 2026, 2, 1_000_000_000n));
    const feb = await bill(world, '2026-02', { now: '2026-03-02T15:00:00Z', customerIds: ['C-0002'] });
    const l2 = Ledger.open(world.ledger);
    try {
      expect(l2.document(feb.finalized[0]!.number).lines.some((l) => l.kind === 'adjustment')).toBe(false);
    } finally {
      l2.close();
    }
  });

  it('credit notes take their own series, reference the invoice, and never credit more than was invoiced', () => {
    const config = loadConfig(world.config);
    const catalog = loadCatalog(config.catalog!);
    const ledger = Ledger.open(world.ledger);
    const ctx = { now: new Date('2026-02-10T12:00:00Z'), billing: config.billing!, customer: (id: string) => catalog.customers.find((c) => c.id === id)! };
    try {
      const byLine = ledger.issueCreditNote('INV-2026-000003', creditNoteLines(ledger, 'INV-2026-000003', { lines: [1] }, 'wrong plan', 'HALF_UP'), 'wrong plan', ctx);
      expect([byLine.number, byLine.kind, byLine.corrects?.invoiceNumber, byLine.total.toString()]).toEqual(['CN-2026-000001', 'credit_note', 'INV-2026-000003', '42.5']);
      expect(() => creditNoteLines(ledger, 'INV-2026-000003', { lines: [1] }, 'again', 'HALF_UP')).toThrow(/already credited/);
      const byAmount = ledger.issueCreditNote('INV-2026-000004', creditNoteLines(ledger, 'INV-2026-000004', { amount: dec('10.00') }, 'outage', 'HALF_UP'), 'outage', ctx);
      expect([byAmount.number, byAmount.total.toString()]).toEqual(['CN-2026-000002', '10']);
      expect(byAmount.lines[0]!.net.plus(byAmount.lines[0]!.taxes[0]!.amount).toString()).toBe('10');
      expect(() => ledger.issueCreditNote('INV-2026-000004', creditNoteLines(ledger, 'INV-2026-000004', { amount: dec('120.00') }, 'too much', 'HALF_UP'), 'too much', ctx))
        .toThrow(/exceeds what is left to credit/);
      // The refused credit note took no number: the next one is CN-2026-000003.
      const next = ledger.issueCreditNote('INV-2026-000004', creditNoteLines(ledger, 'INV-2026-000004', { amount: dec('1.00') }, 'rounding', 'HALF_UP'), 'rounding', ctx);
      expect(next.number).toBe('CN-2026-000003');
      const b = ledger.balances({ customerId: 'C-0004' }).find((x) => x.number === 'INV-2026-000004')!;
      expect([b.credited.toString(), b.balance.toString(), b.status]).toEqual(['11', '118.46', 'open']);
    } finally {
      ledger.close();
    }
  });

  it('payments: idempotent by reference, the named invoice first, then oldest first; the rest waits on account', async () => {
    const ledger = Ledger.open(world.ledger);
    const now = new Date('2026-02-20T12:00:00Z');
    try {
      const csv = [
        'date,invoice,customer,amount,currency,reference',
        '2026-02-15,INV-2026-000010,,50.00,USD,BANK-1',
        '2026-02-16,,C-0005,300.00,USD,BANK-2',
        '2026-02-16,,C-0001,100.00,USD,BANK-3',
      ].join('\n');
      const first = importPayments(ledger, parsePaymentsCsv(csv, 'pay.csv'), 'pay.csv', now);
      expect(first.map((o) => o.status)).toEqual(['imported', 'imported', 'imported']);
      // C-0005: 50 on its January invoice (named), then 300 goes to December (oldest, 129.46) and the rest of January (79.46).
      expect(first[0]!.allocated.map((a) => [a.invoiceNumber, a.amount.toString()])).toEqual([['INV-2026-000010', '50']]);
      expect(first[1]!.allocated.map((a) => [a.invoiceNumber, a.amount.toString()])).toEqual([['INV-2026-000005', '129.46'], ['INV-2026-000010', '79.46']]);
      expect(first[1]!.unallocated.toString()).toBe('91.08');
      const again = importPayments(ledger, parsePaymentsCsv(csv, 'pay.csv'), 'pay.csv', now);
      expect(again.map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(() => importPayments(ledger, parsePaymentsCsv(csv.replace('300.00', '301.00'), 'pay.csv'), 'pay.csv', now)).toThrow(/BANK-2.*imported before with other values/);
      const c5 = ledger.balances({ customerId: 'C-0005' });
      expect(c5.map((b) => [b.number, b.status, b.balance.toString()])).toEqual([['INV-2026-000005', 'paid', '0'], ['INV-2026-000010', 'paid', '0']]);
      const c1 = ledger.balances({ customerId: 'C-0001' });
      expect(c1.map((b) => [b.number, b.status, b.balance.toString()])).toEqual([['INV-2026-000001', 'partly_paid', '19.46'], ['INV-2026-000006', 'open', '129.46']]);
      expect(customerBalances(ledger, 'C-0005')[0]!.onAccount.toString()).toBe('91.08');
      // Money on account waits for the next invoice, and settles it once it is finalized.
      expect(allocateUnapplied(ledger, ['C-0005'], now)).toEqual([]);
      const feb = await bill(world, '2026-02', { now: '2026-03-02T15:00:00Z', customerIds: ['C-0005'] });
      const settled = allocateUnapplied(ledger, ['C-0005'], now);
      expect(settled.map((a) => [a.invoiceNumber, a.amount.toString()])).toEqual([[feb.finalized[0]!.number, '91.08']]);
      expect(customerBalances(ledger, 'C-0005')[0]!.onAccount.toString()).toBe('0');
      // An allocation is a fact: the database refuses to change it.
      expect(() => ledger.db.prepare("UPDATE payment_allocation SET amount = '1'").run()).toThrow(/cannot be changed/);
      expect(() => ledger.db.prepare('DELETE FROM payment').run()).toThrow(/cannot be changed/);
    } finally {
      ledger.close();
    }
  });

  it('a draft whose charge, credit or late usage another invoice used since it was rated is not finalized', async () => {
    // C-0001 has a 10.00 credit, C-0002 gets late usage for November, C-0003 a waiting one-off charge.
    const w2 = writeBillingWorld(join(dir, 'two-periods'), 3);
    await seedUsage(w2, [11, 12].map((m) => monthOfUsage(w2, 2025, m, 1_000_000_000n)).flat().concat(monthOfUsage(w2, 2026, 1, 1_000_000_000n)));
    await bill(w2, '2025-11', { now: '2025-12-02T15:00:00Z', customerIds: ['C-0002'] });
    const t = Date.UTC(2025, 10, 20);
    await seedUsage(w2, hourlyUsage(w2.subscriber('C-0002'), t, t + 86_400_000, 1_000_000_000n, 'nas-late'));
    const l = Ledger.open(w2.ledger);
    l.addPendingCharge({ id: 'install', customerId: 'C-0003', description: 'Installation', amount: dec('99.00'), taxCategory: 'service' }, new Date());
    l.close();

    // December and January rated from the same ledger state, as two runs at once would (the dry run rates exactly as a run).
    const [decRated, janRated] = [await bill(w2, '2025-12', { dryRun: true }), await bill(w2, '2026-01', { dryRun: true })];
    const drafts = (r: typeof decRated) => r.previews.map((p) => ({ ...p, dailyUsage: [] }));
    const config = loadConfig(w2.config);
    const catalog = loadCatalog(config.catalog!);
    const ctx = (now: string) => ({ now: new Date(now), billing: config.billing!, customer: (id: string) => catalog.customers.find((c) => c.id === id)! });
    const ledger = Ledger.open(w2.ledger);
    try {
      const run = ledger.startRun('2025-12', undefined, 'cli', new Date());
      ledger.saveDrafts(drafts(decRated), run, new Date());
      ledger.saveDrafts(drafts(janRated), run, new Date());
      const keys = (period: string) => w2.customerIds.map((customerId) => ({ customerId, period }));
      expect(ledger.finalizeDrafts(keys('2025-12'), ctx('2026-01-02T15:00:00Z')).map((o) => o.status)).toEqual(['finalized', 'finalized', 'finalized']);
      const jan = ledger.finalizeDrafts(keys('2026-01'), ctx('2026-02-02T15:00:00Z'));
      expect(jan.map((o) => (o.status === 'stale' ? o.reason : o.status))).toEqual([
        'credit CR-1 has 0 left, not the 10 it was rated with',
        'late usage of INV-2025-000001 was adjusted by another invoice',
        'one-off charge install was billed on another invoice',
      ]);
      expect(ledger.drafts()).toEqual([]);
    } finally {
      ledger.close();
    }
    // Rated again, January carries none of them a second time.
    const janRun = await bill(w2, '2026-01', { now: '2026-02-02T15:00:00Z' });
    const l2 = Ledger.open(w2.ledger);
    try {
      const docs = [...l2.balances()].map((b) => l2.document(b.number));
      expect(docs.map((d) => [d.period.label, d.buyer.customerId])).toHaveLength(7);
      expect(janRun.finalized).toHaveLength(3);
      expect(docs.flatMap((d) => d.lines.filter((x) => x.description === 'Installation').map(() => d.period.label))).toEqual(['2025-12']);
      expect(docs.flatMap((d) => d.credits.filter((c) => c.applied.gt(dec('0'))).map(() => d.period.label))).toEqual(['2025-12']);
      expect(docs.flatMap((d) => d.lines.filter((x) => x.kind === 'adjustment').map((a) => [d.period.label, a.adjusts?.invoiceNumber, a.net.toString()]))).toEqual([['2025-12', 'INV-2025-000001', '2.64']]);
    } finally {
      l2.close();
    }
  });
});
