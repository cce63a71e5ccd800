import { describe, expect, it } from 'vitest';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import { billingPeriod } from '../rating/calendar.js';
import type { UsageQuery, UsageStore } from '../store/usage-store.js';
import { escapeHtml, formatBytes } from './page.js';
import { periodLabelAt, quotaAt, readDays } from './usage-view.js';

const PLANS = parsePlans(`
taxes: { categories: [internet], rates: [{ id: il, name: Illinois, jurisdiction: US-IL, categories: [internet], rate: "0.05" }] }
plans:
  - id: capped
    name: Capped 100 GiB
    currency: USD
    charges:
      - { id: base, model: flat, price: "10", taxCategory: internet }
      - { id: over, model: quota_overage, unit: GiB, included: "100", overageBlock: "1", overageBlockPrice: "1", taxCategory: internet, usage: { direction: down, sources: [radius, netflow] } }
  - id: open
    name: Unlimited
    currency: USD
    charges:
      - { id: base, model: flat, price: "50", taxCategory: internet }
`, 'plans.yaml');

const CUSTOMERS = parseCustomers(`
customers:
  - id: C-1
    legalName: Chicago Customer
    currency: USD
    timezone: America/Chicago
    billingDay: 15
    tax: { jurisdiction: US-IL }
    subscribers: { radius: [c1, c1-backup] }
    subscriptions:
      - { id: S-1, plan: capped, start: 2026-01-01, changes: [{ date: 2026-03-20, plan: open }] }
`, 'customers.yaml', PLANS);
const catalog = toCatalog(PLANS, CUSTOMERS);
const customer = CUSTOMERS[0]!;

describe('portal usage view', () => {
  it('names the billing period an instant falls in, by billing day and zone', () => {
    // 2026-03-15 03:00 UTC is still the 14th in Chicago: the March period has not begun.
    expect(periodLabelAt(Date.UTC(2026, 2, 15, 3), 15, 'America/Chicago')).toBe('2026-02');
    expect(periodLabelAt(Date.UTC(2026, 2, 15, 6), 15, 'America/Chicago')).toBe('2026-03');
    expect(periodLabelAt(Date.UTC(2026, 0, 5), 15, 'UTC')).toBe('2025-12');
  });

  it("takes the quota from the plan's quota_overage charge in force, in bytes", () => {
    const period = billingPeriod('2026-03', 15, 'America/Chicago');
    expect(quotaAt(catalog, customer, period, Date.UTC(2026, 2, 18))).toEqual({ planName: 'Capped 100 GiB', bytes: 100n * 2n ** 30n, unit: 'GiB', direction: 'down' });
    // After the change to the unlimited plan there is no allowance to show.
    expect(quotaAt(catalog, customer, period, Date.UTC(2026, 2, 25))).toBeUndefined();
  });

  it('folds hours into local days and counts each identity from one source, as the invoice does', async () => {
    const queries: UsageQuery[] = [];
    const period = billingPeriod('2026-01', 15, 'America/Chicago');
    // c1 is seen by RADIUS and NetFlow (the same traffic twice); c1-backup only by NetFlow.
    const records = [
      // 2026-01-16 05:00 UTC is 23:00 on the 15th in Chicago (UTC-6); 06:00 UTC is midnight of the 16th.
      { source: 'radius', subscriber: 'c1', time: Date.UTC(2026, 0, 16, 5), bytesDown: 100n, bytesUp: 1n },
      { source: 'netflow', subscriber: 'c1', time: Date.UTC(2026, 0, 16, 5), bytesDown: 99n, bytesUp: 1n },
      { source: 'netflow', subscriber: 'c1-backup', time: Date.UTC(2026, 0, 16, 5), bytesDown: 20n, bytesUp: 2n },
      { source: 'radius', subscriber: 'c1', time: Date.UTC(2026, 0, 16, 6), bytesDown: 7n, bytesUp: 3n },
      { source: 'netflow', subscriber: 'c1', time: Date.UTC(2026, 0, 16, 6), bytesDown: 8n, bytesUp: 3n },
    ];
    const store: UsageStore = {
      name: 'embedded',
      async queryUsage(q) {
        queries.push(q);
        const rows = records
          .filter((r) => r.subscriber === q.subscriber && (!q.sources || q.sources.includes(r.source as never)) && r.time >= q.from && r.time < q.to)
          .map(({ source: _source, ...r }) => ({ ...r, class: '' }));
        return { query: 'fake', rows };
      },
      async close() {},
    };
    const days = await readDays(store, catalog, customer, period, Date.UTC(2026, 0, 17, 12));
    // The capped plan names its sources (radius before netflow), so usage is read per source and identity.
    expect(new Set(queries.map((q) => `${q.subscriber}:${q.sources?.join('+')}`))).toEqual(new Set(['c1', 'c1-backup'].flatMap((s) => ['radius', 'netflow', 'snmp', 'routeros'].map((src) => `${s}:${src}`))));
    expect(days).toEqual([
      { date: '2026-01-15', bytesDown: 120n, bytesUp: 3n },
      { date: '2026-01-16', bytesDown: 7n, bytesUp: 3n },
      { date: '2026-01-17', bytesDown: 0n, bytesUp: 0n },
    ]);
  });
});

describe('portal page text', () => {
  it('formats bytes in the plan unit with two decimals, rounded half up', () => {
    expect(formatBytes(6_754_182_523n)).toBe('6.75 GB');
    expect(formatBytes(5_000_000_000n)).toBe('5.00 GB');
    expect(formatBytes(0n)).toBe('0.00 GB');
    // 1.005 GiB is not a whole byte count: one byte below it rounds down, one above rounds up.
    expect(formatBytes(2n ** 30n + 2n ** 30n / 200n, 'GiB')).toBe('1.00 GiB');
    expect(formatBytes(2n ** 30n + 2n ** 30n / 200n + 1n, 'GiB')).toBe('1.01 GiB');
  });

  it('escapes what customers and operators wrote', () => {
    expect(escapeHtml(`<b>"Bob" & 'Sons'</b>`)).toBe('&lt;b&gt;&quot;Bob&quot; &amp; &#39;Sons&#39;&lt;/b&gt;');
  });
});
