// Rating entry points: one customer's period from its usage (pure), and a whole period read through a UsageStore.
import type { Catalog, Customer, Plan, Subscription } from '../config/catalog-schema.js';
import type { Step, UsageStore } from '../store/usage-store.js';
import { compareUsageTotals } from '../store/usage-order.js';
import { billingPeriod, parseInstant, type Period } from './calendar.js';
import { applyCredits, type CreditBalance } from './charges/credit.js';
import { discountLines } from './charges/discount.js';
import { type ChargeContext, type FeeDraft, rateCharge } from './charges/index.js';
import type { Fee, RatedInvoice } from './fee.js';
import { ONE, roundMoney, sum, ZERO } from './money.js';
import { piecesOf } from './proration.js';
import { readAhead } from './read-ahead.js';
import { summarizeTaxes, type TaxPolicy, taxLine } from './tax.js';
import { ALL_SOURCES, type CustomerUsage, needsFiveMinuteStep, needsPerSourceRows, type UsageGrain, type UsageRow } from './usage.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Customers per grouped read: the query names their identities, so it reads only their rows (a group without a
 * filter read every subscriber of the period, ~5× the rows), and its text, quoted as evidence, stays a few KB.
 * Five-minute reads come in smaller chunks so one answer stays near 100,000 rows (a month is 8,928 per identity).
 */
const GROUP_CHUNK: Record<UsageGrain, number> = { total: 100, '1d': 100, '1h': 100, '5m': 10 };

/** Every identity that ties usage to the customer, as the collectors name subscribers. */
export function subscribersOf(c: Customer): string[] {
  const s = c.subscribers;
  return [...new Set([...s.radius, ...s.ips, ...s.macs, ...s.queues])].sort();
}

export function customerPeriod(c: Customer, label: string): Period {
  return billingPeriod(label, c.billingDay, c.timezone);
}

/** Plans the customer is on at any time in the period. */
function plansInPeriod(catalog: Catalog, c: Customer, period: Period): Plan[] {
  const ids = new Set(c.subscriptions.flatMap((s) => piecesOf(s, period, c.timezone).map((p) => p.planId)).filter((x): x is string => x !== undefined));
  return [...ids].map((id) => catalog.plans.get(id)).filter((p): p is Plan => p !== undefined);
}

/**
 * The coarsest grain that still rates correctly: 5 minutes for percentile charges and for windows in zones or at
 * times that do not cut on the hour, 1 hour for other time-of-day windows (hourly buckets follow local midnight in
 * whole-hour zones; UTC day buckets would not, so '1d' is never used for rating), and otherwise one total per
 * segment of the period (usageSegments): the store sums, and rating reads one row per subscriber and segment.
 */
export function usageStepFor(catalog: Catalog, c: Customer, period: Period): UsageGrain {
  let grain: UsageGrain = 'total';
  for (const plan of plansInPeriod(catalog, c, period)) {
    for (const ch of plan.charges) {
      if (ch.model === 'percentile') return '5m';
      if (!('usage' in ch) || ch.usage.unmetered.length === 0) continue;
      if (needsFiveMinuteStep(ch.usage, c.timezone, period)) return '5m';
      grain = '1h';
    }
  }
  return grain;
}

/** The stretches of the period between every cut of the customer's subscriptions: starts, ends, plan changes, suspensions. */
export function usageSegments(c: Customer, period: Period): Period[] {
  const cuts = new Set([period.from, period.to]);
  for (const sub of c.subscriptions) for (const p of piecesOf(sub, period, c.timezone)) cuts.add(p.from).add(p.to);
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(1).map((to, i) => ({ from: sorted[i]!, to }));
}

/** The [from, to) ranges to query: the whole period per bucket step, or one per segment for totals. */
function readRanges(c: Customer, period: Period, grain: UsageGrain): Period[] {
  return grain === 'total' ? usageSegments(c, period) : [period];
}

