// The scenario table of issue 4 as data: one rating per case (catalog, period, usage rows) with its hand-derived expectations.
// rating/scenarios.test.ts rates every case in memory; test/rating-scenarios-stores.test.ts rates them through both stores.
import { expect } from 'vitest';
import { parseCustomers, parsePlans, toCatalog } from '../../config/catalog-load.js';
import type { Catalog } from '../../config/catalog-schema.js';
import { parseInstant } from '../calendar.js';
import type { RatedInvoice } from '../fee.js';
import { invoiceToJson } from '../invoice-json.js';
import { formatMoney } from '../money.js';
import { customerPeriod, usageSegments, usageStepFor } from '../rate.js';
import type { CustomerUsage, UsageRow } from '../usage.js';

/** One usage row of a case: a bucket start (UTC ms, aligned to the case's step) and its bytes. */
export interface ScenarioRow {
  time: number;
  down: bigint;
  up: bigint;
}

/** How the usage reached rating, for the few expectations that quote the evidence. */
export interface ReadVia {
  /** The store's queries as the evidence must show them (literal text, or matchers where the store writes its own). */
  queries: readonly unknown[];
}

export interface ScenarioCase {
  name: string;
  /**
   * The customer's one RADIUS identity. Unique in the table, so every case can be written to one store and
   * still read only its own rows.
   */
  subscriber: string;
  /** Plan YAML, indented under `plans:`. */
  plans: string;
  /** The customer's YAML body after id, legal name and subscribers (see cust()). */
  customer: string;
  /** Replaces the table's rounding line (HALF_UP, per line) when set. */
  rounding?: string;
  period: string;
  /** Bucket size of `rows`, as collectors would have written them (ratePeriod may read them coarser: see caseUsage). */
  step: '1h' | '5m';
  rows: readonly ScenarioRow[];
  check(inv: RatedInvoice, via: ReadVia): void;
}

export const CUSTOMER_ID = 'C1';

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

/** The case's catalog: its plan YAML under the table's taxes, and its one customer with its own identity. */
export function catalogOf(c: Pick<ScenarioCase, 'plans' | 'customer' | 'rounding' | 'subscriber'>): Catalog {
  const p = parsePlans(`${c.rounding ? TAXES.replace('rounding: { mode: HALF_UP, tax: per_line }', c.rounding) : TAXES}plans:\n${c.plans}`, 'plans.yaml');
  const customers = `customers:\n  - id: ${CUSTOMER_ID}\n    legalName: C One\n    subscribers: { radius: [${c.subscriber}] }\n${c.customer}`;
  return toCatalog(p, parseCustomers(customers, 'customers.yaml', p));
}

/**
 * The case's rows as a store answers ratePeriod, under a store named "test" that ran the query "test": at the case's
 * step, or summed per segment of the period when usageStepFor reads totals (a store returns no row for an empty one).
 */
export function caseUsage(c: ScenarioCase, catalog: Catalog = catalogOf(c), step?: CustomerUsage['step']): CustomerUsage {
  const rows: UsageRow[] = c.rows.map((r) => ({ subscriber: c.subscriber, time: r.time, bytesDown: r.down, bytesUp: r.up }));
  const customer = catalog.customers[0]!;
  const period = customerPeriod(customer, c.period);
  const grain = step ?? usageStepFor(catalog, customer, period);
  const base = { store: 'test', queries: ['test'], subscribers: [c.subscriber] };
  if (grain !== 'total') return { ...base, step: step ?? c.step, rows };
  const totals = usageSegments(customer, period).flatMap((seg): UsageRow[] => {
    const inSeg = rows.filter((r) => r.time >= seg.from && r.time < seg.to);
    if (inSeg.length === 0) return [];
    return [{ subscriber: c.subscriber, time: seg.from, bytesDown: inSeg.reduce((a, r) => a + r.bytesDown, 0n), bytesUp: inSeg.reduce((a, r) => a + r.bytesUp, 0n) }];
  });
  return { ...base, step: 'total', rows: totals };
}

