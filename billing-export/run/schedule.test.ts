// When periods fall due: billing day and time in the customer's zone (DST included), catch-up ranges, and the
// daemon's croner jobs actually armed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Catalog, Customer } from '../../config/catalog-schema.js';
import { billingSchema } from '../config.js';
import { Ledger } from '../ledger/ledger.js';
import { BillingScheduler, dueAt, duePeriods } from './schedule.js';

const customer = (over: Partial<Customer>): Customer => ({
  id: 'C-1', legalName: 'Ada', address: '', taxIds: [], currency: 'USD', timezone: 'America/Chicago', billingDay: 1,
  tax: { jurisdiction: 'US-TX', exemptions: [], reverseCharge: false }, subscribers: { radius: ['ada'], ips: [], macs: [], queues: [] },
  subscriptions: [{ id: 'S-1', plan: 'home', start: '2025-09-10', changes: [], suspensions: [], discounts: [], oneOff: [] }], credits: [],
  ...over,
} as Customer);

describe('due periods', () => {
  it('a period is due at the billing time on the billing day in the customer zone, across DST', () => {
    // 2025-10 ends 2025-11-01 00:00 CDT; due 06:00 CDT = 11:00Z. 2025-11 is due 2025-12-01 06:00 CST = 12:00Z.
    expect(new Date(dueAt(customer({}), '2025-10', '06:00')).toISOString()).toBe('2025-11-01T11:00:00.000Z');
    expect(new Date(dueAt(customer({}), '2025-11', '06:00')).toISOString()).toBe('2025-12-01T12:00:00.000Z');
    expect(new Date(dueAt(customer({ billingDay: 15, timezone: 'Asia/Tokyo' }), '2025-11', '00:30')).toISOString()).toBe('2025-12-14T15:30:00.000Z');
  });

  it('lists every due period from the first subscription on, oldest first, and skips periods out of service', () => {
    const c = customer({});
    expect(duePeriods(c, Date.parse('2025-12-01T11:59:00Z'), '06:00')).toEqual(['2025-09', '2025-10']);
    expect(duePeriods(c, Date.parse('2025-12-01T12:00:00Z'), '06:00')).toEqual(['2025-09', '2025-10', '2025-11']);
    expect(duePeriods(c, Date.parse('2025-12-01T12:00:00Z'), '06:00', '2025-11')).toEqual(['2025-11']);
    const ended = customer({ subscriptions: [{ ...c.subscriptions[0]!, end: '2025-10-01' }] });
    expect(duePeriods(ended, Date.parse('2026-03-01T12:00:00Z'), '06:00')).toEqual(['2025-09']);
    expect(duePeriods(customer({ subscriptions: [] }), Date.now(), '06:00')).toEqual([]);
  });

  it('the daemon arms one croner job per billing moment and wakes at the earliest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wispmeter-sched-unit-'));
    const ledger = Ledger.open(join(dir, 'ledger.sqlite'));
    const billing = billingSchema.parse({ seller: { legalName: 'X', address: { lines: ['a'], countryCode: 'US' } }, schedule: { firstPeriod: '2099-01' } });
    const catalog: Catalog = { rounding: { mode: 'HALF_UP', tax: 'per_line', pricePrecision: 'currency' }, taxes: { categories: ['internet'], rates: [] }, plans: new Map(), customers: [customer({}), customer({ id: 'C-2', billingDay: 15, timezone: 'UTC' })] };
    const scheduler = new BillingScheduler({ ledger, store: { name: 'embedded', queryUsage: () => Promise.reject(new Error('no reads expected')), close: async () => {} }, catalog, billing, log: pino({ level: 'silent' }), now: () => new Date() });
    try {
      scheduler.start();
      const wake = scheduler.nextWake();
      expect(wake).toBeDefined();
      // The next moment any period falls due: the periods ending around now, for each customer.
      const now = new Date();
      const label = (k: number) => {
        const m = now.getUTCFullYear() * 12 + now.getUTCMonth() + k;
        return `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
      };
      const expected = Math.min(...catalog.customers.flatMap((c) => [-2, -1, 0, 1].map((k) => dueAt(c, label(k), '06:00')).filter((t) => t > Date.now())));
      expect(wake!.getTime()).toBe(expected);
    } finally {
      await scheduler.stop();
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
