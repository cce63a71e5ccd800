// ratePeriod through the UsageStore interface: the sample catalog rated from an in-memory store, both read paths agree.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../config/catalog-load.js';
import type { Catalog } from '../config/catalog-schema.js';
import { STEP_MS, type UsageAnswer, type UsageQuery, type UsageStore, type UsageTotal } from '../store/usage-store.js';
import { compareUsageTotals } from '../store/usage-order.js';
import type { UsageSource } from '../collectors/pipeline/usage-record.js';
import { parseCustomers, parsePlans, toCatalog } from '../config/catalog-load.js';
import { parseInstant } from './calendar.js';
import { formatRated, invoiceToJson } from './invoice-json.js';
import { ratePeriod, usageStepFor, customerPeriod } from './rate.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/catalog/${name}`, import.meta.url));

type MemoryRecord = UsageTotal & { source?: UsageSource };

/** A store over 5-minute records that filters and aggregates like the real ones: sources, classes, epoch-aligned buckets. */
class MemoryStore implements UsageStore {
  readonly name = 'embedded' as const;
  readonly queries: UsageQuery[] = [];
  constructor(private readonly records: readonly MemoryRecord[]) {}
  async queryUsage(q: UsageQuery): Promise<UsageAnswer> {
    this.queries.push(q);
    const step = q.step ? STEP_MS[q.step] : undefined;
    const sums = new Map<string, UsageTotal>();
    for (const r of this.records) {
      if (r.time < q.from || r.time >= q.to || (q.subscriber !== undefined && r.subscriber !== q.subscriber)) continue;
      if (q.sources && !q.sources.includes(r.source ?? 'radius')) continue;
      const time = step ? Math.floor(r.time / step) * step : q.from;
      const cls = r.class ?? '';
      const key = `${r.subscriber}\0${q.byClass ? cls : ''}\0${time}`;
      const s = sums.get(key) ?? { subscriber: r.subscriber, ...(q.byClass ? { class: cls } : {}), time, bytesDown: 0n, bytesUp: 0n };
      s.bytesDown += r.bytesDown;
      s.bytesUp += r.bytesUp;
      sums.set(key, s);
    }
    return { rows: [...sums.values()].sort(compareUsageTotals), query: `memory ${q.subscriber ?? '*'} [${q.from},${q.to}) ${q.step ?? 'total'}` };
  }
  async close(): Promise<void> {}
}

function fiveMinuteRecords(subscriber: string, from: number, to: number, bytes: (i: number) => bigint): UsageTotal[] {
  const out: UsageTotal[] = [];
  for (let t = from, i = 0; t < to; t += 300_000, i++) out.push({ subscriber, time: t, bytesDown: bytes(i), bytesUp: bytes(i) / 4n });
  return out;
}