const cust = (o: { currency?: string; tz?: string; jurisdiction?: string; subs: string; extra?: string }) => `    currency: ${o.currency ?? 'USD'}
    timezone: ${o.tz ?? 'America/Chicago'}
    tax: { jurisdiction: ${o.jurisdiction ?? 'NONE'} }
${o.extra ?? ''}    subscriptions:
${o.subs}`;

const row = (time: number, down: bigint, up = 0n): ScenarioRow => ({ time, down, up });

/** A case with the table's defaults: hourly rows, none unless given. */
const scenario = (c: Omit<ScenarioCase, 'step' | 'rows'> & Partial<Pick<ScenarioCase, 'step' | 'rows'>>): ScenarioCase => ({ step: '1h', rows: [], ...c });

export const amounts = (inv: RatedInvoice) => inv.fees.map((f) => `${f.chargeId}:${f.kind}=${formatMoney(f.amount, inv.currency)}`);
export const money = (inv: RatedInvoice, key: 'total' | 'taxTotal' | 'subtotal' | 'amountDue') => formatMoney(inv[key], inv.currency);
const DEC1 = Date.UTC(2025, 11, 1, 12); // a Chicago afternoon on 2025-12-01

const quota = `  - id: q
    name: Quota
    currency: USD
    charges:
      - { id: over, model: quota_overage, unit: GB, included: "500", overageBlock: "10", overageBlockPrice: "5.00", taxCategory: internet }
`;
const quotaCases = (
  [
    // Included 500 GB (10^9 bytes); overage rounded up to 10 GB blocks at 5.00.
    ['exactly the cap: 500 GB → no overage', 500n * GB, '0.00'],
    ['one byte over: 1 byte → 1 block → 5.00', 500n * GB + 1n, '5.00'],
    ['a full block over: 10 GB → 1 block → 5.00', 510n * GB, '5.00'],
    ['one byte past a block: 10 GB + 1 → 2 blocks → 10.00', 510n * GB + 1n, '10.00'],
  ] as const
).map(([name, bytes, want], i) =>
  scenario({
    name: `cap and overage at the boundary: ${name}`,
    subscriber: `quota-${i + 1}`,
    plans: quota,
    customer: cust({ subs: '      - { id: S1, plan: q, start: 2025-01-01 }\n' }),
    period: '2025-12',
    rows: [row(DEC1, bytes)],
    check: (inv) => expect(money(inv, 'total')).toBe(want),
  }),
);

// Tiers [0,100) free, [100,1000) 0.10/GB, [1000,∞) 0.05/GB. One hour of 100.5 GB straddles the first boundary:
// 100 GB × 0 + 0.5 GB × 0.10 = 0.05. A second row of 900 GB (1000.5 GB in all) crosses the next boundary:
// [100,1000) takes 900 GB × 0.10 = 90.00, [1000,∞) 0.5 GB × 0.05 = 0.025; 90.025 → HALF_UP → 90.03 (rounded once).
const graduated = `  - id: g
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
const tierCases = [
  scenario({
    name: 'a tier boundary inside one hourly usage row is split by quantity: 100.5 GB → 0.05',
    subscriber: 'tier-1',
    plans: graduated,
    customer: cust({ subs: '      - { id: S1, plan: g, start: 2025-01-01 }\n' }),
    period: '2025-12',
    rows: [row(DEC1, 100_500_000_000n)],
    check: (inv) => expect(money(inv, 'total')).toBe('0.05'),
  }),
  scenario({
    name: 'a tier boundary inside one hourly usage row is split by quantity: then 900 GB more → 90.03',
    subscriber: 'tier-2',
    plans: graduated,
    customer: cust({ subs: '      - { id: S1, plan: g, start: 2025-01-01 }\n' }),
    period: '2025-12',
    rows: [row(DEC1, 100_500_000_000n), row(DEC1 + HOUR, 900n * GB)],
    check: (inv) => expect(money(inv, 'total')).toBe('90.03'),
  }),
];

// Tiers [0,100) 0.20, [100,500) 0.15, [500,∞) 0.10; usage 600 GB.
// Graduated: 100 × 0.20 + 400 × 0.15 + 100 × 0.10 = 20 + 60 + 10 = 90.00.
// Volume: all 600 GB at the tier it ends in: 600 × 0.10 = 60.00.
const tiers = `        tiers:
          - { from: "0", upTo: "100", unitPrice: "0.20" }
          - { from: "100", upTo: "500", unitPrice: "0.15" }
          - { from: "500", unitPrice: "0.10" }
