// Reads a payments CSV (date, invoice or customer, amount, currency, reference) into typed payments, or one
// ConfigError listing every bad cell as FILE:LINE column: what is wrong (expected …).
import { parseCsv } from '../../config/catalog-csv.js';
import { ConfigError, type ConfigProblem } from '../../config/config-error.js';
import { DECIMAL_TEXT, type Dec, dec, isKnownCurrency, minorUnits, ZERO } from '../../rating/money.js';

export interface PaymentInput {
  /** Line of the file, for messages. */
  line: number;
  receivedOn: string;
  /** The invoice it pays, when the bank reference named one. */
  invoiceNumber?: string;
  /** The payer, when no invoice is named (or to check the invoice's customer). */
  customerId?: string;
  amount: Dec;
  currency: string;
  reference: string;
}

export const PAYMENT_COLUMNS = ['date', 'invoice', 'customer', 'amount', 'currency', 'reference'] as const;

export function parsePaymentsCsv(text: string, file: string): PaymentInput[] {
  let rows: { line: number; fields: string[] }[];
  try {
    rows = parseCsv(text);
  } catch (err) {
    throw new ConfigError([{ file, line: undefined, key: '(file)', message: `${(err as Error).message} (expected RFC 4180 CSV)` }]);
  }
  const [head, ...body] = rows;
  if (!head) throw new ConfigError([{ file, line: 1, key: '(header)', message: `empty file (expected a header: ${PAYMENT_COLUMNS.join(',')})` }]);
  const names = head.fields.map((f) => f.trim().toLowerCase());
  const problems: ConfigProblem[] = [];
  for (const n of names) {
    if (!(PAYMENT_COLUMNS as readonly string[]).includes(n)) problems.push({ file, line: head.line, key: n || '(empty)', message: `unknown column (expected ${PAYMENT_COLUMNS.join(', ')})` });
  }
  for (const required of ['date', 'amount', 'currency', 'reference']) {
    if (!names.includes(required)) problems.push({ file, line: head.line, key: required, message: 'missing column (expected it in the header)' });
  }
  if (!names.includes('invoice') && !names.includes('customer')) problems.push({ file, line: head.line, key: 'invoice', message: 'missing column (expected invoice, customer or both)' });
  if (problems.length > 0) throw new ConfigError(problems);

  const out: PaymentInput[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of body) {
    const cell = (name: string) => {
      const i = names.indexOf(name);
      return i < 0 ? '' : (fields[i] ?? '').trim();
    };
    const bad = (key: string, message: string) => problems.push({ file, line, key, message });
    const date = cell('date');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) bad('date', `not a date: "${date}" (expected YYYY-MM-DD)`);
    const currency = cell('currency').toUpperCase();
    if (!isKnownCurrency(currency)) bad('currency', `unknown currency "${currency}" (expected an ISO 4217 code such as USD)`);
    const amountText = cell('amount');
    let amount = ZERO;
    if (!DECIMAL_TEXT.test(amountText)) bad('amount', `not an amount: "${amountText}" (expected a decimal such as 49.95, no currency sign)`);
    else {
      amount = dec(amountText);
      if (amount.lte(ZERO)) bad('amount', `${amountText} is not positive (expected a payment received; refunds are credit notes)`);
      else if (isKnownCurrency(currency) && !amount.round(minorUnits(currency)).eq(amount)) bad('amount', `${amountText} has more digits than ${currency} has (expected ${minorUnits(currency)})`);
    }
    const reference = cell('reference');
    if (reference === '') bad('reference', 'empty (expected the bank or processor reference, which makes a re-import harmless)');
    else if (seen.has(reference)) bad('reference', `"${reference}" already on line ${seen.get(reference)} (expected each reference once)`);
    else seen.set(reference, line);
    const invoiceNumber = cell('invoice');
    const customerId = cell('customer');
    if (invoiceNumber === '' && customerId === '') bad('invoice', 'neither an invoice number nor a customer id (expected one of them)');
    out.push({ line, receivedOn: date, amount, currency, reference, ...(invoiceNumber ? { invoiceNumber } : {}), ...(customerId ? { customerId } : {}) });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
