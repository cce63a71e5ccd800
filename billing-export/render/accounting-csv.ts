// Import files for accounting packages: Xero's sales invoice CSV and QuickBooks Online's invoice import CSV.
// Account codes, items and tax types differ per organisation, so they are mapped by config (AccountingMapping).
import { type Dec, formatMoney, sum } from '../../rating/money.js';
import type { DocumentLine, InvoiceDocument } from '../document.js';
import { csvRecord } from './csv.js';
import { formatDecimal, formatQuantity, periodDays } from './format.js';
import { accountingPricing } from './line-price.js';

export type DateFormat = 'YYYY-MM-DD' | 'DD/MM/YYYY' | 'MM/DD/YYYY';

export interface AccountingMapping {
  /** Xero account code / QuickBooks product or service, by the line's product category (catalog taxCategory, e.g. "internet"). */
  byCategory?: Readonly<Record<string, string>>;
  /** When the category is not mapped. */
  fallback?: string;
  /**
   * Xero tax rate display name / QuickBooks tax code, by tax key: the line's rate ids joined by "+" (e.g. "de-vat",
   * "us-tx-state+us-tx-marfa"), or "reverse-charge", "exempt", "none" for untaxed lines.
   */
  taxTypes?: Readonly<Record<string, string>>;
  /** How the package reads dates (its organisation's region). */
  dateFormat?: DateFormat;
}

/** The key a line's tax type is looked up by (see AccountingMapping.taxTypes). */
export function taxKey(doc: InvoiceDocument, l: DocumentLine): string {
  if (l.taxes.length > 0) return l.taxes.map((t) => t.rateId).join('+');
  return doc.reverseCharge ? 'reverse-charge' : l.taxExemptionReason ? 'exempt' : 'none';
}

function formatDate(day: string, f: DateFormat): string {
  const [y, m, d] = day.split('-') as [string, string, string];
  return f === 'YYYY-MM-DD' ? day : f === 'DD/MM/YYYY' ? `${d}/${m}/${y}` : `${m}/${d}/${y}`;
}

/** The line's description for a package that sees one unit at the net: the real quantity goes into the text. */
function description(doc: InvoiceDocument, l: DocumentLine, itemized: boolean): string {
  const days = periodDays(l.period, doc.period.timezone);
  const span = days.start === days.end ? days.start : `${days.start} to ${days.end}`;
  const qty = itemized ? '' : `, ${formatQuantity(l.quantity)} ${l.unit}${l.unitPrice.eq(l.net) ? '' : ` at ${formatDecimal(l.unitPrice)}`}`;
  return `${l.description} (${span}${qty})`;
}

// ---- Xero ----

/** Xero's sales invoice import template, columns in its order; "*" marks what Xero requires. */
export const XERO_COLUMNS = [
  '*ContactName', 'EmailAddress', 'POAddressLine1', 'POAddressLine2', 'POAddressLine3', 'POAddressLine4', 'POCity', 'PORegion', 'POPostalCode',
  'POCountry', '*InvoiceNumber', 'Reference', '*InvoiceDate', '*DueDate', 'InventoryItemCode', '*Description', '*Quantity', '*UnitAmount',
  'Discount', '*AccountCode', '*TaxType', 'TrackingName1', 'TrackingOption1', 'TrackingName2', 'TrackingOption2', 'Currency', 'BrandingTheme',
] as const;

/** Xero's credit note import template: the invoice template with a credit note number and date, and no due date. */
export const XERO_CREDIT_NOTE_COLUMNS = XERO_COLUMNS.flatMap((c) => (c === '*InvoiceNumber' ? ['*CreditNoteNumber'] : c === '*InvoiceDate' ? ['*CreditNoteDate'] : c === '*DueDate' ? [] : [c]));

/** Xero's default chart of accounts: 200 Sales. Tax rates are the organisation's display names: map them. */
export const XERO_DEFAULTS: Required<Pick<AccountingMapping, 'fallback' | 'dateFormat'>> & { untaxed: Record<string, string> } = {
  fallback: '200', dateFormat: 'DD/MM/YYYY', untaxed: { 'reverse-charge': 'Reverse Charge', exempt: 'Tax Exempt', none: 'No Tax' },
};

/**
 * Xero's sales invoice import (Sales › Invoices › Import): one row per line; amounts are tax exclusive (choose "Tax
 * exclusive" when importing), the unit amount net. Credit notes go through Xero's credit note import instead
 * (renderXeroCreditNoteCsv), so one here is refused.
 */
export function renderXeroCsv(docs: readonly InvoiceDocument[], mapping: AccountingMapping = {}): string {
  const credit = docs.find((d) => d.kind === 'credit_note');
  if (credit) throw new Error(`Xero invoice import: ${credit.number} is a credit note; write credit notes with renderXeroCreditNoteCsv (Xero's credit note import)`);
  return xeroRows(docs, mapping, XERO_COLUMNS);
}

