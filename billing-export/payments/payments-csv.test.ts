// The payments CSV: every bad cell named as FILE:LINE column: what (expected …), all at once.
import { describe, expect, it } from 'vitest';
import { parsePaymentsCsv } from './payments-csv.js';

describe('payments CSV', () => {
  it('reads payments by invoice or by customer, amounts exact', () => {
    const p = parsePaymentsCsv(['Date,Invoice,Customer,Amount,Currency,Reference', '2026-01-10,INV-2026-000003,,129.46,usd,ACH-1', '2026-01-11,,C-1001,0.10,USD,ACH-2'].join('\r\n'), 'bank.csv');
    expect(p.map((x) => [x.line, x.invoiceNumber, x.customerId, x.amount.toString(), x.currency, x.reference])).toEqual([
      [2, 'INV-2026-000003', undefined, '129.46', 'USD', 'ACH-1'],
      [3, undefined, 'C-1001', '0.1', 'USD', 'ACH-2'],
    ]);
  });

  it('names a missing or unknown column in the header', () => {
    expect(() => parsePaymentsCsv('date,amount,currency,ref\n', 'bank.csv')).toThrow([
      'bank.csv:1 invoice: missing column (expected invoice, customer or both)',
      'bank.csv:1 ref: unknown column (expected date, invoice, customer, amount, currency, reference)',
      'bank.csv:1 reference: missing column (expected it in the header)',
    ].join('\n'));
  });

  it('payments CSV errors name the file, line and column', () => {
    const bad = ['date,invoice,amount,currency,reference', '2026-02-30,INV-1,12.5x,USD,R1', '2026-02-01,,-3,XXX,'].join('\n');
    expect(() => parsePaymentsCsv(bad, 'bank.csv')).toThrow([
      'bank.csv:2 amount: not an amount: "12.5x" (expected a decimal such as 49.95, no currency sign)',
      'bank.csv:2 date: not a date: "2026-02-30" (expected YYYY-MM-DD)',
      'bank.csv:3 amount: -3 is not positive (expected a payment received; refunds are credit notes)',
      'bank.csv:3 currency: unknown currency "XXX" (expected an ISO 4217 code such as USD)',
      'bank.csv:3 invoice: neither an invoice number nor a customer id (expected one of them)',
      'bank.csv:3 reference: empty (expected the bank or processor reference, which makes a re-import harmless)',
    ].join('\n'));
  });

  it('refuses the same reference twice in one file, and more digits than the currency has', () => {
    const csv = ['date,customer,amount,currency,reference', '2026-01-01,C-1,10.001,USD,R1', '2026-01-02,C-1,5,JPY,R1'].join('\n');
    expect(() => parsePaymentsCsv(csv, 'b.csv')).toThrow([
      'b.csv:2 amount: 10.001 has more digits than USD has (expected 2)',
      'b.csv:3 reference: "R1" already on line 2 (expected each reference once)',
    ].join('\n'));
  });
});
