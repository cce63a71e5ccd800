// The scenario table from issue 4: each case derives its amount by hand in a comment, then rates it through the catalog schema.
import { describe, expect, it } from 'vitest';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import type { Catalog } from '../config/catalog-schema.js';
import { parseInstant } from './calendar.js';
import type { RatedInvoice } from './fee.js';
import { invoiceToJson } from './invoice-json.js';
import { formatMoney } from './money.js';
import { rateCustomer } from './rate.js';
import type { CustomerUsage, UsageRow } from './usage.js';

const GB = 1_000_000_000n;
const HOUR = 3_600_000;

const TAXES = `rounding: { mode: HALF_UP, tax: per_line }
taxes:
  categories: [internet, service]
  rates:
    - { id: none, name: none, jurisdiction: NONE, categories: [internet], rate: "0" }
    - { id: de-vat, name: USt, jurisdiction: DE, categories: [internet, service], rate: "0.19" }
    - { id: ca-gst, name: GST, jurisdiction: CA-QC, categories: [internet], rate: "0.05" }
    - { id: ca-qst, name: QST, jurisdiction: CA-QC, categories: [internet], rate: "0.09975", compound: true }
    - { id: ca-qst-simple, name: QST simple, jurisdiction: CA-QC-SIMPLE, categories: [internet], rate: "0.09975" }
    - { id: ca-gst-simple, name: GST simple, jurisdiction: CA-QC-SIMPLE, categories: [internet], rate: "0.05" }
    - { id: jp-ct, name: 消費税, jurisdiction: JP, categories: [internet], rate: "0.10" }
`;

/** A catalog from plan YAML (indented under plans:) and one customer's YAML body. */
function catalog(plans: string, customer: string, rounding?: string): Catalog {
  const p = parsePlans(`${rounding ? TAXES.replace('rounding: { mode: HALF_UP, tax: per_line }', rounding) : TAXES}plans:\n${plans}`, 'plans.yaml');
  return toCatalog(p, parseCustomers(`customers:\n  - id: C1\n    legalName: C One\n${customer}`, 'customers.yaml', p));
}

const cust = (o: { currency?: string; tz?: string; jurisdiction?: string; subs: string; extra?: string }) => `    currency: ${o.currency ?? 'USD'}
    timezone: ${o.tz ?? 'America/Chicago'}
    tax: { jurisdiction: ${o.jurisdiction ?? 'NONE'} }
    subscribers: { radius: [c1] }
${o.extra ?? ''}    subscriptions:
${o.subs}`;

const usage = (rows: UsageRow[]): CustomerUsage => ({ store: 'test', step: '1h', queries: ['test'], subscribers: ['c1'], rows });
const row = (time: number, down: bigint, up = 0n): UsageRow => ({ subscriber: 'c1', time, bytesDown: down, bytesUp: up });

function rate(cat: Catalog, period: string, rows: UsageRow[] = []): RatedInvoice {
  return rateCustomer(cat, cat.customers[0]!, period, usage(rows));
}
const amounts = (inv: RatedInvoice) => inv.fees.map((f) => `${f.chargeId}:${f.kind}=${formatMoney(f.amount, inv.currency)}`);
const money = (inv: RatedInvoice, key: 'total' | 'taxTotal' | 'subtotal' | 'amountDue') => formatMoney(inv[key], inv.currency);
const DEC1 = Date.UTC(2025, 11, 1, 12); // a Chicago afternoon on 2025-12-01