/** Xero's credit note import (Sales › Credit notes › Import): the same rows, amounts positive as Xero expects. */
export function renderXeroCreditNoteCsv(docs: readonly InvoiceDocument[], mapping: AccountingMapping = {}): string {
  const invoice = docs.find((d) => d.kind !== 'credit_note');
  if (invoice) throw new Error(`Xero credit note import: ${invoice.number} is an invoice; write invoices with renderXeroCsv`);
  return xeroRows(docs, mapping, XERO_CREDIT_NOTE_COLUMNS);
}

function xeroRows(docs: readonly InvoiceDocument[], mapping: AccountingMapping, columns: readonly string[]): string {
  const dateFormat = mapping.dateFormat ?? XERO_DEFAULTS.dateFormat;
  const rows = [columns.join(',')];
  for (const doc of docs) {
    const a = doc.buyer.address;
    const credit = doc.kind === 'credit_note';
    for (const l of doc.lines) {
      const p = accountingPricing(l, doc.currency, 4);
      rows.push(csvRecord([
        doc.buyer.legalName, doc.buyer.email ?? '', a.lines[0] ?? '', a.lines[1] ?? '', a.lines[2] ?? '', a.lines.slice(3).join(', '), a.city ?? '',
        a.region ?? '', a.postalCode ?? '', a.countryCode, doc.number, doc.corrects ? `Credit for ${doc.corrects.invoiceNumber}` : `${doc.buyer.customerId} ${doc.period.label}`,
        formatDate(doc.issueDate, dateFormat), ...(credit ? [] : [formatDate(doc.dueDate, dateFormat)]), '', description(doc, l, p.itemized),
        [formatDecimal(p.quantity), 'number'], [formatDecimal(p.unitAmount), 'number'], '',
        mapping.byCategory?.[l.taxCategory] ?? mapping.fallback ?? XERO_DEFAULTS.fallback, xeroTaxType(doc, l, mapping), '', '', '', '', doc.currency, '',
      ]));
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}

function xeroTaxType(doc: InvoiceDocument, l: DocumentLine, mapping: AccountingMapping): string {
  const key = taxKey(doc, l);
  return mapping.taxTypes?.[key] ?? XERO_DEFAULTS.untaxed[key] ?? l.taxes.map((t) => t.name).join(' + ');
}

// ---- QuickBooks Online ----

/** QuickBooks Online's invoice import columns (Sales › Import invoices), in the order of its sample file. */
export const QUICKBOOKS_COLUMNS = [
  'InvoiceNo', 'Customer', 'InvoiceDate', 'DueDate', 'Terms', 'Location', 'Memo', 'Item(Product/Service)', 'ItemDescription', 'ItemQuantity',
  'ItemRate', 'ItemAmount', 'ItemTaxCode', 'ItemTaxAmount', 'Currency', 'Service Date',
] as const;

/** QuickBooks US tax codes: TAX for a taxable line, NON otherwise; other regions name their codes: map them. */
export const QUICKBOOKS_DEFAULTS = { fallback: 'Services', dateFormat: 'MM/DD/YYYY' as DateFormat, taxed: 'TAX', untaxed: 'NON' };

/**
 * One row per line; ItemAmount is the line's net, ItemTaxAmount its tax (QuickBooks regions with manual tax read
 * it; US automated sales tax recomputes from ItemTaxCode). QuickBooks imports invoices only: a credit note is
 * refused, enter it as a credit memo.
 */
export function renderQuickBooksCsv(docs: readonly InvoiceDocument[], mapping: AccountingMapping = {}): string {
  const credit = docs.find((d) => d.kind === 'credit_note');
  if (credit) throw new Error(`QuickBooks invoice import: ${credit.number} is a credit note; QuickBooks imports invoices only (enter it as a credit memo)`);
  const dateFormat = mapping.dateFormat ?? QUICKBOOKS_DEFAULTS.dateFormat;
  const rows = [QUICKBOOKS_COLUMNS.join(',')];
  for (const doc of docs) {
    const m = (d: Dec): [string, 'number'] => [formatMoney(d, doc.currency), 'number'];
    const period = periodDays(doc.period, doc.period.timezone);
    for (const l of doc.lines) {
      const p = accountingPricing(l, doc.currency, 4);
      const key = taxKey(doc, l);
      rows.push(csvRecord([
        doc.number, doc.buyer.legalName, formatDate(doc.issueDate, dateFormat), formatDate(doc.dueDate, dateFormat), '', '',
        `${doc.buyer.customerId}, service ${period.start} to ${period.end}`, mapping.byCategory?.[l.taxCategory] ?? mapping.fallback ?? QUICKBOOKS_DEFAULTS.fallback,
        description(doc, l, p.itemized), [formatDecimal(p.quantity), 'number'], [formatDecimal(p.unitAmount), 'number'], m(l.net),
        mapping.taxTypes?.[key] ?? (l.taxes.length > 0 ? QUICKBOOKS_DEFAULTS.taxed : QUICKBOOKS_DEFAULTS.untaxed), m(sum(l.taxes.map((t) => t.amount))),
        doc.currency, formatDate(periodDays(l.period, doc.period.timezone).start, dateFormat),
      ]));
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}
