// Property tests (fast-check): lines sum to totals, tax of parts vs whole within the rounding bound, prorated parts
// sum to the whole, and rating does not depend on the order of usage rows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import type { Catalog, TaxRate } from '../config/catalog-schema.js';
import { allocate } from './allocate.js';
import { billingPeriod } from './calendar.js';
import { invoiceToJson } from './invoice-json.js';
import { dec, fromMinor, minorUnit, roundMoney, type RoundingMode, sum } from './money.js';
import { piecesOf } from './proration.js';
import { rateCustomer } from './rate.js';
import { exactTaxes, type TaxPolicy, taxLine } from './tax.js';
import type { CustomerUsage, UsageRow } from './usage.js';

const plansYaml = (mode: RoundingMode, per: string, prices: string, price: string) => `rounding: { mode: ${mode}, tax: ${per} }
taxes:
  categories: [internet]
  rates:
    - { id: gst, name: GST, jurisdiction: X, categories: [internet], rate: "0.05" }
    - { id: pst, name: PST, jurisdiction: X, categories: [internet], rate: "0.07" }
    - { id: qst, name: QST, jurisdiction: X, categories: [internet], rate: "0.09975", compound: true }
plans:
  - id: a
    name: A
    currency: USD
    prices: ${prices}
    charges:
      - { id: base, model: flat, price: "${price}", taxCategory: internet }
      - { id: data, model: per_unit, unit: GiB, unitPrice: "0.0137", taxCategory: internet, usage: { direction: down, unmetered: [{ from: "01:00", to: "05:00" }] } }
      - id: tiers
        model: graduated
        unit: GB
        taxCategory: internet
        tiers:
          - { from: "0", upTo: "50", unitPrice: "0.011" }
          - { from: "50", unitPrice: "0.0077" }
      - { id: disc, model: discount, percent: "12.5", taxCategory: internet }
  - id: b
    name: B
    currency: USD
    prices: ${prices}
    charges:
      - { id: base, model: flat, price: "${price}", taxCategory: internet }
`;

const customerYaml = (subs: string) => `customers:
  - id: C1
    legalName: One
    currency: USD
    timezone: America/Denver
    tax: { jurisdiction: X }
    subscribers: { radius: [u1, u2] }
    subscriptions:
${subs}`;

function catalog(mode: RoundingMode, per: string, prices: string, price: string, subs: string): Catalog {
  const p = parsePlans(plansYaml(mode, per, prices, price), 'p.yaml');
  return toCatalog(p, parseCustomers(customerYaml(subs), 'c.yaml', p));
}

const DEC = billingPeriod('2025-12', 1, 'America/Denver');
const rowArb = fc.record({
  subscriber: fc.constantFrom('u1', 'u2', 'someone-else'),
  time: fc.integer({ min: 0, max: Math.floor((DEC.to - DEC.from) / 3_600_000) - 1 }).map((h) => DEC.from + h * 3_600_000),
  bytesDown: fc.bigInt({ min: 0n, max: 40n * 10n ** 9n }),
  bytesUp: fc.bigInt({ min: 0n, max: 10n ** 9n }),
});
const usage = (rows: UsageRow[]): CustomerUsage => ({ store: 'test', step: '1h', queries: ['q'], subscribers: ['u1', 'u2'], rows });
const priceArb = fc.bigInt({ min: 0n, max: 100_000n }).map((m) => fromMinor(m, 'USD').toFixed(2));
const modeArb = fc.constantFrom<RoundingMode>('HALF_UP', 'HALF_EVEN');