/** True when a charge of the customer's plans in the period uses source precedence. */
export function usagePerSourceFor(catalog: Catalog, c: Customer, period: Period): boolean {
  return needsPerSourceRows(plansInPeriod(catalog, c, period).flatMap((p) => p.charges.flatMap((ch) => ('usage' in ch ? [ch.usage] : []))));
}

/**
 * The store queries for one read: split by class always (zero-rated classes need it; RADIUS-only stores answer
 * class "" and nothing more), and once per source when precedence is needed, tagging each row with its source.
 */
async function queryTagged(store: UsageStore, base: { from: number; to: number; step?: Step; subscriber?: string; subscribers?: readonly string[] }, perSource: boolean): Promise<{ rows: UsageRow[]; queries: string[] }> {
  if (!perSource) {
    const a = await store.queryUsage({ ...base, byClass: true });
    return { rows: a.rows, queries: [a.query] };
  }
  const rows: UsageRow[] = [];
  const queries: string[] = [];
  for (const source of ALL_SOURCES) {
    const a = await store.queryUsage({ ...base, sources: [source], byClass: true });
    for (const r of a.rows) rows.push({ ...r, source });
    queries.push(a.query);
  }
  return { rows, queries };
}

export interface RateOptions {
  /** Credit balances left from earlier invoices (by credit id); the full credit amount when absent. */
  creditBalances?: ReadonlyMap<string, CreditBalance['available']>;
}

