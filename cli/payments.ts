// `wispmeter payments import|balances`: a bank's payments CSV into the ledger (idempotent by reference), and balances.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { Ledger } from '../billing-export/ledger/ledger.js';
import { parsePaymentsCsv } from '../billing-export/payments/payments-csv.js';
import { customerBalances, importPayments } from '../billing-export/payments/payments.js';
import { formatMoney } from '../rating/money.js';
import { ledgerPath } from './bill.js';
import { resolveConfig, type CommonFlags } from './options.js';

export function runPaymentsImport(file: string, flags: CommonFlags & { format: 'table' | 'json' }): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: undefined, key: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)} (expected a readable CSV file)` }]);
  }
  const payments = parsePaymentsCsv(text, file);
  const config = resolveConfig(flags);
  const ledger = Ledger.open(ledgerPath(config));
  try {
    const outcomes = importPayments(ledger, payments, resolve(file), new Date());
    if (flags.format === 'json') {
      const currency = new Map(payments.map((p) => [p.reference, p.currency]));
      process.stdout.write(`${JSON.stringify(outcomes.map((o) => ({
        reference: o.reference, status: o.status, customerId: o.customerId,
        allocated: o.allocated.map((a) => ({ invoice: a.invoiceNumber, amount: formatMoney(a.amount, currency.get(o.reference)!) })),
        unallocated: formatMoney(o.unallocated, currency.get(o.reference)!),
      })), null, 2)}\n`);
      return;
    }
    for (const [i, o] of outcomes.entries()) {
      const cur = payments[i]!.currency;
      const to = o.allocated.map((a) => `${a.invoiceNumber} ${formatMoney(a.amount, cur)}`).join(', ') || '-';
      process.stdout.write(`${o.reference}  ${o.status}  ${o.customerId}  → ${to}${o.unallocated.gt('0') ? `  on account ${formatMoney(o.unallocated, cur)}` : ''}\n`);
    }
    const imported = outcomes.filter((o) => o.status === 'imported').length;
    process.stdout.write(`payments: ${imported} imported, ${outcomes.length - imported} already in the ledger\n`);
  } finally {
    ledger.close();
  }
}

export function runPaymentsBalances(flags: CommonFlags & { customer?: string; format: 'table' | 'json' }): void {
  const config = resolveConfig(flags);
  const ledger = Ledger.open(ledgerPath(config));
  try {
    const rows = customerBalances(ledger, flags.customer).map((b) => ({
      customerId: b.customerId, currency: b.currency, invoices: b.invoices, open: formatMoney(b.open, b.currency), onAccount: formatMoney(b.onAccount, b.currency),
    }));
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${['CUSTOMER  CUR  INVOICES  OPEN  ON ACCOUNT', ...rows.map((r) => `${r.customerId}  ${r.currency}  ${r.invoices}  ${r.open}  ${r.onAccount}`)].join('\n')}\n`);
  } finally {
    ledger.close();
  }
}
