// The finalized document: buildDocument's numbering and adjustment totals, and the canonical JSON's exact round trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DocumentLine, InvoiceDocument } from '../billing-export/document.js';
import { buildDocument } from '../billing-export/document-build.js';
import { DOCUMENT_FORMAT, documentFromJson, documentToJson } from '../billing-export/document-json.js';
import { golden } from '../billing-export/render/testdata/documents.js';
import { CATALOG_FILES, FUNKWERK, FUNKWERK_BRAND, goldenCases, ratedGolden } from '../billing-export/render/testdata/golden-cases.js';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import { readFileSync } from 'node:fs';
import { rateCustomer } from '../rating/rate.js';
import { type Dec, dec, MINOR_UNITS, sum } from '../rating/money.js';

const ctx = (over: Partial<Parameters<typeof buildDocument>[1]> = {}) => {
  const { c, daily } = ratedGolden('C-DE-0042', 14n);
  return {
    kind: 'invoice' as const, number: 'INV-2026-000070', series: 'INV', sequence: 70, issueDate: '2026-01-01', dueDate: '2026-01-15',
    seller: FUNKWERK, branding: FUNKWERK_BRAND, customer: c, dailyUsage: daily, ...over,
  };
};

const adjustment = (net: string, tax: string): DocumentLine => ({
  lineNo: 99, kind: 'adjustment', description: 'Late usage', period: { from: '2025-10-31T23:00:00.000Z', to: '2025-11-30T23:00:00.000Z' },
  quantity: dec('1'), unit: 'each', unitPrice: dec(net), net: dec(net), amount: dec(net), taxCategory: 'internet',
  taxes: [{ rateId: 'de-vat', name: 'USt', rate: dec('0.19'), compound: false, base: dec(net), amount: dec(tax) }], calculation: [],
  adjusts: { invoiceNumber: 'INV-2025-000031', period: { from: '2025-10-31T23:00:00.000Z', to: '2025-11-30T23:00:00.000Z' } },
});

describe('buildDocument', () => {
  const { inv } = ratedGolden('C-DE-0042', 14n);

  it('copies rating\'s lines in order, numbered from 1, and its totals unchanged', () => {
    const doc = buildDocument(inv, ctx());
    expect(doc.lines.map((l) => l.lineNo)).toEqual(inv.fees.map((_, i) => i + 1));
    expect(doc.lines.map((l) => l.net.toString())).toEqual(inv.fees.map((f) => f.net.toString()));
    expect([doc.subtotal, doc.taxTotal, doc.total, doc.amountDue].map(String)).toEqual([inv.subtotal, inv.taxTotal, inv.total, inv.amountDue].map(String));
    expect(doc.buyer).toMatchObject({ customerId: 'C-DE-0042', address: { countryCode: 'DE', city: 'Rottach-Egern' }, endpoint: { scheme: '9930', id: 'DE298765432' } });
  });

  it('numbers adjustments after the fees and adds them into subtotal, tax summary, total and amount due', () => {
    const doc = buildDocument(inv, ctx({ adjustments: [adjustment('2.50', '0.48'), adjustment('-1.00', '-0.19')] }));
    const n = inv.fees.length;
    expect(doc.lines.slice(n).map((l) => l.lineNo)).toEqual([n + 1, n + 2]);
    expect(doc.subtotal.eq(inv.subtotal.plus(dec('1.50')))).toBe(true);
    expect(doc.taxes[0]!.amount.eq(inv.taxes[0]!.amount.plus(dec('0.29')))).toBe(true);
    expect(doc.taxTotal.eq(sum(doc.taxes.map((t) => t.amount)))).toBe(true);
    expect(doc.total.eq(doc.subtotal.plus(doc.taxTotal))).toBe(true);
    expect(doc.amountDue.eq(inv.amountDue.plus(dec('1.79')))).toBe(true);
    expect(sum(doc.lines.map((l) => l.net)).eq(doc.subtotal)).toBe(true);
  });

  it.each([
    ['another customer\'s invoice', () => buildDocument({ ...inv, customerId: 'C-X' }, ctx()), /rated invoice is for customer C-X/],
    ['an adjustment in fractions of a cent', () => buildDocument(inv, ctx({ adjustments: [adjustment('2.505', '0.48')] })), /not rounded to 2 digits of EUR/],
    ['adjustments below zero due', () => buildDocument(inv, ctx({ adjustments: [adjustment('-500.00', '-95.00')] })), /below zero.*credit note/],
    ['a credit note without the invoice it corrects', () => buildDocument(inv, ctx({ kind: 'credit_note' })), /must name the invoice it corrects/],
    ['a due date before the issue date', () => buildDocument(inv, ctx({ dueDate: '2025-12-31' })), /due 2025-12-31 before/],
    ['a date that is not a day', () => buildDocument(inv, ctx({ issueDate: '1/1/2026' })), /not a day/],
  ])('refuses %s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });

  it('marks untaxed lines of an exempt customer (UBL E) and builds an address from the free text when there is no structured one', () => {
    const plans = parsePlans(readFileSync(CATALOG_FILES.plans, 'utf8'), 'plans.yaml');
    const customers = parseCustomers(`customers:
  - id: C-EX
    legalName: Marfa ISD
    address: "100 N Abbott St, Marfa TX"
    currency: USD
    timezone: America/Chicago
    tax: { jurisdiction: US-TX-MARFA, exemptions: [us-tx-state, us-tx-marfa] }
    subscriptions: [{ id: S1, plan: us-ranch, start: 2025-01-01 }]
`, 'customers.yaml', plans);
    const cat = toCatalog(plans, customers);
    const rated = rateCustomer(cat, customers[0]!, '2025-12', { store: 'test', step: '1h', queries: [], subscribers: [], rows: [] });
    const doc = buildDocument(rated, { ...ctx(), customer: customers[0]!, dailyUsage: [] });
    expect(doc.lines.every((l) => l.taxes.length === 0 && /Exempt from us-tx-state, us-tx-marfa/.test(l.taxExemptionReason ?? ''))).toBe(true);
    expect(doc.buyer.address).toEqual({ lines: ['100 N Abbott St, Marfa TX'], region: 'TX', countryCode: 'US' });
  });
});

// ---- canonical JSON ----

/** Exact decimals of any scale, as rating and its evidence produce them. */
const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 30 }))
  .map(([n, scale]): Dec => dec(n).div(dec(10n ** BigInt(scale))));
