// The rating half of the bench, run in its own process so its peak RSS is the rating's alone: one JSON line on stdout.
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { loadCatalog } from '../../config/catalog-load.js';
import { ratePeriod } from '../../rating/index.js';
import { EmbeddedStore } from '../../store/embedded/embedded-store.js';
import { InfluxUsageStore } from '../../store/influx/influx-usage-store.js';
import { PERIOD_READERS } from '../../cli/stores.js';
import type { UsageAnswer, UsageQuery, UsageStore } from '../../store/usage-store.js';

export type RateChildStore = { type: 'embedded'; path: string } | { type: 'influx'; url: string; database: string };

export interface RateChildRequest {
  store: RateChildStore;
  /** Embedded read workers; `wispmeter rate`'s PERIOD_READERS when absent. */
  readers?: number;
  plans: string;
  customers: string;
  period: string;
}

export interface RateChildResult {
  store: RateChildStore['type'];
  read: 'per-customer' | 'grouped';
  catalogLoadMs: number;
  ratingMs: number;
  /** Part of ratingMs spent inside the store's queryUsage. */
  readMs: number;
  queries: number;
  rowsRead: number;
  invoices: number;
  fees: number;
  /** Sum of invoice totals per currency, as decimal text. */
  totals: Record<string, string>;
  /** sha256 of "customerId total" lines in customer order: equal digests mean equal invoice totals. */
  totalsDigest: string;
  invoicesWithoutFees: number;
  /** "customerId currency total" per invoice, in customer order, to compare stores rated at different scales. */
  invoiceTotals: string[];
  /** process.resourceUsage().maxRSS at the end, in bytes: the peak of the whole child (runtime, tsx, catalog, rating). */
  peakRssBytes: number;
  /** RSS after the catalog was loaded, before rating: the baseline the rating adds to. */
  rssBeforeRatingBytes: number;
  heapUsedAfterBytes: number;
}

/** Counts what the engine reads, without changing it. */
class CountingStore implements UsageStore {
  queries = 0;
  rows = 0;
  /** Time inside the store's queryUsage (query, transfer, decoding); the rest of the rating time is the engine's. */
  readMs = 0;
  constructor(private readonly inner: UsageStore) {}
  get name(): UsageStore['name'] {
    return this.inner.name;
  }
  async queryUsage(q: UsageQuery): Promise<UsageAnswer> {
    const t = performance.now();
    const answer = await this.inner.queryUsage(q);
    this.readMs += performance.now() - t;
    this.queries++;
    this.rows += answer.rows.length;
    return answer;
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '') as RateChildRequest;
  const logger = pino({ level: 'warn' }, pino.destination(2));
  let t = performance.now();
  const catalog = loadCatalog({ plans: req.plans, customers: req.customers });
  const catalogLoadMs = performance.now() - t;
  const inner: UsageStore = req.store.type === 'embedded'
    ? EmbeddedStore.open(req.store.path, logger, { readers: req.readers ?? PERIOD_READERS })
    : new InfluxUsageStore({ version: 1, url: req.store.url, database: req.store.database, batchSize: 5000, timeout: 600_000 }, logger);
  const store = new CountingStore(inner);
  // As `wispmeter rate` reads each store.
  const read = req.store.type === 'influx' ? 'grouped' : 'per-customer';
  const rssBeforeRatingBytes = process.memoryUsage().rss;
  try {
    t = performance.now();
    const invoices = await ratePeriod(store, catalog, req.period, { read });
    const ratingMs = performance.now() - t;
    const byCurrency = new Map<string, (typeof invoices)[number]['total']>();
    const digest = createHash('sha256');
    const invoiceTotals: string[] = [];
    let fees = 0;
    let invoicesWithoutFees = 0;
    for (const inv of invoices) {
      fees += inv.fees.length;
      if (inv.fees.length === 0) invoicesWithoutFees++;
      const sum = byCurrency.get(inv.currency);
      byCurrency.set(inv.currency, sum ? sum.plus(inv.total) : inv.total);
      const line = `${inv.customerId} ${inv.currency} ${inv.total.toFixed()}`;
      invoiceTotals.push(line);
      digest.update(`${line}\n`);
    }
    const result: RateChildResult = {
      store: req.store.type, read, catalogLoadMs: Math.round(catalogLoadMs), ratingMs: Math.round(ratingMs), readMs: Math.round(store.readMs),
      queries: store.queries, rowsRead: store.rows, invoices: invoices.length, fees,
      totals: Object.fromEntries([...byCurrency].map(([cur, v]) => [cur, v.toFixed()])), totalsDigest: digest.digest('hex'),
      invoicesWithoutFees, invoiceTotals,
      // maxRSS is in kilobytes (getrusage ru_maxrss on Linux).
      peakRssBytes: process.resourceUsage().maxRSS * 1024, rssBeforeRatingBytes, heapUsedAfterBytes: process.memoryUsage().heapUsed,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await store.close();
  }
}

await main();
