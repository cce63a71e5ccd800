// The golden invoices: the fixture catalog (fixtures/catalog/invoices/) rated over made-up but fixed usage, built into documents.
// Used by test/render*.test.ts and by scripts/golden.ts, so the tests and the regenerated files see the same documents.
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { loadCatalog } from '../../../config/catalog-load.js';
import type { Catalog, Customer } from '../../../config/catalog-schema.js';
import { localParts, parseInstant } from '../../../rating/calendar.js';
import { customerPeriod, rateCustomer, subscribersOf } from '../../../rating/rate.js';
import type { RatedInvoice } from '../../../rating/fee.js';
import type { CustomerUsage, UsageRow } from '../../../rating/usage.js';
import { usageSql } from '../../../store/embedded/usage-sql.js';
import type { Branding, DailyUsage, InvoiceDocument, Party } from '../../document.js';
import { buildDocument } from '../../document-build.js';
import { type AccountingMapping, renderCsv, renderHtml, renderJson, renderQuickBooksCsv, renderUbl, renderXeroCreditNoteCsv, renderXeroCsv } from '../index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const CATALOG_FILES = { plans: here('../../../fixtures/catalog/invoices/plans.yaml'), customers: here('../../../fixtures/catalog/invoices/customers.yaml') };
export const GOLDEN_DIR = here('../../../fixtures/golden/');

/**
 * The seller's logo for the goldens: a 96×32 PNG drawn here (brand-blue tile, orange radio waves) so the fixture
 * needs no binary file and shows how a logo is embedded.
 */