`;
const volumeVsGraduated = scenario({
  name: 'volume vs graduated on the same usage',
  subscriber: 'volume-vs-graduated',
  plans: `  - id: t
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
${tiers}`,
  customer: cust({ subs: '      - { id: S1, plan: t, start: 2025-01-01 }\n' }),
  period: '2025-12',
  rows: [row(DEC1, 600n * GB)],
  check: (inv) => expect(amounts(inv)).toEqual(['grad:graduated=90.00', 'vol:volume=60.00']),
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
const changeOn17th = '      - { id: S1, plan: home-50, start: 2025-01-01, changes: [{ date: 2025-12-17, plan: home-100 }] }\n';
const planChangeCases = [
  scenario({
    // December 2025 has 31 days: home-50 for the 1st–16th (16 days), home-100 from the 17th (15 days).
    // Each plan's share is rounded on its own (the rest falls on the days it is not active):
    //   49.00 × 16/31 = 25.290… → 25.29
    //   69.00 × 15/31 = 33.387… → 33.39
    // Total 25.29 + 33.39 = 58.68.
    name: 'a plan change on the 17th',
    subscriber: 'plan-change',
    plans: twoPlans(),
    customer: cust({ subs: changeOn17th }),
    period: '2025-12',
    check: (inv) => {
      expect(amounts(inv)).toEqual(['base:flat=25.29', 'base:flat=33.39']);
      expect(inv.fees.map((f) => f.planId)).toEqual(['home-50', 'home-100']);
      expect(money(inv, 'total')).toBe('58.68');
    },
  }),
  scenario({
    // Same price on both plans: the parts add back to exactly one month.
    name: 'a plan change on the 17th: the same price on both plans adds back to one month',
    subscriber: 'plan-change-same-price',
    plans: twoPlans('USD', '49.00', '49.00'),
    customer: cust({ subs: changeOn17th }),
    period: '2025-12',
    check: (inv) => expect(money(inv, 'total')).toBe('49.00'),
  }),
];

const suspension = scenario({
  // Suspended [Dec 5, Dec 10): pieces of 4, 5 and 22 days. 4900 × {4,5,22}/31 = 632 r8, 790 r10, 3477 r13;
  // the leftover cent goes to r13 → 3478. Active: 632 + 3478 = 4110 → 41.10 (49 × 26/31 = 41.097 ✓).
  // Allowance 500 GB × 26/31 = 419.35… GB; usage 425 GB → 5.65 GB over → 1 block of 10 GB → 5.00.
  name: 'a suspension removes its days and shrinks the allowance',
  subscriber: 'suspension',
  plans: `  - id: p
    name: P
    currency: USD
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
      - { id: over, model: quota_overage, unit: GB, included: "500", overageBlock: "10", overageBlockPrice: "5.00", taxCategory: internet }
`,
  customer: cust({ subs: '      - { id: S1, plan: p, start: 2025-01-01, suspensions: [{ from: 2025-12-05, to: 2025-12-10 }] }\n' }),
  period: '2025-12',
  rows: [row(DEC1, 425n * GB), row(Date.UTC(2025, 11, 6, 12), 999n * GB)],
  check: (inv) => {
    expect(amounts(inv)).toEqual(['base:flat=41.10', 'over:quota_overage=5.00']);
    // Usage while suspended (the 999 GB on Dec 6) is not rated; the evidence shows only the active spans.
    expect(inv.fees[1]!.evidence!.bytesCounted).toBe(425n * GB);
  },
});

// 00:00–06:00 local is unmetered; 1.00 per GB; 1 GB in every hour from local 00:00 to 08:00.
// Fall back, 2025-11-02: 04:00Z–13:00Z is 9 hours; local 00,01 EDT,01 EST,02,03,04,05 = 7 free, 06 and 07 billed → 2.00.
// Spring forward, 2025-03-09: 05:00Z–12:00Z is 7 hours; local 00,01,03,04,05 = 5 free (02 never happens), 06, 07 → 2.00.
const nightsFree = `  - id: n
    name: Nights free
    currency: USD
    charges:
      - { id: data, model: per_unit, unit: GB, unitPrice: "1.00", taxCategory: internet, usage: { unmetered: [{ from: "00:00", to: "06:00" }] } }
