// UBL 2.1 / Peppol BIS 3: every document the renderer writes validates against the OASIS XSDs (xmllint), and the
// Peppol ones keep EN 16931's arithmetic (checked with xmllint's XPath on the written XML, not on our own numbers).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvoiceDocument } from '../billing-export/document.js';
import { buildDocument } from '../billing-export/document-build.js';
import { PEPPOL_CUSTOMIZATION_ID, peppolObstacles, renderUbl } from '../billing-export/render/index.js';
import { exemptDocument, golden, inclusiveDocument, longDocument, zeroRatedDocument } from '../billing-export/render/testdata/documents.js';
import { FUNKWERK, FUNKWERK_BRAND, goldenCases, ratedGolden } from '../billing-export/render/testdata/golden-cases.js';
import { run } from '../billing-export/render/testdata/tools.js';
import { type Dec, dec, sum, ZERO } from '../rating/money.js';

const SCHEMAS = fileURLToPath(new URL('../billing-export/schemas/ubl-2.1/maindoc/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wispmeter-ubl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** xmllint --schema on the written file: ok, or its complaint. */
function validate(xml: string): { ok: boolean; message: string } {
  const root = /<(Invoice|CreditNote)\s/.exec(xml)?.[1];
  if (!root) return { ok: false, message: 'no Invoice or CreditNote root' };
  const file = join(dir, `doc-${++n}.xml`);
  writeFileSync(file, xml);
  const r = run('xmllint', ['--noout', '--nonet', '--schema', join(SCHEMAS, `UBL-${root}-2.1.xsd`), file]);
  return { ok: r.status === 0, message: r.stderr.toString() };
}

/** An XPath 1.0 string value from the XML, element names matched by local name ("Invoice/LegalMonetaryTotal/PayableAmount"). */
function xpath(xml: string, path: string): string {
  const expr = path.split('/').map((step) => {
    const m = /^([A-Za-z]+)(\[\d+\])?$/.exec(step);
    if (!m) throw new Error(`bad step ${step}`);
    return `*[local-name()='${m[1]}']${m[2] ?? ''}`;
  }).join('/');
  const r = run('xmllint', ['--xpath', `string(/${expr})`, '-'], xml);
  return r.stdout.toString().replace(/\n$/, '');
}
const amount = (xml: string, path: string): Dec => dec(xpath(xml, path) || '0');
const count = (xml: string, local: string): number => Number(run('xmllint', ['--xpath', `count(//*[local-name()='${local}'])`, '-'], xml).stdout.toString());

/** EN 16931 / Peppol arithmetic of a Peppol document, read back from the XML. */
function checkPeppolArithmetic(xml: string): void {
  const root = xml.includes('<CreditNote ') ? 'CreditNote' : 'Invoice';
  const line = root === 'CreditNote' ? 'CreditNoteLine' : 'InvoiceLine';
  const qty = root === 'CreditNote' ? 'CreditedQuantity' : 'InvoicedQuantity';
  const lines = count(xml, line);
  const nets: Dec[] = [];
  for (let i = 1; i <= lines; i++) {
    const at = `${root}/${line}[${i}]`;
    const net = amount(xml, `${at}/LineExtensionAmount`);
    const price = amount(xml, `${at}/Price/PriceAmount`);
    const base = xpath(xml, `${at}/Price/BaseQuantity`) ? amount(xml, `${at}/Price/BaseQuantity`) : dec('1');
    nets.push(net);
    expect(price.gte(ZERO), `BR-27 line ${i}: price ${price.toString()} is negative`).toBe(true);
    // PEPPOL-EN16931-R120: net = quantity × price / base quantity, within 0.02.
    expect(net.minus(amount(xml, `${at}/${qty}`).times(price).div(base)).abs().lte(dec('0.02')), `R120 line ${i}`).toBe(true);
    expect(xpath(xml, `${at}/Item/ClassifiedTaxCategory/ID`)).toMatch(/^(S|Z|E|AE|O)$/);
  }
  const t = `${root}/LegalMonetaryTotal`;
  expect(amount(xml, `${t}/LineExtensionAmount`).eq(sum(nets)), 'BR-CO-10').toBe(true);
  const taxAmount = amount(xml, `${root}/TaxTotal/TaxAmount`);
  const subtotals = count(xml, 'TaxSubtotal');
  const subtotalTaxes = Array.from({ length: subtotals }, (_, i) => amount(xml, `${root}/TaxTotal/TaxSubtotal[${i + 1}]/TaxAmount`));
  expect(taxAmount.eq(sum(subtotalTaxes)), 'BR-CO-14').toBe(true);
  expect(amount(xml, `${t}/TaxInclusiveAmount`).eq(amount(xml, `${t}/TaxExclusiveAmount`).plus(taxAmount)), 'BR-CO-15').toBe(true);
  expect(amount(xml, `${t}/PayableAmount`).eq(amount(xml, `${t}/TaxInclusiveAmount`).minus(amount(xml, `${t}/PrepaidAmount`))), 'BR-CO-16').toBe(true);
  for (let i = 1; i <= subtotals; i++) {
    const st = `${root}/TaxTotal/TaxSubtotal[${i}]`;
    const cat = xpath(xml, `${st}/TaxCategory/ID`);
    const pct = xpath(xml, `${st}/TaxCategory/Percent`);
    // BR-S-08 and kin: a category's taxable amount is the sum of its lines' net.
    const mine = nets.filter((_, j) => xpath(xml, `${root}/${line}[${j + 1}]/Item/ClassifiedTaxCategory/ID`) === cat
      && xpath(xml, `${root}/${line}[${j + 1}]/Item/ClassifiedTaxCategory/Percent`) === pct);
    expect(amount(xml, `${st}/TaxableAmount`).eq(sum(mine)), `taxable amount of ${cat} ${pct}`).toBe(true);
    // BR-CO-17: tax = taxable × rate, within one unit (per-line rounding may differ by a few cents).
    const expected = amount(xml, `${st}/TaxableAmount`).times(dec(pct)).div(dec('100'));
    expect(amount(xml, `${st}/TaxAmount`).minus(expected).abs().lt(dec('1')), `BR-CO-17 ${cat} ${pct}`).toBe(true);
    // BR-E-10, BR-AE-10, BR-O-10: a reason for exempt, reverse-charge and out-of-scope; BR-S-10, BR-Z-10: none otherwise.
    const reason = xpath(xml, `${st}/TaxCategory/TaxExemptionReason`) || xpath(xml, `${st}/TaxCategory/TaxExemptionReasonCode`);
    if (cat === 'S' || cat === 'Z') expect(reason, `BR-${cat}-10`).toBe('');
    else expect(reason, `BR-${cat}-10`).not.toBe('');
  }
  expect(xpath(xml, `${root}/BuyerReference`), 'PEPPOL-EN16931-R003').not.toBe('');
  const documentNotes = Number(run('xmllint', ['--xpath', "count(/*/*[local-name()='Note'])", '-'], xml).stdout.toString());
  expect(documentNotes, 'PEPPOL-EN16931-R002: one document note').toBeLessThanOrEqual(1);
  expect(xml, 'PEPPOL-EN16931-R008: no empty elements').not.toMatch(/<([a-z]+:)?[A-Za-z]+( [^>]*)?><\/([a-z]+:)?[A-Za-z]+>|<[^>]+\/>/);
}

/** The JPY golden re-denominated in KWD (3 decimals): valid UBL 2.1, not Peppol. */
function kwdDocument(): InvoiceDocument {
  const base = golden('jp-invoice');
  const fils = (d: Dec) => d.div(dec('1000'));
  return {
    ...base, currency: 'KWD', number: 'KW-2026-000001',
    lines: base.lines.map((l) => ({ ...l, net: fils(l.net), amount: fils(l.amount), unitPrice: fils(l.unitPrice), taxes: l.taxes.map((t) => ({ ...t, base: fils(t.base), amount: fils(t.amount) })) })),
    subtotal: fils(base.subtotal), taxes: base.taxes.map((t) => ({ ...t, base: fils(t.base), amount: fils(t.amount) })),
    taxTotal: fils(base.taxTotal), total: fils(base.total), amountDue: fils(base.amountDue),
  };
}

/** The VAT invoice with two late-usage adjustments (one a correction downwards) built through buildDocument. */
function adjustedDocument(): InvoiceDocument {
  const { c, inv, daily } = ratedGolden('C-DE-0042', 14n);
  const adj = (net: string, tax: string, n: number) => ({
    lineNo: 0, kind: 'adjustment' as const, description: `Late usage for November (${n})`, period: { from: '2025-10-31T23:00:00.000Z', to: '2025-11-30T23:00:00.000Z' },
    quantity: dec('1'), unit: 'block of 10 GB (10^9 bytes)', unitPrice: dec(net), net: dec(net), amount: dec(net), taxCategory: 'internet',
    taxes: [{ rateId: 'de-vat', name: 'Umsatzsteuer 19 %', rate: dec('0.19'), compound: false, base: dec(net), amount: dec(tax) }],
    calculation: [`1 block × ${net}`], adjusts: { invoiceNumber: 'INV-2025-000031', period: { from: '2025-10-31T23:00:00.000Z', to: '2025-11-30T23:00:00.000Z' } },
  });
  return buildDocument(inv, {
    kind: 'invoice', number: 'INV-2026-000060', series: 'INV', sequence: 60, issueDate: '2026-01-01', dueDate: '2026-01-15', seller: FUNKWERK,
    branding: FUNKWERK_BRAND, customer: c, dailyUsage: daily, adjustments: [adj('2.50', '0.48', 1), adj('-1.25', '-0.24', 2)],
  });
}

const PEPPOL = ['eu-vat-invoice', 'eu-reverse-charge-invoice', 'eu-credit-note'];

describe('UBL 2.1', () => {
  const cases = [
    ...goldenCases().map((c) => [c.name, c.doc] as const),
    ['exempt customer (E)', exemptDocument()] as const,
    ['a zero-rated line (Z) beside standard ones (S)', zeroRatedDocument()] as const,
    ['tax-inclusive consumer prices', inclusiveDocument()] as const,
    ['KWD, three decimals', kwdDocument()] as const,
    ['late-usage adjustments', adjustedDocument()] as const,
    ['a long invoice (120 lines)', longDocument(golden('us-compound-tax-invoice'), 120)] as const,
  ];

  it.each(cases)('%s validates against the UBL 2.1 XSD', (_name, doc) => {
    const v = validate(renderUbl(doc));
    expect(v.message).toMatch(/validates/);
    expect(v.ok).toBe(true);
  });

  it('xmllint rejects a document that breaks the schema (the validation can fail)', () => {
    const xml = renderUbl(golden('eu-vat-invoice')).replace(/<cbc:ID>INV-2026-000042<\/cbc:ID>\n/, '');
    const v = validate(xml);
    expect(v.ok).toBe(false);
    expect(v.message).toMatch(/fails to validate/);
  });

  it.each(PEPPOL)('%s is Peppol BIS Billing 3.0 and keeps EN 16931 arithmetic', (name) => {
    const doc = golden(name);
    expect(peppolObstacles(doc)).toEqual([]);
    const xml = renderUbl(doc);
    expect(xpath(xml, `${doc.kind === 'credit_note' ? 'CreditNote' : 'Invoice'}/CustomizationID`)).toBe(PEPPOL_CUSTOMIZATION_ID);
    checkPeppolArithmetic(xml);
  });

  it('exempt, zero-rated, tax-inclusive and adjusted invoices are Peppol too, with their arithmetic', () => {
    for (const doc of [exemptDocument(), zeroRatedDocument(), inclusiveDocument(), adjustedDocument()]) {
      expect(peppolObstacles(doc)).toEqual([]);
      checkPeppolArithmetic(renderUbl(doc));
    }
    const exempt = renderUbl(exemptDocument());
    expect(xpath(exempt, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/ID')).toBe('E');
    expect(xpath(exempt, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/TaxExemptionReason')).toMatch(/exemption certificate/);
    const zero = renderUbl(zeroRatedDocument());
    expect(['S', 'Z'].map((_, i) => xpath(zero, `Invoice/TaxTotal/TaxSubtotal[${i + 1}]/TaxCategory/ID`))).toEqual(['S', 'Z']);
    expect(xpath(zero, 'Invoice/InvoiceLine[3]/Item/ClassifiedTaxCategory/ID')).toBe('Z');
  });

  it('reverse charge: category AE at 0 % with the exemption code, both VAT ids, no tax', () => {
    const xml = renderUbl(golden('eu-reverse-charge-invoice'));
    expect(xpath(xml, 'Invoice/TaxTotal/TaxAmount')).toBe('0.00');
    expect(xpath(xml, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/ID')).toBe('AE');
    expect(xpath(xml, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/TaxExemptionReasonCode')).toBe('VATEX-EU-AE');
    expect(xpath(xml, 'Invoice/AccountingCustomerParty/Party/PartyTaxScheme/CompanyID')).toBe('ATU12345678');
    expect(xpath(xml, 'Invoice/AccountingSupplierParty/Party/PartyTaxScheme/CompanyID')).toBe('DE811907980');
  });

  it('a credit note names the invoice it corrects and has no due date or payee account', () => {
    const doc = golden('eu-credit-note');
    const xml = renderUbl(doc);
    expect(xpath(xml, 'CreditNote/BillingReference/InvoiceDocumentReference/ID')).toBe(doc.corrects!.invoiceNumber);
    expect(xpath(xml, 'CreditNote/BillingReference/InvoiceDocumentReference/IssueDate')).toBe(doc.corrects!.issueDate);
    expect(xpath(xml, 'CreditNote/CreditNoteTypeCode')).toBe('381');
    // Settlement (refund or credit balance) is the ledger's: "instrument not defined", no payee account.
    expect(xpath(xml, 'CreditNote/PaymentMeans/PaymentMeansCode')).toBe('1');
    expect(count(xml, 'PayeeFinancialAccount')).toBe(0);
  });

  it('payment means: SEPA credit transfer to the configured IBAN, the invoice number as reference', () => {
    const xml = renderUbl(golden('eu-vat-invoice'));
    expect(xpath(xml, 'Invoice/PaymentMeans/PaymentMeansCode')).toBe('58');
    expect(xpath(xml, 'Invoice/PaymentMeans/PayeeFinancialAccount/ID')).toBe('DE89370400440532013000');
    expect(xpath(xml, 'Invoice/PaymentMeans/PaymentID')).toBe('INV-2026-000042');
    expect(xpath(xml, 'Invoice/InvoicePeriod/StartDate')).toBe('2025-12-01');
    expect(xpath(xml, 'Invoice/InvoicePeriod/EndDate')).toBe('2025-12-31');
  });

  it('multi-tax (US compound) and KWD documents are plain UBL 2.1 and say why', () => {
    const us = golden('us-compound-tax-invoice');
    const reasons = peppolObstacles(us);
    expect(reasons.join('\n')).toMatch(/more than one tax/);
    const xml = renderUbl(us);
    expect(xml).not.toContain(PEPPOL_CUSTOMIZATION_ID);
    expect(xml).toContain('Plain UBL 2.1, not Peppol BIS Billing 3.0');
    // Each of our rates is its own scheme, on the document and on the line, with rating's amounts.
    expect(xpath(xml, 'Invoice/TaxTotal/TaxSubtotal[2]/TaxCategory/TaxScheme/ID')).toBe('us-tx-marfa');
    expect(amount(xml, 'Invoice/TaxTotal/TaxAmount').eq(us.taxTotal)).toBe(true);
    expect(amount(xml, 'Invoice/LegalMonetaryTotal/PrepaidAmount').eq(sum(us.credits.map((c) => c.applied)))).toBe(true);
    expect(count(xml, 'ClassifiedTaxCategory')).toBe(us.lines.reduce((a, l) => a + l.taxes.length, 0));
    expect(peppolObstacles(kwdDocument()).join('\n')).toMatch(/KWD has 3 decimals/);
    expect(xpath(renderUbl(kwdDocument()), 'Invoice/LegalMonetaryTotal/PayableAmount')).toBe(kwdDocument().amountDue.toFixed(3));
  });

  it('escapes markup in names and never writes control characters', () => {
    const base = golden('eu-vat-invoice');
    const doc = { ...base, buyer: { ...base.buyer, legalName: 'A <b>&amp; "B"</b>\u0007 Ltd' } };
    const xml = renderUbl(doc);
    expect(validate(xml).ok).toBe(true);
    expect(xpath(xml, 'Invoice/AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName')).toBe('A <b>&amp; "B"</b>\uFFFD Ltd');
  });

  it('prices lines so quantity × price gives the net: itemized when it does, as a whole otherwise', () => {
    const us = renderUbl(golden('us-compound-tax-invoice'));
    // Line 1 is a prorated month (1 period at 59.00 → 41.87): priced as a whole.
    expect(xpath(us, 'Invoice/InvoiceLine[1]/Price/PriceAmount')).toBe('41.87');
    // Line 4 is a discount: a negative quantity at a positive price (BR-27).
    expect(dec(xpath(us, 'Invoice/InvoiceLine[4]/InvoicedQuantity')).lt(ZERO)).toBe(true);
    const eu = renderUbl(golden('eu-vat-invoice'));
    expect(xpath(eu, 'Invoice/InvoiceLine[2]/Price/PriceAmount')).toBe('2.50');
    expect(xpath(eu, 'Invoice/InvoiceLine[2]/Price/BaseQuantity')).toBe('');
  });
});
