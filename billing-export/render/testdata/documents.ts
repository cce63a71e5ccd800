// Documents for the renderer tests beyond the goldens: edits of a golden document and long or awkward ones.
import { sum, ZERO } from '../../../rating/money.js';
import type { DocumentLine, InvoiceDocument } from '../../document.js';
import { parseCustomers, parsePlans, toCatalog } from '../../../config/catalog-load.js';
import { rateCustomer } from '../../../rating/rate.js';
import { buildDocument } from '../../document-build.js';
import { FUNKWERK, FUNKWERK_BRAND, goldenCases } from './golden-cases.js';

let cached: ReturnType<typeof goldenCases> | undefined;

/** A golden document by case name (built once per test file). */
export function golden(name: string): InvoiceDocument {
  cached ??= goldenCases();
  const c = cached.find((x) => x.name === name);
  if (!c) throw new Error(`no golden case ${name}`);
  return c.doc;
}

/** The document with its lines repeated to `count` lines (renumbered), totals kept consistent: a long invoice. */
export function longDocument(base: InvoiceDocument, count: number): InvoiceDocument {
  const lines: DocumentLine[] = [];
  for (let i = 0; i < count; i++) {
    const l = base.lines[i % base.lines.length]!;
    lines.push({ ...l, lineNo: i + 1, description: `${l.description} #${i + 1}` });
  }
  const subtotal = sum(lines.map((l) => l.net));
  const taxes = base.taxes.map((t) => {
    const mine = lines.flatMap((l) => l.taxes.filter((x) => x.rateId === t.rateId));
    return { ...t, base: sum(mine.map((x) => x.base)), amount: sum(mine.map((x) => x.amount)) };
  });
  const taxTotal = sum(taxes.map((t) => t.amount));
  const total = subtotal.plus(taxTotal);
  const applied = sum(base.credits.map((c) => c.applied));
  return { ...base, lines, subtotal, taxes, taxTotal, total, amountDue: total.minus(applied) };
}

/** The VAT invoice as an exempt customer's: untaxed lines with the exemption as reason (UBL category E). */
export function exemptDocument(): InvoiceDocument {
  const base = golden('eu-vat-invoice');
  const lines = base.lines.map((l) => ({ ...l, taxes: [], taxExemptionReason: 'Exempt from de-vat (exemption certificate on file)' }));
  return { ...base, number: 'INV-2026-000050', lines, taxes: [], taxTotal: ZERO, total: base.subtotal, amountDue: base.subtotal };
}

/** The VAT invoice with its equipment line zero-rated (a 0 % rate of the catalog): UBL category Z beside S. */
export function zeroRatedDocument(): InvoiceDocument {
  const base = golden('eu-vat-invoice');
  const zero = { rateId: 'de-zero', name: 'Nullsatz', rate: ZERO, compound: false };
  const lines = base.lines.map((l) => (l.taxCategory === 'equipment' ? { ...l, taxes: [{ ...zero, base: l.net, amount: ZERO }] } : l));
  const standard = lines.filter((l) => l.taxCategory !== 'equipment').flatMap((l) => l.taxes);
  const taxes = [
    { ...base.taxes[0]!, base: sum(standard.map((t) => t.base)), amount: sum(standard.map((t) => t.amount)) },
    { ...zero, base: sum(lines.filter((l) => l.taxCategory === 'equipment').map((l) => l.net)), amount: ZERO },
  ];
  const taxTotal = sum(taxes.map((t) => t.amount));
  return { ...base, number: 'INV-2026-000051', lines, taxes, taxTotal, total: base.subtotal.plus(taxTotal), amountDue: base.subtotal.plus(taxTotal) };
}

/**
 * A consumer invoice with tax-inclusive prices (EU B2C): 49.00 a month and 0.99 per GB, both including 19 % VAT,
 * rated by rating itself, so UBL must state net prices that multiply back to rating's nets.
 */
export function inclusiveDocument(): InvoiceDocument {
  const plans = parsePlans(`taxes:
  categories: [internet]
  rates:
    - { id: de-vat, name: Umsatzsteuer, jurisdiction: DE, categories: [internet], rate: "0.19" }
plans:
  - id: home
    name: Funk Home 50
    currency: EUR
    prices: inclusive
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
      - { id: data, description: Data, model: per_unit, unit: GB, unitPrice: "0.99", taxCategory: internet }
`, 'plans.yaml');
  const [customer] = parseCustomers(`customers:
  - id: C-DE-7
    legalName: Lena Brandt
    postalAddress: { lines: ["Bergweg 3"], postalCode: "83703", city: Gmund, countryCode: DE }
    endpoint: { scheme: "0204", id: "991-01234-56" }
    currency: EUR
    timezone: Europe/Berlin
    tax: { jurisdiction: DE }
    subscribers: { radius: [lena@funk] }
    subscriptions: [{ id: S1, plan: home, start: 2025-01-01 }]
`, 'customers.yaml', plans);
  const rated = rateCustomer(toCatalog(plans, [customer!]), customer!, '2025-12', {
    store: 'test', step: '1h', queries: ['test'], subscribers: ['lena@funk'],
    rows: [{ subscriber: 'lena@funk', time: Date.UTC(2025, 11, 3, 12), bytesDown: 37_123_456_789n, bytesUp: 1_000_000_000n }],
  });
  return buildDocument(rated, {
    kind: 'invoice', number: 'INV-2026-000052', series: 'INV', sequence: 52, issueDate: '2026-01-01', dueDate: '2026-01-15',
    seller: FUNKWERK, branding: FUNKWERK_BRAND, customer: customer!, dailyUsage: [],
  });
}