describe('scenarios (issue 4)', () => {
  const quota = `  - id: q
    name: Quota
    currency: USD
    charges:
      - { id: over, model: quota_overage, unit: GB, included: "500", overageBlock: "10", overageBlockPrice: "5.00", taxCategory: internet }
`;
  it.each([
    // Included 500 GB (10^9 bytes); overage rounded up to 10 GB blocks at 5.00.
    ['exactly the cap: 500 GB → no overage', 500n * GB, '0.00'],
    ['one byte over: 1 byte → 1 block → 5.00', 500n * GB + 1n, '5.00'],
    ['a full block over: 10 GB → 1 block → 5.00', 510n * GB, '5.00'],
    ['one byte past a block: 10 GB + 1 → 2 blocks → 10.00', 510n * GB + 1n, '10.00'],
  ])('cap and overage at the boundary: %s', (_name, bytes, want) => {
    const inv = rate(catalog(quota, cust({ subs: '      - { id: S1, plan: q, start: 2025-01-01 }\n' })), '2025-12', [row(DEC1, bytes)]);
    expect(money(inv, 'total')).toBe(want);
  });

  it('a tier boundary inside one hourly usage row is split by quantity', () => {
    // Tiers [0,100) free, [100,1000) 0.10/GB, [1000,∞) 0.05/GB. One hour of 100.5 GB straddles the first boundary:
    // 100 GB × 0 + 0.5 GB × 0.10 = 0.05. A second row of 900 GB (1000.5 GB in all) crosses the next boundary:
    // [100,1000) takes 900 GB × 0.10 = 90.00, [1000,∞) 0.5 GB × 0.05 = 0.025; 90.025 → HALF_UP → 90.03 (rounded once).
    const plans = `  - id: g
    name: G
    currency: USD
    charges:
      - id: data
        model: graduated
        unit: GB
        taxCategory: internet
        tiers:
          - { from: "0", upTo: "100", unitPrice: "0" }
          - { from: "100", upTo: "1000", unitPrice: "0.10" }
          - { from: "1000", unitPrice: "0.05" }
`;
    const cat = catalog(plans, cust({ subs: '      - { id: S1, plan: g, start: 2025-01-01 }\n' }));
    expect(money(rate(cat, '2025-12', [row(DEC1, 100_500_000_000n)]), 'total')).toBe('0.05');
    expect(money(rate(cat, '2025-12', [row(DEC1, 100_500_000_000n), row(DEC1 + HOUR, 900n * GB)]), 'total')).toBe('90.03');
  });

  it('volume vs graduated on the same usage', () => {
    // Tiers [0,100) 0.20, [100,500) 0.15, [500,∞) 0.10; usage 600 GB.
    // Graduated: 100 × 0.20 + 400 × 0.15 + 100 × 0.10 = 20 + 60 + 10 = 90.00.
    // Volume: all 600 GB at the tier it ends in: 600 × 0.10 = 60.00.
    const tiers = `        tiers:
          - { from: "0", upTo: "100", unitPrice: "0.20" }
          - { from: "100", upTo: "500", unitPrice: "0.15" }
          - { from: "500", unitPrice: "0.10" }
`;
    const readable = `  - id: t
    name: T
    currency: USD
    charges:
      - id: grad
        model: graduated
        unit: GB
        taxCategory: internet
${tiers}      - id: vol
        model: volume
        unit: GB
        taxCategory: internet
${tiers}`;
    const inv = rate(catalog(readable, cust({ subs: '      - { id: S1, plan: t, start: 2025-01-01 }\n' })), '2025-12', [row(DEC1, 600n * GB)]);
    expect(amounts(inv)).toEqual(['grad:graduated=90.00', 'vol:volume=60.00']);
  });

  const twoPlans = (currency = 'USD', a = '49.00', b = '69.00') => `  - id: home-50
    name: Home 50
    currency: ${currency}
    charges:
      - { id: base, model: flat, price: "${a}", taxCategory: internet }
  - id: home-100
    name: Home 100
    currency: ${currency}
    charges:
      - { id: base, model: flat, price: "${b}", taxCategory: internet }
`;

  it('a plan change on the 17th', () => {
    // December 2025 has 31 days: home-50 for the 1st–16th (16 days), home-100 from the 17th (15 days).
    // Each monthly price is split over both pieces by largest remainder, in cents:
    //   4900 × 16/31 = 2529 r1, 4900 × 15/31 = 2370 r30 → the leftover cent goes to r30: [2529, 2371] → 25.29
    //   6900 × 16/31 = 3561 r9, 6900 × 15/31 = 3338 r22 → [3561, 3339] → 33.39
    // Total 25.29 + 33.39 = 58.68.
    const inv = rate(catalog(twoPlans(), cust({ subs: '      - { id: S1, plan: home-50, start: 2025-01-01, changes: [{ date: 2025-12-17, plan: home-100 }] }\n' })), '2025-12');
    expect(amounts(inv)).toEqual(['base:flat=25.29', 'base:flat=33.39']);
    expect(inv.fees.map((f) => f.planId)).toEqual(['home-50', 'home-100']);
    expect(money(inv, 'total')).toBe('58.68');
    // Same price on both plans: the parts add back to exactly one month.
    const same = rate(catalog(twoPlans('USD', '49.00', '49.00'), cust({ subs: '      - { id: S1, plan: home-50, start: 2025-01-01, changes: [{ date: 2025-12-17, plan: home-100 }] }\n' })), '2025-12');
    expect(money(same, 'total')).toBe('49.00');
  });

  it('a suspension removes its days and shrinks the allowance', () => {
    // Suspended [Dec 5, Dec 10): pieces of 4, 5 and 22 days. 4900 × {4,5,22}/31 = 632 r8, 790 r10, 3477 r13;
    // the leftover cent goes to r13 → 3478. Active: 632 + 3478 = 4110 → 41.10 (49 × 26/31 = 41.097 ✓).
    // Allowance 500 GB × 26/31 = 419.35… GB; usage 425 GB → 5.65 GB over → 1 block of 10 GB → 5.00.
    const plans = `  - id: p
    name: P
    currency: USD
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
      - { id: over, model: quota_overage, unit: GB, included: "500", overageBlock: "10", overageBlockPrice: "5.00", taxCategory: internet }
`;
    const cat = catalog(plans, cust({ subs: '      - { id: S1, plan: p, start: 2025-01-01, suspensions: [{ from: 2025-12-05, to: 2025-12-10 }] }\n' }));
    const inv = rate(cat, '2025-12', [row(DEC1, 425n * GB), row(Date.UTC(2025, 11, 6, 12), 999n * GB)]);
    expect(amounts(inv)).toEqual(['base:flat=41.10', 'over:quota_overage=5.00']);
    // Usage while suspended (the 999 GB on Dec 6) is not rated; the evidence shows only the active spans.
    expect(inv.fees[1]!.evidence!.bytesCounted).toBe(425n * GB);
  });

  it('night-free window across both DST changes (America/New_York)', () => {
    // 00:00–06:00 local is unmetered; 1.00 per GB; 1 GB in every hour from local 00:00 to 08:00.
    // Fall back, 2025-11-02: 04:00Z–13:00Z is 9 hours; local 00,01 EDT,01 EST,02,03,04,05 = 7 free, 06 and 07 billed → 2.00.
    // Spring forward, 2025-03-09: 05:00Z–12:00Z is 7 hours; local 00,01,03,04,05 = 5 free (02 never happens), 06, 07 → 2.00.
    const plans = `  - id: n
    name: Nights free
    currency: USD
    charges:
      - { id: data, model: per_unit, unit: GB, unitPrice: "1.00", taxCategory: internet, usage: { unmetered: [{ from: "00:00", to: "06:00" }] } }
`;
    const cat = catalog(plans, cust({ tz: 'America/New_York', subs: '      - { id: S1, plan: n, start: 2025-01-01 }\n' }));
    const hours = (fromUtc: number, n: number) => Array.from({ length: n }, (_, i) => row(fromUtc + i * HOUR, GB));
    const nov = rate(cat, '2025-11', hours(Date.UTC(2025, 10, 2, 4), 9));
    expect(money(nov, 'total')).toBe('2.00');
    expect(nov.fees[0]!.evidence!.bytesUnmetered).toBe(7n * GB);
    const mar = rate(cat, '2025-03', hours(Date.UTC(2025, 2, 9, 5), 7));
    expect(money(mar, 'total')).toBe('2.00');
    expect(mar.fees[0]!.evidence!.bytesUnmetered).toBe(5n * GB);
  });

  describe('95th percentile over a month with ties', () => {
    // December 2025 in Chicago: 31 days × 288 five-minute samples = 8928. Nearest rank: ceil(0.95 × 8928) = 8482.
    // 200 Mbps for 5 minutes = 200e6 / 8 × 300 = 7.5e9 bytes; 50 Mbps = 1.875e9 bytes.
    // With k samples at 200 and the rest at 50, the 8482nd smallest is 200 iff 8928 − k < 8482, i.e. k ≥ 447.
    // k = 446 → p95 = 50 ≤ 100 committed → burst 0 → 400.00; k = 447 → p95 = 200 → 100 Mbps × 3.50 = 350.00 → 750.00.
    const plans = `  - id: b
    name: Burstable
    currency: USD
    proration: second
    charges:
      - { id: transit, model: percentile, committedMbps: "100", commitPrice: "400.00", burstPricePerMbps: "3.50", taxCategory: internet }
`;
    const cat = catalog(plans, cust({ subs: '      - { id: S1, plan: b, start: 2025-01-01 }\n' }));
    const from = parseInstant('2025-12-01', 'America/Chicago');
    const month = (k: number) => Array.from({ length: 8928 }, (_, i) => row(from + i * 300_000, i % 20 === 0 && Math.floor(i / 20) < k ? 7_500_000_000n : 1_875_000_000n, 1n));
    it('refuses hourly usage for a percentile charge', () => {
      expect(() => rateCustomer(cat, cat.customers[0]!, '2025-12', usage([]))).toThrow(/needs 5-minute usage \(got 1h/);
    });
    it.each([[446, '400.00'], [447, '750.00']])('%i samples at 200 Mbps → %s', (k, want) => {
      const inv = rateCustomer(cat, cat.customers[0]!, '2025-12', { ...usage(month(k)), step: '5m' });
      expect(money(inv, 'total')).toBe(want);
    });
  });

  it.each([
    // DE 19 %, 49.00. Exclusive: tax 9.31, total 58.31.
    ['exclusive', '9.31', '58.31', '49.00'],
    // Inclusive: net = 49 / 1.19 = 41.17647…; tax = 7.82352… → 7.82; net = 49.00 − 7.82 = 41.18; total 49.00.
    ['inclusive', '7.82', '49.00', '41.18'],
  ])('%s tax', (prices, tax, total, subtotal) => {
    const plans = `  - id: de
    name: DE
    currency: EUR
    prices: ${prices}
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
`;
    const inv = rate(catalog(plans, cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs: '      - { id: S1, plan: de, start: 2025-01-01 }\n' })), '2025-12');
    expect([money(inv, 'taxTotal'), money(inv, 'total'), money(inv, 'subtotal')]).toEqual([tax, total, subtotal]);
  });

  it('compound tax (QST on net + GST) vs the same rates side by side', () => {
    // Net 100.00. Compound: GST 5.00; QST on 105.00 × 0.09975 = 10.47375 → 10.47; total 115.47.
    // Simple: QST 100 × 0.09975 = 9.975 → 9.98 (HALF_UP); GST 5.00; total 114.98.
    const plans = `  - id: qc
    name: QC
    currency: CAD
    charges:
      - { id: base, model: flat, price: "100.00", taxCategory: internet }
`;
    const subs = '      - { id: S1, plan: qc, start: 2025-01-01 }\n';
    const compound = rate(catalog(plans, cust({ currency: 'CAD', tz: 'America/Toronto', jurisdiction: 'CA-QC', subs })), '2025-12');
    expect(compound.taxes.map((t) => `${t.rateId}=${t.amount.toFixed(2)}`)).toEqual(['ca-gst=5.00', 'ca-qst=10.47']);
    expect(money(compound, 'total')).toBe('115.47');
    const simple = rate(catalog(plans, cust({ currency: 'CAD', tz: 'America/Toronto', jurisdiction: 'CA-QC-SIMPLE', subs })), '2025-12');
    expect(money(simple, 'total')).toBe('114.98');
  });

  it.each([
    // JPY has no minor unit. 12.5 JPY/GB × 5 GB = 62.5. HALF_UP → 63, tax 6.3 → 6, total 69.
    // HALF_EVEN → 62 (2 is even), tax 6.2 → 6, total 68.
    ['HALF_UP', '69'],
    ['HALF_EVEN', '68'],
  ])('JPY rounding %s', (mode, want) => {
    const plans = `  - id: jp
    name: JP
    currency: JPY
    charges:
      - { id: data, model: per_unit, unit: GB, unitPrice: "12.5", taxCategory: internet }
`;
    const cat = catalog(plans, cust({ currency: 'JPY', tz: 'Asia/Tokyo', jurisdiction: 'JP', subs: '      - { id: S1, plan: jp, start: 2025-01-01 }\n' }), `rounding: { mode: ${mode}, tax: per_line }`);
    expect(money(rate(cat, '2025-12', [row(Date.UTC(2025, 11, 10), 5n * GB)]), 'total')).toBe(want);
  });

  it.each([
    // KWD has 3 digits (fils). Start on Dec 17: 15 of 31 days of 7.125: 7125 × {16,15}/31 = 3677 r13, 3447 r18;
    // the leftover fils goes to r18 → 3448 → 3.448. Data 0.0125 KWD/GB × 1 GB = 0.0125 → HALF_UP 0.013, HALF_EVEN 0.012.
    ['HALF_UP', ['base:flat=3.448', 'data:per_unit=0.013'], '3.461'],
    ['HALF_EVEN', ['base:flat=3.448', 'data:per_unit=0.012'], '3.460'],
  ])('KWD rounding %s', (mode, fees, total) => {
    const plans = `  - id: kw
    name: KW
    currency: KWD
    charges:
      - { id: base, model: flat, price: "7.125", taxCategory: internet }
      - { id: data, model: per_unit, unit: GB, unitPrice: "0.0125", taxCategory: internet }
`;
    const cat = catalog(plans, cust({ currency: 'KWD', tz: 'Asia/Kuwait', subs: '      - { id: S1, plan: kw, start: 2025-12-17 }\n' }), `rounding: { mode: ${mode}, tax: per_line }`);
    const inv = rate(cat, '2025-12', [row(Date.UTC(2025, 11, 20), GB)]);
    expect(amounts(inv)).toEqual(fees);
    expect(money(inv, 'total')).toBe(total);
  });

  it('a credit larger than the invoice leaves the rest for later', () => {
    // 49.00 + 19 % = 58.31; credit 100.00 → applied 58.31, due 0.00, 41.69 carried over.
    const plans = `  - id: de
    name: DE
    currency: EUR
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
`;
    const extra = '    credits: [{ id: CR1, amount: "100.00", date: 2025-11-20, reason: outage }]\n';
    const inv = rate(catalog(plans, cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', extra, subs: '      - { id: S1, plan: de, start: 2025-01-01 }\n' })), '2025-12');
    expect(money(inv, 'total')).toBe('58.31');
    expect(money(inv, 'amountDue')).toBe('0.00');
    expect(inv.credits.map((c) => [c.applied.toFixed(2), c.remaining.toFixed(2)])).toEqual([['58.31', '41.69']]);
  });

  it('setup fee, time-limited percent discount, exemption and reverse charge', () => {
    // Start Dec 1 on a plan with 40.00 monthly, 99.00 setup and 50 % off the monthly fee for the first 2 periods.
    // Dec: 40.00 + 99.00 − 20.00 = 119.00 net; VAT 19 % per line: 7.60 + 18.81 − 3.80 = 22.61 → 141.61.
    // Feb (third period): no setup, no discount: 40.00 + 7.60 = 47.60. Reverse charge: no tax at all.
    const plans = `  - id: promo
    name: Promo
    currency: EUR
    charges:
      - { id: base, model: flat, price: "40.00", taxCategory: internet }
      - { id: setup, model: one_off, price: "99.00", taxCategory: service }
      - { id: half, model: discount, percent: "50", firstPeriods: 2, taxCategory: internet }
`;
    const subs = '      - { id: S1, plan: promo, start: 2025-12-01 }\n';
    const cat = catalog(plans, cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs }));
    const dec = rate(cat, '2025-12');
    expect(amounts(dec)).toEqual(['base:flat=40.00', 'setup:one_off=99.00', 'half:discount=-20.00']);
    expect([money(dec, 'subtotal'), money(dec, 'taxTotal'), money(dec, 'total')]).toEqual(['119.00', '22.61', '141.61']);
    expect(money(rate(cat, '2026-02'), 'total')).toBe('47.60');
    const rc = catalog(plans, cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs }).replace('tax: { jurisdiction: DE }', 'tax: { jurisdiction: DE, reverseCharge: true }'));
    const inv = rate(rc, '2025-12');
    expect([money(inv, 'taxTotal'), money(inv, 'total'), inv.notes.length]).toEqual(['0.00', '119.00', 1]);
    const ex = catalog(plans, cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs }).replace('tax: { jurisdiction: DE }', 'tax: { jurisdiction: DE, exemptions: [de-vat] }'));
    expect(money(rate(ex, '2025-12'), 'taxTotal')).toBe('0.00');
  });

  it('package blocks and the JSON form carry evidence', () => {
    // Blocks of 50 GiB (2^30 bytes) at 7.00 with 1 free: 120 GiB → 3 blocks − 1 free = 2 × 7.00 = 14.00.
    const plans = `  - id: pk
    name: PK
    currency: USD
    charges:
      - { id: blocks, model: package, unit: GiB, blockSize: "50", blockPrice: "7.00", freeBlocks: 1, taxCategory: internet }
`;
    const inv = rate(catalog(plans, cust({ subs: '      - { id: S1, plan: pk, start: 2025-01-01 }\n' })), '2025-12', [row(DEC1, 60n * 2n ** 30n, 60n * 2n ** 30n)]);
    expect(money(inv, 'total')).toBe('14.00');
    const json = invoiceToJson(inv) as { fees: { unit: string; evidence: { bytesCounted: string; queries: string[] } }[] };
    expect(json.fees[0]!.unit).toBe('block of 50 GiB');
    expect(json.fees[0]!.evidence).toMatchObject({ bytesCounted: String(120n * 2n ** 30n), queries: ['test'] });
  });

  it('customer discounts: a fixed amount split by largest remainder and capped; a dated one-off', () => {
    // Fees 40.00 (base) and 20.00 (extra). 10.00 off, split by amount 4000:2000 cents: 666 r4000, 333 r2000;
    // the leftover cent goes to r4000 → −6.67 and −3.33. A 100.00 discount is capped at the 60.00 it can reduce:
    // −40.00 and −20.00. The installation one-off on Dec 3 (150.00) is not discounted.
    const plans = `  - id: two
    name: Two
    currency: USD
    charges:
      - { id: base, model: flat, price: "40.00", taxCategory: internet }
      - { id: extra, model: flat, price: "20.00", taxCategory: internet }
`;
    const sub = (amount: string) => `      - id: S1
        plan: two
        start: 2025-01-01
        discounts: [{ id: loyal, amount: "${amount}", from: 2025-12-01, to: 2026-01-01 }]
        oneOff: [{ id: install, description: Installation, price: "150.00", date: 2025-12-03, taxCategory: service }]
`;
    const ten = rate(catalog(plans, cust({ subs: sub('10.00') })), '2025-12');
    expect(amounts(ten)).toEqual(['base:flat=40.00', 'extra:flat=20.00', 'loyal:discount=-6.67', 'loyal:discount=-3.33', 'install:one_off=150.00']);
    expect(money(ten, 'total')).toBe('200.00');
    const hundred = rate(catalog(plans, cust({ subs: sub('100.00') })), '2025-12');
    expect(money(hundred, 'total')).toBe('150.00');
    // Outside the discount's dates: the full price, and no one-off (it was in December).
    expect(money(rate(catalog(plans, cust({ subs: sub('10.00') })), '2026-01'), 'total')).toBe('60.00');
  });
});