`;
const hours = (fromUtc: number, n: number) => Array.from({ length: n }, (_, i) => row(fromUtc + i * HOUR, GB));
const dstCases = [
  scenario({
    name: 'night-free window across both DST changes (America/New_York): fall back',
    subscriber: 'night-fall-back',
    plans: nightsFree,
    customer: cust({ tz: 'America/New_York', subs: '      - { id: S1, plan: n, start: 2025-01-01 }\n' }),
    period: '2025-11',
    rows: hours(Date.UTC(2025, 10, 2, 4), 9),
    check: (inv) => {
      expect(money(inv, 'total')).toBe('2.00');
      expect(inv.fees[0]!.evidence!.bytesUnmetered).toBe(7n * GB);
    },
  }),
  scenario({
    name: 'night-free window across both DST changes (America/New_York): spring forward',
    subscriber: 'night-spring-forward',
    plans: nightsFree,
    customer: cust({ tz: 'America/New_York', subs: '      - { id: S1, plan: n, start: 2025-01-01 }\n' }),
    period: '2025-03',
    rows: hours(Date.UTC(2025, 2, 9, 5), 7),
    check: (inv) => {
      expect(money(inv, 'total')).toBe('2.00');
      expect(inv.fees[0]!.evidence!.bytesUnmetered).toBe(5n * GB);
    },
  }),
];

// 95th percentile over a month with ties.
// December 2025 in Chicago: 31 days × 288 five-minute samples = 8928. Nearest rank: ceil(0.95 × 8928) = 8482.
// 200 Mbps for 5 minutes = 200e6 / 8 × 300 = 7.5e9 bytes; 50 Mbps = 1.875e9 bytes.
// With k samples at 200 and the rest at 50, the 8482nd smallest is 200 iff 8928 − k < 8482, i.e. k ≥ 447.
// k = 446 → p95 = 50 ≤ 100 committed → burst 0 → 400.00; k = 447 → p95 = 200 → 100 Mbps × 3.50 = 350.00 → 750.00.
const burstable = `  - id: b
    name: Burstable
    currency: USD
    proration: second
    charges:
      - { id: transit, model: percentile, committedMbps: "100", commitPrice: "400.00", burstPricePerMbps: "3.50", taxCategory: internet }
`;
const decChicago = parseInstant('2025-12-01', 'America/Chicago');
const month = (k: number) =>
  Array.from({ length: 8928 }, (_, i) => row(decChicago + i * 300_000, i % 20 === 0 && Math.floor(i / 20) < k ? 7_500_000_000n : 1_875_000_000n, 1n));
export const PERCENTILE_TITLE = '95th percentile over a month with ties';
const percentileCases = (
  [
    [446, '400.00'],
    [447, '750.00'],
  ] as const
).map(([k, want]) =>
  scenario({
    name: `${PERCENTILE_TITLE}: ${k} samples at 200 Mbps → ${want}`,
    subscriber: `p95-${k}`,
    plans: burstable,
    customer: cust({ subs: '      - { id: S1, plan: b, start: 2025-01-01 }\n' }),
    period: '2025-12',
    step: '5m',
    rows: month(k),
    check: (inv) => expect(money(inv, 'total')).toBe(want),
  }),
);

const taxCases = (
  [
    // DE 19 %, 49.00. Exclusive: tax 9.31, total 58.31.
    ['exclusive', '9.31', '58.31', '49.00'],
    // Inclusive: net = 49 / 1.19 = 41.17647…; tax = 7.82352… → 7.82; net = 49.00 − 7.82 = 41.18; total 49.00.
    ['inclusive', '7.82', '49.00', '41.18'],
  ] as const
).map(([prices, tax, total, subtotal]) =>
  scenario({
    name: `${prices} tax`,
    subscriber: `tax-${prices}`,
    plans: `  - id: de
    name: DE
    currency: EUR
    prices: ${prices}
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
`,
    customer: cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs: '      - { id: S1, plan: de, start: 2025-01-01 }\n' }),
    period: '2025-12',
    check: (inv) => expect([money(inv, 'taxTotal'), money(inv, 'total'), money(inv, 'subtotal')]).toEqual([tax, total, subtotal]),
  }),
);

// Net 100.00. Compound: GST 5.00; QST on 105.00 × 0.09975 = 10.47375 → 10.47; total 115.47.
// Simple: QST 100 × 0.09975 = 9.975 → 9.98 (HALF_UP); GST 5.00; total 114.98.
const quebec = `  - id: qc
    name: QC
    currency: CAD
    charges:
      - { id: base, model: flat, price: "100.00", taxCategory: internet }