export function logoPng(): Buffer {
  const W = 96;
  const H = 32;
  const raw = Buffer.alloc((W * 3 + 1) * H);
  for (let y = 0; y < H; y++) {
    raw[y * (W * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < W; x++) {
      const r = Math.hypot(x - 16, y - 26);
      const wave = x < 40 && y < 28 && [8, 14, 20].some((k) => Math.abs(r - k) < 1.6);
      const tile = x < 36;
      const [R, G, B] = wave ? [0xe6, 0x91, 0x38] : tile ? [0x0b, 0x53, 0x94] : [0xff, 0xff, 0xff];
      raw.set([R, G, B], y * (W * 3 + 1) + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

export const LOGO_DATA_URI = `data:image/png;base64,${logoPng().toString('base64')}`;

const HOUR = 3_600_000;
const GB = 1_000_000_000n;

export const FUNKWERK: Party = {
  legalName: 'Funkwerk Netz GmbH', tradingName: 'Funkwerk', taxIds: ['DE811907980'], companyId: 'HRB 201234 (AG München)',
  address: { lines: ['Seestraße 4'], postalCode: '83684', city: 'Tegernsee', countryCode: 'DE' },
  endpoint: { scheme: '9930', id: 'DE811907980' }, email: 'rechnung@funkwerk.example', phone: '+49 8022 123456',
};
export const FUNKWERK_BRAND: Branding = {
  logo: 'logo.png', primaryColor: '#0b5394', accentColor: '#e69138',
  paymentInstructions: ['Bank transfer to Funkwerk Netz GmbH', 'IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX', 'Reference: your invoice number'],
  iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', footer: 'Funkwerk Netz GmbH · Geschäftsführer: M. Huber · HRB 201234 AG München',
};
const KAZE: Party = {
  legalName: '風ネット合同会社', tradingName: 'Kaze Net', taxIds: ['T4010401234567'],
  address: { lines: ['大手2-4-1'], postalCode: '390-0874', city: '松本市', region: '長野県', countryCode: 'JP' }, email: 'billing@kaze.example.jp',
};
const KAZE_BRAND: Branding = {
  primaryColor: '#7a1f3d', accentColor: '#c9a227', paymentInstructions: ['口座振替 (direct debit) on the due date', '八十二銀行 松本支店 普通 1234567'],
};
const MESA: Party = {
  legalName: 'Mesa Wireless LLC', taxIds: ['32012345678'],
  address: { lines: ['101 W San Antonio St'], city: 'Marfa', region: 'TX', postalCode: '79843', countryCode: 'US' },
  email: 'billing@mesawireless.example', phone: '+1 432 555 0142',
};
const MESA_BRAND: Branding = {
  primaryColor: '#1d6b45', accentColor: '#b45309',
  paymentInstructions: ['Pay online at https://pay.mesawireless.example', 'ACH: First Marfa Bank, routing 111000025, account 4455667788', 'Checks payable to Mesa Wireless LLC'],
};

/** Hourly rows over the period: a day curve (quiet nights, busy evenings) scaled per day, deterministic. */
function usageFor(c: Customer, periodLabel: string, gbPerDay: bigint): CustomerUsage {
  const period = customerPeriod(c, periodLabel);
  const subscriber = subscribersOf(c)[0]!;
  const curve = [1n, 1n, 1n, 1n, 1n, 1n, 2n, 3n, 3n, 3n, 3n, 4n, 4n, 4n, 4n, 4n, 5n, 6n, 8n, 9n, 9n, 8n, 5n, 2n]; // Σ = 96
  const rows: UsageRow[] = [];
  // Usage only while in service: from the later of the period start and the first subscription's start.
  const start = Math.max(period.from, parseInstant(c.subscriptions[0]!.start, c.timezone));
  for (let t = start, i = 0; t < period.to; t += HOUR, i++) {
    const { hour, day } = localParts(t, c.timezone);
    const scale = 80n + BigInt((day * 37) % 41); // 80…120 % of the mean
    const down = (gbPerDay * GB * curve[hour]! * scale) / (96n * 100n) + BigInt((i * 7919) % 1000) * 10_007n; // a little noise
    rows.push({ subscriber, class: '', time: t, bytesDown: down, bytesUp: down / 9n });
  }
  const query = usageSql({ from: period.from, to: period.to, subscriber, step: '1h', byClass: true }).evidence;
  return { store: 'embedded', step: '1h', queries: [query], subscribers: [subscriber], rows };
}

/** Down and up per local day of the customer, for the chart. */
export function dailyUsageOf(usage: CustomerUsage, timezone: string): DailyUsage[] {
  const days = new Map<string, DailyUsage>();
  for (const r of usage.rows) {
    const p = localParts(r.time, timezone);
    const date = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
    const d = days.get(date) ?? { date, bytesDown: 0n, bytesUp: 0n };
    d.bytesDown += r.bytesDown;
    d.bytesUp += r.bytesUp;
    days.set(date, d);
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

export interface GoldenCase {
  /** File stem under fixtures/golden/. */
  name: string;
  what: string;
  doc: InvoiceDocument;
  /** The seller's logo, when it has one. */
  logoDataUri?: string;
}

function customer(cat: Catalog, id: string): Customer {
  const c = cat.customers.find((x) => x.id === id);
  if (!c) throw new Error(`golden cases: no customer ${id} in ${CATALOG_FILES.customers}`);
  return c;
}

/** A fixture customer rated for 2025-12 over the made-up usage (gbPerDay on average), with its daily usage. */
export function ratedGolden(id: string, gbPerDay: bigint): { c: Customer; inv: RatedInvoice; daily: DailyUsage[] } {
  const cat = loadCatalog(CATALOG_FILES);
  const c = customer(cat, id);
  const usage = usageFor(c, '2025-12', gbPerDay);
  return { c, inv: rateCustomer(cat, c, '2025-12', usage), daily: dailyUsageOf(usage, c.timezone) };
}

/** Every golden document, in a fixed order. */
export function goldenCases(): GoldenCase[] {
  const rated = (id: string, gbPerDay: bigint) => ratedGolden(id, gbPerDay);
  const de = rated('C-DE-0042', 14n);
  const at = rated('C-AT-0007', 1400n);
  const jp = rated('C-JP-0815', 9n);
  const us = rated('C-US-1001', 30n);
  const deDoc = buildDocument(de.inv, {
    kind: 'invoice', number: 'INV-2026-000042', series: 'INV', sequence: 42, issueDate: '2026-01-01', dueDate: '2026-01-15',
    seller: FUNKWERK, branding: FUNKWERK_BRAND, customer: de.c, dailyUsage: de.daily,
  });
  return [
    { name: 'eu-vat-invoice', what: 'EUR, 19 % VAT exclusive, usage over a quota with the daily chart (Peppol BIS 3)', doc: deDoc, logoDataUri: LOGO_DATA_URI },
    {
      name: 'eu-reverse-charge-invoice', what: 'EUR B2B to Austria, reverse charge (Peppol BIS 3, category AE)', logoDataUri: LOGO_DATA_URI,
      doc: buildDocument(at.inv, {
        kind: 'invoice', number: 'INV-2026-000043', series: 'INV', sequence: 43, issueDate: '2026-01-01', dueDate: '2026-01-31',
        seller: FUNKWERK, branding: FUNKWERK_BRAND, customer: at.c, dailyUsage: at.daily,
      }),
    },
    {
      name: 'eu-credit-note', what: 'EUR credit note of the whole VAT invoice (Peppol BIS 3 CreditNote, BillingReference)', logoDataUri: LOGO_DATA_URI,
      doc: buildDocument(de.inv, {
        kind: 'credit_note', number: 'CN-2026-000003', series: 'CN', sequence: 3, issueDate: '2026-01-09', dueDate: '2026-01-09',
        seller: FUNKWERK, branding: FUNKWERK_BRAND, customer: de.c, dailyUsage: [],
        corrects: { invoiceNumber: deDoc.number, issueDate: deDoc.issueDate, reason: 'Service outage 2025-12-03 to 2025-12-31: whole month credited' },
      }),
    },
    {
      name: 'jp-invoice', what: 'JPY (no minor unit), 10 % consumption tax, usage per GiB',
      doc: buildDocument(jp.inv, {
        kind: 'invoice', number: 'KZ-2026-000101', series: 'KZ', sequence: 101, issueDate: '2026-01-05', dueDate: '2026-01-27',
        seller: KAZE, branding: KAZE_BRAND, customer: jp.c, dailyUsage: jp.daily,
      }),
    },
    {
      name: 'us-compound-tax-invoice', what: 'USD, state sales tax plus a compound local tax, proration, discount, one-off, credit (plain UBL 2.1)',
      doc: buildDocument(us.inv, {
        kind: 'invoice', number: 'MW-2026-000007', series: 'MW', sequence: 7, issueDate: '2026-01-01', dueDate: '2026-01-31',
        seller: MESA, branding: MESA_BRAND, customer: us.c, dailyUsage: us.daily,
      }),
    },
  ];
}

/** Every golden file by name (fixtures/golden/), rendered from goldenCases(): what `npm run golden` writes and the tests compare. */
export function goldenFiles(): Map<string, string> {
  const cases = goldenCases();
  const files = new Map<string, string>();
  for (const c of cases) {
    files.set(`${c.name}.html`, renderHtml(c.doc, c.logoDataUri ? { logoDataUri: c.logoDataUri } : {}));
    files.set(`${c.name}.json`, renderJson(c.doc));
    files.set(`${c.name}.ubl.xml`, renderUbl(c.doc));
  }
  const docs = cases.map((c) => c.doc);
  files.set('invoices.csv', renderCsv(docs));
  files.set('xero.csv', renderXeroCsv(docs.filter((d) => d.kind === 'invoice'), XERO_MAPPING));
  files.set('xero-credit-notes.csv', renderXeroCreditNoteCsv(docs.filter((d) => d.kind === 'credit_note'), XERO_MAPPING));
  files.set('quickbooks.csv', renderQuickBooksCsv(docs.filter((d) => d.kind === 'invoice'), QUICKBOOKS_MAPPING));
  return files;
}

/** How the fixture sellers would map their Xero tax rates and accounts (the names in their Xero organisations). */
export const XERO_MAPPING: AccountingMapping = {
  byCategory: { internet: '200', equipment: '260', service: '210' },
  taxTypes: { 'de-vat': '19% (VAT on Income)', 'jp-ct': '10% Consumption Tax', 'us-tx-state+us-tx-marfa': 'Marfa Sales Tax (compound)', 'reverse-charge': 'Reverse Charge' },
};

export const QUICKBOOKS_MAPPING: AccountingMapping = {
  byCategory: { internet: 'Internet service', equipment: 'Equipment rental', service: 'Installation' },
};
