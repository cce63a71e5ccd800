// Proration worked by hand (docs/rating.md): the active share is rounded on its own, and a price with more
// decimals than the currency is refused, or (pricePrecision: exact) prorated from the exact price and rounded once.
import { describe, expect, it } from 'vitest';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import { ConfigError } from '../config/load.js';
import { rateCustomer } from './rate.js';
import type { CustomerUsage } from './usage.js';

const plans = (price: string, precision?: string) => `rounding: { mode: HALF_UP, tax: per_line${precision ? `, pricePrecision: ${precision}` : ''} }
taxes:
  categories: [internet]
  rates: [{ id: zero, name: Zero, jurisdiction: X, categories: [internet], rate: "0" }]
plans:
  - id: a
    name: A
    currency: USD
    charges:
      - { id: base, model: flat, price: "${price}", taxCategory: internet }
`;
const customers = (start: string) => `customers:
  - id: C1
    legalName: One
    currency: USD
    timezone: UTC
    tax: { jurisdiction: X }
    subscribers: { radius: [u1] }
    subscriptions:
      - { id: S1, plan: a, start: ${start} }
`;
const usage: CustomerUsage = { store: 'test', step: 'total', queries: [], subscribers: ['u1'], rows: [] };

function flatFee(price: string, start: string, period: string, precision?: string) {
  const p = parsePlans(plans(price, precision), 'plans.yaml');
  const cat = toCatalog(p, parseCustomers(customers(start), 'customers.yaml', p));
  const fee = rateCustomer(cat, cat.customers[0]!, period, usage).fees[0]!;
  return { amount: fee.amount.toFixed(2), calculation: fee.calculation.join('; ') };
}

describe('proration', () => {
  it('rounds the customer\'s share on its own: 49.99 × 15/30 = 24.995 → 25.00, 24.99 on the days not in service', () => {
    // Before: 4999 × {15, 15}/30 split by largest remainder gave the tied cent to the earlier (inactive) piece: 24.99.
    const fee = flatFee('49.99', '2025-11-16', '2025-11');
    expect(fee.amount).toBe('25.00');
    expect(fee.calculation).toBe('49.99 × 15/30 days = 25.00 (rounded once; 24.99 falls on the days not in service)');
  });

  it('keeps the worked examples: 49.00 × 26/31 = 41.097 → 41.10', () => {
    expect(flatFee('49.00', '2025-12-06', '2025-12').amount).toBe('41.10');
  });

  it('refuses 33.335 USD by default, naming file, line and key', () => {
    let message = '';
    try {
      parsePlans(plans('33.335'), 'plans.yaml');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      message = err.message;
    }
    expect(message).toContain('plans.yaml:10 plans[0].charges[0].price: 33.335 has more decimals than USD (2)');
    expect(message).toContain('rounding.pricePrecision: exact');
  });

  it('pricePrecision: exact prorates from 33.335: × 14/31 = 15.0545… → 15.05 (rounding first would give 15.06); a full month 33.34', () => {
    const fee = flatFee('33.335', '2025-12-18', '2025-12', 'exact');
    expect(fee.amount).toBe('15.05');
    expect(fee.calculation).toMatch(/^33\.335 × 14\/31 days = 15\.05 /);
    expect(flatFee('33.335', '2025-01-01', '2025-12', 'exact').amount).toBe('33.34');
  });
});