`;
const quebecSubs = '      - { id: S1, plan: qc, start: 2025-01-01 }\n';
const compoundCases = [
  scenario({
    name: 'compound tax (QST on net + GST) vs the same rates side by side: compound',
    subscriber: 'tax-compound',
    plans: quebec,
    customer: cust({ currency: 'CAD', tz: 'America/Toronto', jurisdiction: 'CA-QC', subs: quebecSubs }),
    period: '2025-12',
    check: (inv) => {
      expect(inv.taxes.map((t) => `${t.rateId}=${t.amount.toFixed(2)}`)).toEqual(['ca-gst=5.00', 'ca-qst=10.47']);
      expect(money(inv, 'total')).toBe('115.47');
    },
  }),
  scenario({
    name: 'compound tax (QST on net + GST) vs the same rates side by side: side by side',
    subscriber: 'tax-simple',
    plans: quebec,
    customer: cust({ currency: 'CAD', tz: 'America/Toronto', jurisdiction: 'CA-QC-SIMPLE', subs: quebecSubs }),
    period: '2025-12',
    check: (inv) => expect(money(inv, 'total')).toBe('114.98'),
  }),
];

const jpyCases = (
  [
    // JPY has no minor unit. 12.5 JPY/GB × 5 GB = 62.5. HALF_UP → 63, tax 6.3 → 6, total 69.
    // HALF_EVEN → 62 (2 is even), tax 6.2 → 6, total 68.
    ['HALF_UP', '69'],
    ['HALF_EVEN', '68'],
  ] as const
).map(([mode, want]) =>
  scenario({
    name: `JPY rounding ${mode}`,
    subscriber: `jpy-${mode.toLowerCase()}`,
    plans: `  - id: jp
    name: JP
    currency: JPY
    charges:
      - { id: data, model: per_unit, unit: GB, unitPrice: "12.5", taxCategory: internet }
`,
    customer: cust({ currency: 'JPY', tz: 'Asia/Tokyo', jurisdiction: 'JP', subs: '      - { id: S1, plan: jp, start: 2025-01-01 }\n' }),
    rounding: `rounding: { mode: ${mode}, tax: per_line }`,
    period: '2025-12',
    rows: [row(Date.UTC(2025, 11, 10), 5n * GB)],
    check: (inv) => expect(money(inv, 'total')).toBe(want),
  }),
);

const kwdCases = (
  [
    // KWD has 3 digits (fils). Start on Dec 17: 15 of 31 days of 7.125: 7.125 × 15/31 = 3.4475… → 3.448. Data 0.0125 KWD/GB × 1 GB = 0.0125 → HALF_UP 0.013, HALF_EVEN 0.012.
    ['HALF_UP', ['base:flat=3.448', 'data:per_unit=0.013'], '3.461'],
    ['HALF_EVEN', ['base:flat=3.448', 'data:per_unit=0.012'], '3.460'],
  ] as const
).map(([mode, fees, total]) =>
  scenario({
    name: `KWD rounding ${mode}`,
    subscriber: `kwd-${mode.toLowerCase()}`,
    plans: `  - id: kw
    name: KW
    currency: KWD
    charges:
      - { id: base, model: flat, price: "7.125", taxCategory: internet }
      - { id: data, model: per_unit, unit: GB, unitPrice: "0.0125", taxCategory: internet }