/** Rates one customer's billing period. Pure and deterministic: same catalog and usage rows (in any order), same invoice. */
export function rateCustomer(catalog: Catalog, c: Customer, periodLabel: string, usage: CustomerUsage, options: RateOptions = {}): RatedInvoice {
  const period = customerPeriod(c, periodLabel);
  const mode = catalog.rounding.mode;
  const drafts: { fee: FeeDraft; plan: Plan; sub: Subscription }[] = [];
  const subs = [...c.subscriptions].sort((a, b) => parseInstant(a.start, c.timezone) - parseInstant(b.start, c.timezone) || (a.id < b.id ? -1 : 1));
  for (const sub of subs) {
    const pieces = piecesOf(sub, period, c.timezone);
    const subFees: FeeDraft[] = [];
    const planIds = [...new Set(pieces.map((p) => p.planId).filter((x): x is string => x !== undefined))];
    for (const planId of planIds) {
      const plan = catalog.plans.get(planId);
      if (!plan) throw new Error(`rating: customer ${c.id} subscription ${sub.id}: unknown plan ${planId}`);
      const spans = pieces.filter((p) => p.planId === planId).map(({ from, to }) => ({ from, to }));
      const earlier: FeeDraft[] = [];
      const ctx: ChargeContext = { currency: c.currency, rounding: mode, timezone: c.timezone, billingDay: c.billingDay, period, plan, subscription: sub, pieces, spans, usage, earlier };
      for (const charge of plan.charges) {
        for (const fee of rateCharge(charge, ctx)) {
          earlier.push(fee);
          subFees.push(fee);
          drafts.push({ fee, plan, sub });
        }
      }
    }
    const firstPlan = catalog.plans.get(planIds[0] ?? sub.plan);
    if (!firstPlan) continue;
    const inPeriod = (from?: string, to?: string) =>
      (from === undefined || parseInstant(from, c.timezone) < period.to) && (to === undefined || parseInstant(to, c.timezone) > period.from);
    const subPeriod = { from: iso(period.from), to: iso(period.to) };
    for (const d of sub.discounts) {
      // NOTE: a customer discount applies to whole fees of any period it touches; it is not prorated by its dates.
      if (!inPeriod(d.from, d.to)) continue;
      const targets = subFees.filter((f) => f.kind !== 'discount' && (d.appliesTo ? d.appliesTo.includes(f.chargeId) : f.kind !== 'one_off'));
      for (const fee of discountLines(d, targets, c.currency, mode, subPeriod)) drafts.push({ fee, plan: firstPlan, sub });
    }
    for (const o of sub.oneOff) {
      const at = parseInstant(o.date, c.timezone);
      if (at < period.from || at >= period.to) continue;
      const price = roundMoney(o.price, c.currency, mode);
      drafts.push({
        fee: { chargeId: o.id, kind: 'one_off', description: o.description, period: { from: iso(at), to: iso(at) }, quantity: ONE, unit: 'each', unitPrice: price, amount: price, taxCategory: o.taxCategory, calculation: [`one-off on ${o.date}: ${price.toString()}`] },
        plan: firstPlan, sub,
      });
    }
  }

  const policy: TaxPolicy = {
    rates: catalog.taxes.rates, jurisdiction: c.tax.jurisdiction, exemptions: c.tax.exemptions, reverseCharge: c.tax.reverseCharge,
    currency: c.currency, mode, per: catalog.rounding.tax,
  };
  const fees: Fee[] = drafts.map(({ fee, plan, sub }) => {
    const t = taxLine({ amount: fee.amount, taxCategory: fee.taxCategory, prices: plan.prices }, policy);
    return { ...fee, customerId: c.id, subscriptionId: sub.id, planId: plan.id, prices: plan.prices, net: t.net, taxes: t.taxes };
  });

  // Exclusive and inclusive lines are taxed as two groups so an inclusive price is never re-grossed.
  const lineTaxes = (prices: Fee['prices']) => fees.filter((f) => f.prices === prices).map((f) => ({ net: f.net, taxes: f.taxes }));
  const exclusive = summarizeTaxes(lineTaxes('exclusive'), policy);
  const inclusive = summarizeTaxes(lineTaxes('inclusive'), policy);
  const taxes = policy.rates.flatMap((r) => {
    const parts = [...exclusive, ...inclusive].filter((s) => s.rateId === r.id);
    return parts.length === 0 ? [] : [{ ...parts[0]!, base: sum(parts.map((p) => p.base)), amount: sum(parts.map((p) => p.amount)) }];
  });
  const taxTotal = sum(taxes.map((t) => t.amount));
  const total = sum(fees.map((f) => f.amount)).plus(sum(exclusive.map((t) => t.amount)));
  const subtotal = total.minus(taxTotal);

  const credits: CreditBalance[] = [...c.credits]
    .filter((cr) => parseInstant(cr.date, c.timezone) < period.to)
    .sort((a, b) => parseInstant(a.date, c.timezone) - parseInstant(b.date, c.timezone) || (a.id < b.id ? -1 : 1))
    .map((cr) => ({ creditId: cr.id, reason: cr.reason, available: roundMoney(options.creditBalances?.get(cr.id) ?? cr.amount, c.currency, mode) }))
    .filter((cr) => cr.available.gt(ZERO));
  const applied = applyCredits(total, credits);
  const notes: string[] = [];
  if (c.tax.reverseCharge) notes.push('Reverse charge: no tax charged; the customer accounts for the tax (self-assessment).');
  return {
    customerId: c.id, period: { label: periodLabel, from: iso(period.from), to: iso(period.to), timezone: c.timezone }, currency: c.currency,
    fees, subtotal, taxes, taxTotal, total, credits: applied.uses, amountDue: applied.due, reverseCharge: c.tax.reverseCharge, notes,
  };
}

/** Reads a customer's usage for a period through the store interface (queries per identity and range, and per source if needed). */
export async function readCustomerUsage(store: UsageStore, c: Customer, period: Period, step: UsageGrain, perSource = false): Promise<CustomerUsage> {
  const subscribers = subscribersOf(c);
  const rows: UsageRow[] = [];
  const queries: string[] = [];
  const bucket = step === 'total' ? {} : { step };
  for (const range of readRanges(c, period, step)) {
    for (const subscriber of subscribers) {
      const answer = await queryTagged(store, { from: range.from, to: range.to, subscriber, ...bucket }, perSource);
      rows.push(...answer.rows);
      queries.push(...answer.queries);
    }
  }
  rows.sort((a, b) => compareUsageTotals(a, b) || ((a.source ?? '') < (b.source ?? '') ? -1 : (a.source ?? '') > (b.source ?? '') ? 1 : 0));
  return { store: store.name, step, queries, subscribers, rows };
}