const text = fc.string({ unit: 'binary', maxLength: 12 });
const span = fc.record({ from: text, to: text });
const bytes = fc.bigInt({ min: 0n, max: 2n ** 70n });
const currency = fc.constantFrom(...Object.keys(MINOR_UNITS));

const taxLine = fc.record({ rateId: text, name: text, rate: decimal, compound: fc.boolean(), base: decimal, amount: decimal });
const evidence = fc.record({
  queries: fc.array(text, { maxLength: 2 }), store: text, step: fc.constantFrom('5m' as const, '1h' as const, '1d' as const), subscribers: fc.array(text, { maxLength: 2 }),
  spans: fc.array(span, { maxLength: 2 }), direction: fc.constantFrom('down' as const, 'up' as const, 'both' as const), rows: fc.nat(),
  bytesDown: bytes, bytesUp: bytes, bytesCounted: bytes, bytesUnmetered: bytes, bytesExcludedClasses: bytes,
  bySource: fc.dictionary(fc.constantFrom('radius', 'netflow', 'all'), bytes), notes: fc.array(text, { maxLength: 2 }),
});
const line = fc.record({
  lineNo: fc.integer({ min: 1, max: 10_000 }), kind: fc.constantFrom('flat' as const, 'per_unit' as const, 'discount' as const, 'adjustment' as const),
  description: text, period: span, quantity: decimal, unit: text, unitPrice: decimal, net: decimal, amount: decimal, taxCategory: text,
  taxes: fc.array(taxLine, { maxLength: 3 }), calculation: fc.array(text, { maxLength: 3 }), evidence, prices: fc.constantFrom('exclusive' as const, 'inclusive' as const),
  taxExemptionReason: text, adjusts: fc.record({ invoiceNumber: text, period: span }),
}, { requiredKeys: ['lineNo', 'kind', 'description', 'period', 'quantity', 'unit', 'unitPrice', 'net', 'amount', 'taxCategory', 'taxes', 'calculation'] });
const party = fc.record({
  legalName: text, tradingName: text,
  address: fc.record({ lines: fc.array(text, { maxLength: 3 }), city: text, postalCode: text, region: text, countryCode: text }, { requiredKeys: ['lines', 'countryCode'] }),
  taxIds: fc.array(text, { maxLength: 2 }), companyId: text, endpoint: fc.record({ scheme: text, id: text }), email: text, phone: text,
}, { requiredKeys: ['legalName', 'address', 'taxIds'] });
const day = fc.integer({ min: 0, max: 2_900_000 }).map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10));
const documentArb: fc.Arbitrary<InvoiceDocument> = fc.record({
  kind: fc.constantFrom('invoice' as const, 'credit_note' as const), number: text, series: text, sequence: fc.nat(), issueDate: day, dueDate: day,
  seller: party, buyer: fc.tuple(party, text).map(([p, customerId]) => ({ ...p, customerId })),
  branding: fc.record({ logo: text, primaryColor: text, accentColor: text, paymentInstructions: fc.array(text, { maxLength: 2 }), iban: text, bic: text, footer: text },
    { requiredKeys: ['primaryColor', 'accentColor', 'paymentInstructions'] }),
  currency, period: fc.record({ label: text, from: text, to: text, timezone: text }), lines: fc.array(line, { maxLength: 4 }), subtotal: decimal,
  taxes: fc.array(fc.record({ rateId: text, name: text, rate: decimal, base: decimal, amount: decimal }), { maxLength: 3 }), taxTotal: decimal, total: decimal,
  credits: fc.array(fc.record({ creditId: text, reason: text, available: decimal, applied: decimal, remaining: decimal }), { maxLength: 2 }), amountDue: decimal,
  reverseCharge: fc.boolean(), notes: fc.array(text, { maxLength: 2 }), corrects: fc.record({ invoiceNumber: text, issueDate: text, reason: text }),
  dailyUsage: fc.array(fc.record({ date: text, bytesDown: bytes, bytesUp: bytes }), { maxLength: 3 }),
}, { requiredKeys: ['kind', 'number', 'series', 'sequence', 'issueDate', 'dueDate', 'seller', 'buyer', 'branding', 'currency', 'period', 'lines', 'subtotal', 'taxes', 'taxTotal', 'total', 'credits', 'amountDue', 'reverseCharge', 'notes', 'dailyUsage'] });