`,
    customer: cust({ currency: 'KWD', tz: 'Asia/Kuwait', subs: '      - { id: S1, plan: kw, start: 2025-12-17 }\n' }),
    rounding: `rounding: { mode: ${mode}, tax: per_line }`,
    period: '2025-12',
    rows: [row(Date.UTC(2025, 11, 20), GB)],
    check: (inv) => {
      expect(amounts(inv)).toEqual(fees);
      expect(money(inv, 'total')).toBe(total);
    },
  }),
);

const creditLargerThanInvoice = scenario({
  // 49.00 + 19 % = 58.31; credit 100.00 → applied 58.31, due 0.00, 41.69 carried over.
  name: 'a credit larger than the invoice leaves the rest for later',
  subscriber: 'credit',
  plans: `  - id: de
    name: DE
    currency: EUR
    charges:
      - { id: base, model: flat, price: "49.00", taxCategory: internet }
`,
  customer: cust({
    currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE',
    extra: '    credits: [{ id: CR1, amount: "100.00", date: 2025-11-20, reason: outage }]\n',
    subs: '      - { id: S1, plan: de, start: 2025-01-01 }\n',
  }),
  period: '2025-12',
  check: (inv) => {
    expect(money(inv, 'total')).toBe('58.31');
    expect(money(inv, 'amountDue')).toBe('0.00');
    expect(inv.credits.map((c) => [c.applied.toFixed(2), c.remaining.toFixed(2)])).toEqual([['58.31', '41.69']]);
  },
});

// Start Dec 1 on a plan with 40.00 monthly, 99.00 setup and 50 % off the monthly fee for the first 2 periods.
// Dec: 40.00 + 99.00 − 20.00 = 119.00 net; VAT 19 % per line: 7.60 + 18.81 − 3.80 = 22.61 → 141.61.
// Feb (third period): no setup, no discount: 40.00 + 7.60 = 47.60. Reverse charge: no tax at all.
const promo = `  - id: promo
    name: Promo
    currency: EUR
    charges:
      - { id: base, model: flat, price: "40.00", taxCategory: internet }
      - { id: setup, model: one_off, price: "99.00", taxCategory: service }
      - { id: half, model: discount, percent: "50", firstPeriods: 2, taxCategory: internet }
`;
const promoCustomer = cust({ currency: 'EUR', tz: 'Europe/Berlin', jurisdiction: 'DE', subs: '      - { id: S1, plan: promo, start: 2025-12-01 }\n' });
const SETUP_TITLE = 'setup fee, time-limited percent discount, exemption and reverse charge';
const setupCases = [
  scenario({
    name: `${SETUP_TITLE}: December`,
    subscriber: 'promo-dec',
    plans: promo,
    customer: promoCustomer,
    period: '2025-12',
    check: (inv) => {
      expect(amounts(inv)).toEqual(['base:flat=40.00', 'setup:one_off=99.00', 'half:discount=-20.00']);
      expect([money(inv, 'subtotal'), money(inv, 'taxTotal'), money(inv, 'total')]).toEqual(['119.00', '22.61', '141.61']);
    },
  }),
  scenario({
    name: `${SETUP_TITLE}: February`,
    subscriber: 'promo-feb',
    plans: promo,
    customer: promoCustomer,
    period: '2026-02',
    check: (inv) => expect(money(inv, 'total')).toBe('47.60'),
  }),
  scenario({
    name: `${SETUP_TITLE}: reverse charge`,
    subscriber: 'promo-reverse-charge',
    plans: promo,
    customer: promoCustomer.replace('tax: { jurisdiction: DE }', 'tax: { jurisdiction: DE, reverseCharge: true }'),
    period: '2025-12',
    check: (inv) => expect([money(inv, 'taxTotal'), money(inv, 'total'), inv.notes.length]).toEqual(['0.00', '119.00', 1]),
  }),
  scenario({
    name: `${SETUP_TITLE}: exemption`,
    subscriber: 'promo-exempt',
    plans: promo,
    customer: promoCustomer.replace('tax: { jurisdiction: DE }', 'tax: { jurisdiction: DE, exemptions: [de-vat] }'),
    period: '2025-12',
    check: (inv) => expect(money(inv, 'taxTotal')).toBe('0.00'),
  }),
];

const packageBlocks = scenario({
  // Blocks of 50 GiB (2^30 bytes) at 7.00 with 1 free: 120 GiB → 3 blocks − 1 free = 2 × 7.00 = 14.00.
  name: 'package blocks and the JSON form carry evidence',
  subscriber: 'package',
  plans: `  - id: pk
    name: PK
    currency: USD
    charges:
      - { id: blocks, model: package, unit: GiB, blockSize: "50", blockPrice: "7.00", freeBlocks: 1, taxCategory: internet }