describe('rating properties', () => {
  it('lines sum to the total; subtotal + tax = total; per-line taxes sum to the tax total', () => {
    fc.assert(fc.property(
      modeArb, fc.constantFrom('per_line', 'per_invoice'), fc.constantFrom('exclusive', 'inclusive'), priceArb,
      fc.integer({ min: 2, max: 28 }), fc.array(rowArb, { maxLength: 40 }),
      (mode, per, prices, price, changeDay, rows) => {
        const cat = catalog(mode, per, prices, price, `      - { id: S1, plan: a, start: 2025-01-01, changes: [{ date: 2025-12-${String(changeDay).padStart(2, '0')}, plan: b }] }\n`);
        const inv = rateCustomer(cat, cat.customers[0]!, '2025-12', usage(rows));
        const lineAmounts = sum(inv.fees.map((f) => f.amount));
        const exclusiveTax = prices === 'exclusive' ? inv.taxTotal : dec('0');
        expect(inv.total.eq(lineAmounts.plus(exclusiveTax))).toBe(true);
        expect(inv.subtotal.plus(inv.taxTotal).eq(inv.total)).toBe(true);
        for (const f of inv.fees) expect(roundMoney(f.amount, 'USD', mode).eq(f.amount)).toBe(true);
        if (per === 'per_line') expect(sum(inv.fees.flatMap((f) => f.taxes.map((t) => t.amount))).eq(inv.taxTotal)).toBe(true);
        if (prices === 'inclusive' && per === 'per_line') for (const f of inv.fees) expect(f.net.plus(sum(f.taxes.map((t) => t.amount))).eq(f.amount)).toBe(true);
      },
    ), { numRuns: 150 });
  });

  it('tax of the parts vs tax of the whole: per-invoice equal, per-line within half a minor unit per part', () => {
    const rates: TaxRate[] = [
      { id: 'gst', name: 'GST', jurisdiction: 'X', categories: ['i'], rate: dec('0.05'), compound: false },
      { id: 'qst', name: 'QST', jurisdiction: 'X', categories: ['i'], rate: dec('0.09975'), compound: true },
    ];
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.array(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 30 }),
      modeArb, fc.constantFrom('USD', 'JPY', 'KWD'),
      (minor, weights, mode, currency) => {
        const whole = fromMinor(minor, currency);
        const parts = allocate(whole, weights, currency);
        const policy = (per: TaxPolicy['per']): TaxPolicy => ({ rates, jurisdiction: 'X', exemptions: [], reverseCharge: false, currency, mode, per });
        const taxOfWhole = exactTaxes(whole, rates).map((t) => roundMoney(t.amount, currency, mode));
        rates.forEach((r, i) => {
          const perLine = sum(parts.map((p) => taxLine({ amount: p, taxCategory: 'i', prices: 'exclusive' }, policy('per_line')).taxes[i]!.amount));
          const perInvoice = roundMoney(sum(parts.map((p) => taxLine({ amount: p, taxCategory: 'i', prices: 'exclusive' }, policy('per_invoice')).taxes[i]!.amount)), currency, mode);
          expect(perInvoice.eq(taxOfWhole[i]!)).toBe(true);
          // Each line rounds by at most half a unit, the whole by at most half: |Σ − whole| ≤ (n + 1)/2 units.
          // (The compound rate's base includes the rounded-per-line GST, which stays inside the same bound here.)
          const bound = minorUnit(currency).times(dec(BigInt(parts.length + 1))).div(dec('2'));
          expect(perLine.minus(taxOfWhole[i]!).abs().lte(bound.times(dec(i === 0 ? '1' : '2')))).toBe(true);
        });
      },
    ));
  });

  it('each plan\'s prorated share is its own rounded share, the two of a plan change within a cent of the price, and pieces tile the period', () => {
    fc.assert(fc.property(
      priceArb, fc.integer({ min: 2, max: 31 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 10 }), modeArb,
      (price, changeDay, suspendFrom, suspendDays, mode) => {
        const d = (n: number) => `2025-12-${String(n).padStart(2, '0')}`;
        const cat = catalog(mode, 'per_line', 'exclusive', price, `      - { id: S1, plan: a, start: 2025-01-01, changes: [{ date: ${d(changeDay)}, plan: b }] }\n`);
        const inv = rateCustomer(cat, cat.customers[0]!, '2025-12', usage([]));
        const flats = inv.fees.filter((f) => f.kind === 'flat');
        const own = (days: number) => roundMoney(dec(price).times(dec(BigInt(days))).div(dec(31n)), 'USD', mode);
        expect(flats.map((f) => f.amount.toFixed(2))).toEqual([own(changeDay - 1), own(32 - changeDay)].map((a) => a.toFixed(2)));
        expect(sum(flats.map((f) => f.amount)).minus(dec(price)).abs().lte(minorUnit('USD'))).toBe(true);
        // With a suspension: the active share plus the suspended share is the whole price.
        const to = Math.min(32, suspendFrom + suspendDays); // 32 = 2026-01-01, the end of the period
        const sub = cat.customers[0]!.subscriptions[0]!;
        const suspended = { ...sub, changes: [], suspensions: [{ from: d(suspendFrom), to: to === 32 ? '2026-01-01' : d(to) }] };
        const pieces = piecesOf(suspended, DEC, 'America/Denver');
        expect(pieces[0]!.from).toBe(DEC.from);
        expect(pieces[pieces.length - 1]!.to).toBe(DEC.to);
        pieces.forEach((p, i) => i > 0 && expect(p.from).toBe(pieces[i - 1]!.to));
        const susCat = { ...cat, customers: [{ ...cat.customers[0]!, subscriptions: [suspended] }] };
        const active = sum(rateCustomer(susCat, susCat.customers[0]!, '2025-12', usage([])).fees.filter((f) => f.kind === 'flat').map((f) => f.amount));
        const days = BigInt(to - suspendFrom);
        const exact = dec(price).times(dec(31n - days)).div(dec(31n));
        // The active share is rounded on its own; the residual falls on the suspended days.
        expect(active.toFixed(2)).toBe(roundMoney(exact, 'USD', mode).toFixed(2));
      },
    ), { numRuns: 100 });
  });

  it('rating does not depend on the order of usage rows', () => {
    const cat = catalog('HALF_EVEN', 'per_invoice', 'exclusive', '39.99', '      - { id: S1, plan: a, start: 2025-12-09 }\n');
    fc.assert(fc.property(fc.array(rowArb, { maxLength: 60 }).chain((rows) => fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }))),
      ([rows, shuffled]) => {
        const a = invoiceToJson(rateCustomer(cat, cat.customers[0]!, '2025-12', usage(rows)));
        const b = invoiceToJson(rateCustomer(cat, cat.customers[0]!, '2025-12', usage(shuffled)));
        expect(b).toEqual(a);
      },
    ), { numRuns: 100 });
  });
});