/** Values as comparable plain data: decimals by exact value, bigints as text. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v && typeof v === 'object' && 'toFixed' in v && 'c' in v) return `dec:${(v as Dec).toFixed()}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('canonical JSON', () => {
  it('round-trips any document exactly (decimals of any scale, bigints beyond 2^53, any Unicode)', () => {
    fc.assert(fc.property(documentArb, (doc) => {
      const json = documentToJson(doc);
      const back = documentFromJson(json);
      expect(plain(back)).toEqual(plain(doc));
      expect(documentToJson(back)).toBe(json);
    }), { numRuns: 300 });
  });

  it('sorts keys at every level and writes money with the currency\'s digits', () => {
    const json = documentToJson(golden('jp-invoice'));
    const check = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(check);
      else if (v && typeof v === 'object') {
        const keys = Object.keys(v);
        expect(keys).toEqual([...keys].sort());
        Object.values(v).forEach(check);
      }
    };
    check(JSON.parse(json));
    const eu = JSON.parse(documentToJson(golden('eu-vat-invoice'))) as { subtotal: string; format: string; lines: { unitPrice: string }[] };
    expect(eu.subtotal).toMatch(/^\d+\.\d{2}$/);
    expect(eu.format).toBe(DOCUMENT_FORMAT);
    expect(JSON.parse(json).amountDue).toMatch(/^\d+$/);
  });

  it('round-trips the golden documents', () => {
    for (const c of goldenCases()) expect(documentToJson(documentFromJson(documentToJson(c.doc)))).toBe(documentToJson(c.doc));
  });

  it('refuses what it did not write, naming the path', () => {
    const json = JSON.parse(documentToJson(golden('eu-vat-invoice'))) as Record<string, unknown>;
    expect(() => documentFromJson(JSON.stringify({ ...json, format: 'other@9' }))).toThrow(/format/);
    expect(() => documentFromJson(JSON.stringify({ ...json, subtotal: 12.5 }))).toThrow(/subtotal/);
    expect(() => documentFromJson(JSON.stringify({ ...json, subtotal: '1e3' }))).toThrow(/subtotal: not a decimal/);
    expect(() => documentFromJson('{')).toThrow(/not JSON/);
  });
});
