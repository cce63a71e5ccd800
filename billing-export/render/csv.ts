// Invoices as CSV (RFC 4180): one row per document line with the document's totals repeated, for spreadsheets and audits.
import { type Dec, formatMoney, sum } from '../../rating/money.js';
import type { DocumentLine, InvoiceDocument } from '../document.js';
import { formatDecimal, percentOf, periodDays } from './format.js';

/**
 * RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled, records end in CRLF. A text cell
 * starting with = + - @ or a tab gets a leading apostrophe so a spreadsheet does not run it as a formula (names and
 * descriptions come from customers); numbers are never touched.
 */
export function csvField(value: string, kind: 'text' | 'number' = 'text'): string {
  const v = kind === 'text' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRecord(cells: readonly (readonly [string, 'text' | 'number'] | string)[]): string {
  return cells.map((c) => (typeof c === 'string' ? csvField(c) : csvField(c[0], c[1]))).join(',');
}

/** The columns of renderCsv, in order; docs/invoices.md describes each. */
export const CSV_COLUMNS = [
  'document_kind', 'document_number', 'issue_date', 'due_date', 'customer_id', 'customer_name', 'customer_tax_id', 'currency',
  'period_start', 'period_end', 'line_no', 'line_kind', 'description', 'service_start', 'service_end', 'quantity', 'unit',
  'unit_price', 'prices', 'net', 'tax_category', 'tax_rates', 'tax', 'gross', 'bytes_counted', 'adjusts_invoice',
  'document_subtotal', 'document_tax', 'document_total', 'document_credits', 'document_amount_due', 'reverse_charge',
] as const;

/**
 * One row per line of every document, in the order given. Money has the currency's digits; quantities, unit
 * prices and rates are exact; dates are local days (the period's zone), service_end inclusive.
 */
export function renderCsv(docs: readonly InvoiceDocument[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const doc of docs) for (const l of doc.lines) rows.push(csvRecord(lineCells(doc, l)));
  return `${rows.join('\r\n')}\r\n`;
}

function lineCells(doc: InvoiceDocument, l: DocumentLine): (readonly [string, 'text' | 'number'] | string)[] {
  const m = (d: Dec): [string, 'number'] => [formatMoney(d, doc.currency), 'number'];
  const n = (s: string): [string, 'number'] => [s, 'number'];
  const period = periodDays(doc.period, doc.period.timezone);
  const service = periodDays(l.period, doc.period.timezone);
  const tax = sum(l.taxes.map((t) => t.amount));
  return [
    doc.kind, doc.number, doc.issueDate, doc.dueDate, doc.buyer.customerId, doc.buyer.legalName, doc.buyer.taxIds[0] ?? '', doc.currency,
    period.start, period.end, n(String(l.lineNo)), l.kind, l.description, service.start, service.end, n(formatDecimal(l.quantity)), l.unit,
    n(formatDecimal(l.unitPrice)), l.prices ?? 'exclusive', m(l.net), l.taxCategory,
    l.taxes.map((t) => `${t.rateId} ${percentOf(t.rate)}%${t.compound ? ' compound' : ''}`).join('; '),
    m(tax), m(l.net.plus(tax)), n(l.evidence ? l.evidence.bytesCounted.toString() : ''), l.adjusts?.invoiceNumber ?? '',
    m(doc.subtotal), m(doc.taxTotal), m(doc.total), m(sum(doc.credits.map((c) => c.applied))), m(doc.amountDue), doc.reverseCharge ? 'true' : 'false',
  ];
}