describe('ratePeriod', () => {
  const catalog = loadCatalog({ plans: fixture('plans.yaml'), customers: fixture('customers.yaml') });
  const from = parseInstant('2025-12-01', 'America/Chicago');
  const to = parseInstant('2026-01-01', 'America/Chicago');
  // Ada: 2 GB every 5 minutes (≈ 17.9 TB a month); Mesa: 60 Mbps down steady with an hour of 300 Mbps a day.
  const records = [
    ...fiveMinuteRecords('ada@wisp', from, to, () => 2_000_000_000n),
    ...fiveMinuteRecords('mesa-logistics', from, to, (i) => (i % 288 < 12 ? 11_250_000_000n : 2_250_000_000n)),
    ...fiveMinuteRecords('stranger', from, to, () => 10n ** 12n),
  ];

  it('rates the sample catalog for December 2025 through the store interface', async () => {
    const store = new MemoryStore(records);
    const invoices = await ratePeriod(store, catalog, '2025-12');
    expect(invoices.map((i) => i.customerId)).toEqual(['C-1001', 'C-2001']);
    expect(usageStepFor(catalog, catalog.customers[1]!, customerPeriod(catalog.customers[1]!, '2025-12'))).toBe('5m');
    const [ada, mesa] = invoices;
    // Ada: home-50 for Dec 1–16 (16/31 of 49.00 → 4900×16/31 = 2529 r1, ×15/31 = 2370 r30 → 25.29), home-100 for
    // Dec 17–31 (6900 → [3561, 3339] → 33.39). The night window makes 6 of 24 hours free on home-50.
    expect(ada!.fees.map((f) => `${f.planId}/${f.chargeId}:${f.amount.toFixed(2)}`).slice(0, 1)).toEqual(['home-50/base:25.29']);
    expect(ada!.fees.find((f) => f.planId === 'home-100' && f.chargeId === 'base')!.amount.toFixed(2)).toBe('33.39');
    // Mesa: 60 Mbps is 2.25e9 bytes per 5 min; 300 Mbps is 11.25e9. 12 of 288 samples a day are high (4.2 % < 5 %),
    // so p95 of down = 60 Mbps ≤ 100 committed: only the commitment, and Mesa is exempt from the Texas rate.
    expect(mesa!.fees.map((f) => `${f.kind}:${f.amount.toFixed(2)}`)).toEqual(['percentile_commit:400.00', 'percentile_burst:0.00']);
    expect(mesa!.taxTotal.toFixed(2)).toBe('0.00');
    expect(mesa!.fees[1]!.evidence!.notes).toContain('8928 five-minute samples, 0 without usage counted as 0');
    expect(formatRated(invoices, 'table')).toContain('amount due');
  });

  it('one store query per group gives the same invoices as one query per identity', async () => {
    // More than 20 customers makes `auto` read grouped; clone the sample customers to get there.
    const many: Catalog = { ...catalog, customers: Array.from({ length: 11 }, (_, k) => catalog.customers.map((c) => ({
      ...c, id: `${c.id}-${String(k).padStart(2, '0')}`,
      subscribers: { ...c.subscribers, radius: c.subscribers.radius.map((r) => `${r}-${k}`), ips: [] },
    }))).flat() };
    const recs = many.customers.flatMap((c, k) => fiveMinuteRecords(c.subscribers.radius[0]!, from, from + 86_400_000 * 3, (i) => BigInt(i * 1_000_003 + k)));
    const grouped = new MemoryStore(recs);
    const a = await ratePeriod(grouped, many, '2025-12');
    expect(grouped.queries.every((q) => q.subscriber === undefined)).toBe(true);
    const single = new MemoryStore(recs);
    const b = await ratePeriod(single, many, '2025-12', { read: 'per-customer' });
    expect(single.queries.every((q) => q.subscriber !== undefined)).toBe(true);
    const strip = (x: ReturnType<typeof invoiceToJson>) => JSON.parse(JSON.stringify(x).replace(/"queries":\[[^\]]*\]/g, '"queries":[]'));
    expect(a.map((i) => strip(invoiceToJson(i)))).toEqual(b.map((i) => strip(invoiceToJson(i))));
  });

  it('refuses an unknown customer id', async () => {
    await expect(ratePeriod(new MemoryStore([]), catalog, '2025-12', { customerIds: ['nope'] })).rejects.toThrow(/unknown customer nope/);
  });

  it('source precedence and zero-rated classes through per-source, by-class store reads', async () => {
    // Plan: 1.00 per GB (10^9 bytes), down only, RADIUS before SNMP, class "zero-rated" free.
    // u1 has RADIUS (3 GB) and SNMP (5 GB): RADIUS comes first → 3 GB. Its NetFlow rows are not in the list: ignored.
    // u2 has only SNMP: 3 GB plus 1 GB in class "zero-rated" (excluded) → 3 GB. Total 3 + 3 = 6 GB → 6.00.
    const plans = parsePlans(`taxes:
  categories: [internet]
  rates: [{ id: none, name: none, jurisdiction: NONE, categories: [internet], rate: "0" }]
plans:
  - id: p
    name: P
    currency: USD
    charges:
      - { id: data, model: per_unit, unit: GB, unitPrice: "1.00", taxCategory: internet, usage: { direction: down, sources: [radius, snmp], excludeClasses: [zero-rated] } }
`, 'p.yaml');
    const cat = toCatalog(plans, parseCustomers(`customers:
  - { id: C1, legalName: One, currency: USD, timezone: UTC, tax: { jurisdiction: NONE }, subscribers: { radius: [u1, u2] }, subscriptions: [{ id: S1, plan: p, start: 2025-01-01 }] }
`, 'c.yaml', plans));
    const t = Date.UTC(2025, 11, 3);
    const GB = 1_000_000_000n;
    const store = new MemoryStore([
      { subscriber: 'u1', time: t, bytesDown: 3n * GB, bytesUp: 0n, source: 'radius' },
      { subscriber: 'u1', time: t, bytesDown: 5n * GB, bytesUp: 0n, source: 'snmp' },
      { subscriber: 'u1', time: t, bytesDown: 7n * GB, bytesUp: 0n, source: 'netflow', class: 'zero-rated' },
      { subscriber: 'u2', time: t, bytesDown: 3n * GB, bytesUp: 0n, source: 'snmp' },
      { subscriber: 'u2', time: t + 300_000, bytesDown: 1n * GB, bytesUp: 0n, source: 'snmp', class: 'zero-rated' },
    ]);
    const [inv] = await ratePeriod(store, cat, '2025-12');
    expect(inv!.total.toFixed(2)).toBe('6.00');
    expect(store.queries.every((q) => q.byClass === true && q.sources?.length === 1)).toBe(true);
    expect(inv!.fees[0]!.evidence).toMatchObject({ bytesCounted: 6n * GB, bytesExcludedClasses: 1n * GB, bySource: { radius: 3n * GB, snmp: 4n * GB } });
  });
});