export interface RatePeriodOptions extends RateOptions {
  /** Only these customers (by id); all customers of the catalog otherwise. */
  customerIds?: readonly string[];
  /**
   * How usage is read: `per-customer` (one query per identity, memory for one customer at a time; best for the
   * embedded store), `grouped` (one query per 100 customers of the same period, grain and segments, naming their
   * identities; fewest round trips, best for Influx), `auto` (default): grouped above 20 customers.
   */
  read?: 'auto' | 'per-customer' | 'grouped';
  /** Per-customer reads in flight ahead of the customer being rated (default 8). */
  readAhead?: number;
}

/**
 * Rates every (or the selected) customer for a period label such as "2025-12", reading usage as `options.read`
 * says. Invoices come back in customer id order.
 */
export async function ratePeriod(store: UsageStore, catalog: Catalog, periodLabel: string, options: RatePeriodOptions = {}): Promise<RatedInvoice[]> {
  const wanted = options.customerIds ? new Set(options.customerIds) : undefined;
  if (wanted) {
    const missing = [...wanted].filter((id) => !catalog.customers.some((c) => c.id === id));
    if (missing.length > 0) throw new Error(`rating: unknown customer ${missing.join(', ')} (expected an id from the customers file)`);
  }
  const customers = catalog.customers.filter((c) => !wanted || wanted.has(c.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const invoices = new Map<string, RatedInvoice>();
  const grouped = options.read === 'grouped' || (options.read !== 'per-customer' && customers.length > 20);
  if (!grouped) {
    // Rated in order as soon as read, with the next few customers' reads in flight (a store with read workers or
    // a server answers them while this thread rates), so memory holds a few customers' rows at a time.
    const read = (c: Customer) => {
      const period = customerPeriod(c, periodLabel);
      return readCustomerUsage(store, c, period, usageStepFor(catalog, c, period), usagePerSourceFor(catalog, c, period));
    };
    for await (const [c, usage] of readAhead(customers, options.readAhead ?? 8, read)) invoices.set(c.id, rateCustomer(catalog, c, periodLabel, usage, options));
  } else {
    const groups = new Map<string, { ranges: Period[]; step: UsageGrain; perSource: boolean; customers: Customer[] }>();
    for (const c of customers) {
      const period = customerPeriod(c, periodLabel);
      const step = usageStepFor(catalog, c, period);
      const perSource = usagePerSourceFor(catalog, c, period);
      const ranges = readRanges(c, period, step);
      const key = `${ranges.map((r) => `${r.from}-${r.to}`).join(',')}/${step}/${perSource}`;
      const g = groups.get(key) ?? { ranges, step, perSource, customers: [] };
      g.customers.push(c);
      groups.set(key, g);
    }
    // One chunk of a group at a time: read its customers' identities, rate them, let the rows go.
    for (const g of groups.values()) {
      for (let i = 0; i < g.customers.length; i += GROUP_CHUNK[g.step]) {
        const chunk = g.customers.slice(i, i + GROUP_CHUNK[g.step]);
        const identities = [...new Set(chunk.flatMap(subscribersOf))].sort();
        const bySub = new Map<string, UsageRow[]>();
        const queries: string[] = [];
        for (const range of g.ranges) {
          const answer = await queryTagged(store, { from: range.from, to: range.to, subscribers: identities, ...(g.step === 'total' ? {} : { step: g.step }) }, g.perSource);
          queries.push(...answer.queries);
          for (const r of answer.rows) {
            const list = bySub.get(r.subscriber);
            if (list) list.push(r);
            else bySub.set(r.subscriber, [r]);
          }
        }
        for (const c of chunk) {
          const subscribers = subscribersOf(c);
          const usage = { store: store.name, step: g.step, queries, subscribers, rows: subscribers.flatMap((s) => bySub.get(s) ?? []) };
          invoices.set(c.id, rateCustomer(catalog, c, periodLabel, usage, options));
        }
      }
    }
  }
  return customers.map((c) => invoices.get(c.id)!);
}
