// The billing commands as a clerk scripts them: bill run (dry and real), bill charge, invoices list/show/export/credit,
// payments import and balances; errors named like config errors and exit 2.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { runCli } from './wispmeter/cli-run.js';

describe('wispmeter bill, invoices, payments', () => {
  let dir: string;
  let w: BillingWorld;
  const cli = (...args: string[]) => runCli([...args, '--config', w.config]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-bill-cli-'));
    w = writeBillingWorld(join(dir, 'w'), 3);
    await seedUsage(w, monthOfUsage(w, 2025, 12, 1_000_000_000n));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('flag and config errors are named and exit 2', async () => {
    const period = await cli('bill', 'run', '--period', '2025-13');
    expect([period.code, period.stderr.trim()]).toEqual([2, '--period: not a billing period: "2025-13" (expected YYYY-MM, e.g. 2025-12)']);
    const noBilling = join(dir, 'no-billing.yaml');
    writeFileSync(noBilling, `catalog: { plans: ${join(w.dir, 'plans.yaml')}, customers: ${join(w.dir, 'customers.yaml')} }\n`);
    const r = await runCli(['bill', 'run', '--period', '2025-12', '--config', noBilling]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no billing: section');
    const bad = join(dir, 'bad-billing.yaml');
    writeFileSync(bad, 'billing:\n  seller:\n    legalName: X\n    address: { lines: [a], countryCode: usa }\n  paymentTermsDays: -1\n');
    const c = await runCli(['bill', 'run', '--period', '2025-12', '--config', bad]);
    expect(c.code).toBe(2);
    expect(c.stderr.trim().split('\n')).toEqual([
      `${bad}:4 billing.seller.address.countryCode: not a country code: "usa" (expected ISO 3166-1 alpha-2 such as "US" or "DE")`,
      `${bad}:5 billing.paymentTermsDays: too small: -1 (expected an integer from 0 to 365)`,
    ]);
  });

  it('bill run --dry-run prints the invoices as JSON and writes nothing', async () => {
    const r = await cli('bill', 'run', '--period', '2025-12', '--dry-run', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { dryRun: boolean; invoices: { customerId: string; total: string; amountDue: string }[] };
    expect(out.dryRun).toBe(true);
    expect(out.invoices.map((i) => [i.customerId, i.total, i.amountDue])).toEqual([['C-0001', '129.46', '119.46'], ['C-0002', '129.46', '129.46'], ['C-0003', '129.46', '129.46']]);
    expect(existsSync(w.ledger)).toBe(false);
  });

  it('bill charge waits for the next run, which bills it once; bill run twice finalizes once', async () => {
    const add = await cli('bill', 'charge', '--customer', 'C-0002', '--id', 'visit-1', '--description', 'Site visit', '--amount', '75.00', '--tax-category', 'service');
    expect(add.code, add.stderr).toBe(0);
    expect((await cli('bill', 'charge', '--customer', 'C-0002', '--id', 'visit-1', '--description', 'Site visit', '--amount', '75.00', '--tax-category', 'service')).stdout).toMatch(/^already waiting/);
    const first = await cli('bill', 'run', '--period', '2025-12');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^INV-\d{4}-000001 {2}C-0001 {2}2025-12 {2}129\.46 USD$/),
      // 75.00 + 6.25 % tax.
      expect.stringMatching(/^INV-\d{4}-000002 {2}C-0002 {2}2025-12 {2}209\.15 USD$/),
      expect.stringMatching(/^INV-\d{4}-000003 {2}C-0003 {2}2025-12 {2}129\.46 USD$/),
      'run 1: 3 finalized, 0 already invoiced for 2025-12',
    ]);
    const second = await cli('bill', 'run', '--period', '2025-12');
    expect(second.stdout.trim()).toBe('run 2: 0 finalized, 3 already invoiced for 2025-12');
    // The charge is marked billed by the invoice that carries it, so no later run bills it again.
    const db = new Database(w.ledger, { readonly: true });
    try {
      expect(db.prepare("SELECT p.id, i.number FROM pending_charge p JOIN invoice i ON i.id = p.invoice_id").all()).toEqual([{ id: 'visit-1', number: expect.stringMatching(/-000002$/) }]);
    } finally {
      db.close();
    }
  });

  it('invoices list, show and export render exactly the stored document', async () => {
    const list = JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string; customerId: string; status: string; balance: string }[];
    expect(list.map((i) => [i.customerId, i.status, i.balance])).toEqual([['C-0001', 'open', '119.46'], ['C-0002', 'open', '209.15'], ['C-0003', 'open', '129.46']]);
    const number = list[1]!.number;
    const shown = await cli('invoices', 'show', number, '--format', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).lines.map((l: { description: string }) => l.description)).toEqual(['Home 100', 'Data, per GB (10^9 bytes)', 'Site visit']);
    const text = await cli('invoices', 'show', number);
    expect(text.stdout).toMatch(/balance 209\.15 \(open\)/);

    const out = join(dir, 'export');
    // csv and xero are the same path as quickbooks here (one file for the batch); the renderer tests cover their content.
    for (const format of ['json', 'html', 'ubl', 'pdf', 'quickbooks']) {
      const r = await cli('invoices', 'export', list[0]!.number, number, '--format', format, '--out', out);
      expect(r.code, `${format}: ${r.stderr}`).toBe(0);
    }
    expect(readFileSync(join(out, `${number}.json`), 'utf8')).toBe(shown.stdout);
    expect(readFileSync(join(out, `${number}.html`), 'utf8')).toContain(number);
    expect(readFileSync(join(out, `${number}.xml`), 'utf8')).toContain(`<cbc:ID>${number}</cbc:ID>`);
    expect(readFileSync(join(out, `${number}.pdf`)).subarray(0, 5).toString()).toBe('%PDF-');
    expect(readdirSync(out).filter((f) => f.endsWith('.csv'))).toEqual([`${list[0]!.number}..${number}.quickbooks.csv`]);
    const missing = await cli('invoices', 'show', 'INV-1999-000001');
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/no finalized invoice or credit note numbered INV-1999-000001/)]);
  });

  it('invoices credit issues a credit note in its own series; payments import allocates and is idempotent', async () => {
    const list = JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string }[];
    const [inv1, inv2, inv3] = list.map((i) => i.number) as [string, string, string];
    const credit = await cli('invoices', 'credit', inv2, '--reason', 'visit not done', '--lines', '3');
    expect(credit.code, credit.stderr).toBe(0);
    expect(credit.stdout).toMatch(new RegExp(`^CN-\\d{4}-000001 {2}credits ${inv2} {2}79\\.69 USD {2}\\(visit not done\\)`));
    const both = await cli('invoices', 'credit', inv2, '--reason', 'x', '--lines', '1', '--amount', '5');
    expect([both.code, both.stderr.trim()]).toEqual([2, '--lines: give --lines N[,N…] or --amount X (one of them)']);

    const csv = join(dir, 'bank.csv');
    writeFileSync(csv, ['date,invoice,customer,amount,currency,reference', `2026-01-10,${inv3},,129.46,USD,ACH-1`, '2026-01-11,,C-0001,50.00,USD,ACH-2', ''].join('\n'));
    const imported = await cli('payments', 'import', csv);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/payments: 2 imported, 0 already in the ledger/);
    expect((await cli('payments', 'import', csv)).stdout).toMatch(/payments: 0 imported, 2 already in the ledger/);

    const after = JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string; status: string; balance: string; credited: string }[];
    const by = new Map(after.map((i) => [i.number, i]));
    expect([by.get(inv1)!.status, by.get(inv1)!.balance]).toEqual(['partly_paid', '69.46']);
    expect([by.get(inv2)!.status, by.get(inv2)!.balance, by.get(inv2)!.credited]).toEqual(['open', '129.46', '79.69']);
    expect([by.get(inv3)!.status, by.get(inv3)!.balance]).toEqual(['paid', '0.00']);
    const paidOnly = JSON.parse((await cli('invoices', 'list', '--status', 'paid', '--format', 'json')).stdout) as { number: string }[];
    expect(paidOnly.map((i) => i.number)).toEqual([inv3]);
  });
});