`,
  customer: cust({ subs: '      - { id: S1, plan: pk, start: 2025-01-01 }\n' }),
  period: '2025-12',
  rows: [row(DEC1, 60n * 2n ** 30n, 60n * 2n ** 30n)],
  check: (inv, via) => {
    expect(money(inv, 'total')).toBe('14.00');
    const json = invoiceToJson(inv) as { fees: { unit: string; evidence: { bytesCounted: string; queries: string[] } }[] };
    expect(json.fees[0]!.unit).toBe('block of 50 GiB');
    expect(json.fees[0]!.evidence).toMatchObject({ bytesCounted: String(120n * 2n ** 30n), queries: [...via.queries] });
  },
});

// Fees 40.00 (base) and 20.00 (extra). 10.00 off, split by amount 4000:2000 cents: 666 r4000, 333 r2000;
// the leftover cent goes to r4000 → −6.67 and −3.33. A 100.00 discount is capped at the 60.00 it can reduce:
// −40.00 and −20.00. The installation one-off on Dec 3 (150.00) is not discounted.
const twoFees = `  - id: two
    name: Two
    currency: USD
    charges:
      - { id: base, model: flat, price: "40.00", taxCategory: internet }
      - { id: extra, model: flat, price: "20.00", taxCategory: internet }
`;
const discounted = (amount: string) => `      - id: S1
        plan: two
        start: 2025-01-01
        discounts: [{ id: loyal, amount: "${amount}", from: 2025-12-01, to: 2026-01-01 }]
        oneOff: [{ id: install, description: Installation, price: "150.00", date: 2025-12-03, taxCategory: service }]
`;
const DISCOUNT_TITLE = 'customer discounts: a fixed amount split by largest remainder and capped; a dated one-off';
const discountCases = [
  scenario({
    name: `${DISCOUNT_TITLE}: 10.00 off`,
    subscriber: 'discount-10',
    plans: twoFees,
    customer: cust({ subs: discounted('10.00') }),
    period: '2025-12',
    check: (inv) => {
      expect(amounts(inv)).toEqual(['base:flat=40.00', 'extra:flat=20.00', 'loyal:discount=-6.67', 'loyal:discount=-3.33', 'install:one_off=150.00']);
      expect(money(inv, 'total')).toBe('200.00');
    },
  }),
  scenario({
    name: `${DISCOUNT_TITLE}: 100.00 off, capped`,
    subscriber: 'discount-100',
    plans: twoFees,
    customer: cust({ subs: discounted('100.00') }),
    period: '2025-12',
    check: (inv) => expect(money(inv, 'total')).toBe('150.00'),
  }),
  scenario({
    // Outside the discount's dates: the full price, and no one-off (it was in December).
    name: `${DISCOUNT_TITLE}: January, outside its dates`,
    subscriber: 'discount-january',
    plans: twoFees,
    customer: cust({ subs: discounted('10.00') }),
    period: '2026-01',
    check: (inv) => expect(money(inv, 'total')).toBe('60.00'),
  }),
];

/** Every case, in the order of issue 4's list. */
export const SCENARIOS: readonly ScenarioCase[] = [
  ...quotaCases,
  ...tierCases,
  volumeVsGraduated,
  ...planChangeCases,
  suspension,
  ...dstCases,
  ...percentileCases,
  ...taxCases,
  ...compoundCases,
  ...jpyCases,
  ...kwdCases,
  creditLargerThanInvoice,
  ...setupCases,
  packageBlocks,
  ...discountCases,
];
