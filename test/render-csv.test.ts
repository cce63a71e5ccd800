// CSV exports: RFC 4180 that reads back field for field, and Xero / QuickBooks import files whose arithmetic gives our amounts.
import { describe, expect, it } from 'vitest';
import {
  csvField, CSV_COLUMNS, QUICKBOOKS_COLUMNS, renderCsv, renderQuickBooksCsv, renderXeroCreditNoteCsv, renderXeroCsv, XERO_COLUMNS, XERO_CREDIT_NOTE_COLUMNS,
} from '../billing-export/render/index.js';
import { golden } from '../billing-export/render/testdata/documents.js';
import { goldenCases, XERO_MAPPING } from '../billing-export/render/testdata/golden-cases.js';
import { parseCsv } from '../config/catalog-csv.js';
import { dec, roundMoney, sum } from '../rating/money.js';

const docs = goldenCases().map((c) => c.doc);

/** Rows as objects by header, through the catalog's own RFC 4180 reader. */
function table(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.fields.map((h, i) => [h, r.fields[i]!])));
}

describe('CSV', () => {
  it('quotes per RFC 4180 and defuses spreadsheet formulas in text only', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-8.37', 'number')).toBe('-8.37');
  });

  it('has one row per line with the documented columns, read back exactly', () => {
    const awkward = { ...golden('eu-vat-invoice'), buyer: { ...golden('eu-vat-invoice').buyer, legalName: 'Köhler, "Jana"\nc/o Hof' } };
    const text = renderCsv([awkward, ...docs.slice(1)]);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = table(text);
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(docs.reduce((a, d) => a + d.lines.length, 0));
    expect(rows[0]!.customer_name).toBe('Köhler, "Jana"\nc/o Hof');
    for (const d of docs) {
      const mine = rows.filter((r) => r.document_number === d.number);
      expect(mine.map((r) => r.line_no)).toEqual(d.lines.map((l) => String(l.lineNo)));
      expect(sum(mine.map((r) => dec(r.net!))).eq(d.subtotal), `${d.number} nets add up to the subtotal`).toBe(true);
      expect(sum(mine.map((r) => dec(r.tax!))).eq(d.taxTotal), `${d.number} taxes add up`).toBe(true);
      expect(mine.every((r) => r.document_amount_due === d.amountDue.toFixed(d.currency === 'JPY' ? 0 : 2))).toBe(true);
    }
  });
});

describe('Xero sales invoice and credit note imports', () => {
  const invoices = docs.filter((d) => d.kind === 'invoice');
  const credits = docs.filter((d) => d.kind === 'credit_note');
  const rows = table(renderXeroCsv(invoices, XERO_MAPPING));
  const creditRows = table(renderXeroCreditNoteCsv(credits, XERO_MAPPING));

  it('has Xero\'s template columns and fills every required one', () => {
    expect(Object.keys(rows[0]!)).toEqual([...XERO_COLUMNS]);
    expect(Object.keys(creditRows[0]!)).toEqual([...XERO_CREDIT_NOTE_COLUMNS]);
    expect(XERO_CREDIT_NOTE_COLUMNS).toContain('*CreditNoteNumber');
    for (const r of [...rows, ...creditRows]) for (const c of Object.keys(r).filter((x) => x.startsWith('*'))) expect(r[c], `${c}`).not.toBe('');
  });

  it('quantity × unit amount, rounded as Xero rounds, gives each line\'s net (credit notes positive, as Xero wants)', () => {
    for (const [list, got, number] of [[invoices, rows, '*InvoiceNumber'], [credits, creditRows, '*CreditNoteNumber']] as const) {
      let i = 0;
      for (const d of list) {
        for (const l of d.lines) {
          const r = got[i++]!;
          expect(r[number]).toBe(d.number);
          const line = roundMoney(dec(r['*Quantity']!).times(dec(r['*UnitAmount']!)), d.currency, 'HALF_UP');
          expect(line.eq(l.net), `${d.number} line ${l.lineNo}`).toBe(true);
          expect(r['*Quantity']!.replace(/^-/, '').split('.')[1]?.length ?? 0).toBeLessThanOrEqual(4);
        }
      }
      expect(got).toHaveLength(i);
    }
    expect(rows.find((r) => r['*InvoiceNumber'] === 'INV-2026-000042')!['*InvoiceDate']).toBe('01/01/2026');
  });

  it('keeps invoices and credit notes in their own imports', () => {
    expect(() => renderXeroCsv(docs)).toThrow(/CN-2026-000003 is a credit note/);
    expect(() => renderXeroCreditNoteCsv(docs)).toThrow(/INV-2026-000042 is an invoice/);
  });

  it('maps tax types and accounts by config, with defaults for untaxed lines', () => {
    expect(rows.filter((r) => r['*InvoiceNumber'] === 'INV-2026-000043').map((r) => r['*TaxType'])).toEqual(['Reverse Charge', 'Reverse Charge']);
    expect(rows.find((r) => r['*Description']!.startsWith('Outdoor CPE'))!['*AccountCode']).toBe('260');
    const unmapped = table(renderXeroCsv([golden('us-compound-tax-invoice')]));
    expect(unmapped[0]!['*TaxType']).toBe('Texas sales tax + Marfa local telecom tax (compound)');
    expect(unmapped[0]!['*AccountCode']).toBe('200');
  });
});

describe('QuickBooks Online invoice import', () => {
  const invoices = docs.filter((d) => d.kind === 'invoice');
  const rows = table(renderQuickBooksCsv(invoices));

  it('has the import columns; item amounts add up to each invoice\'s subtotal and taxes to its tax', () => {
    expect(Object.keys(rows[0]!)).toEqual([...QUICKBOOKS_COLUMNS]);
    for (const d of invoices) {
      const mine = rows.filter((r) => r.InvoiceNo === d.number);
      expect(sum(mine.map((r) => dec(r.ItemAmount!))).eq(d.subtotal)).toBe(true);
      expect(sum(mine.map((r) => dec(r.ItemTaxAmount!))).eq(d.taxTotal)).toBe(true);
      for (const r of mine) expect(roundMoney(dec(r.ItemQuantity!).times(dec(r.ItemRate!)), d.currency, 'HALF_UP').eq(dec(r.ItemAmount!))).toBe(true);
    }
    expect(rows[0]!.InvoiceDate).toBe('01/01/2026');
    expect(rows.find((r) => r.InvoiceNo === 'INV-2026-000043')!.ItemTaxCode).toBe('NON');
  });

  it('refuses a credit note (QuickBooks imports invoices only)', () => {
    expect(() => renderQuickBooksCsv([golden('eu-credit-note')])).toThrow(/CN-2026-000003 is a credit note/);
  });
});
