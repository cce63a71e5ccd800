// Reads plans and customers (YAML, or customers as CSV) into a Catalog, or throws one ConfigError: FILE:LINE KEY: what (expected …).
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseInstant } from '../rating/calendar.js';
import { type Dec, dec, isKnownCurrency, minorUnits, ZERO } from '../rating/money.js';
import { type Catalog, type Customer, customersFileSchema, type PlansFile, plansFileSchema, type Tier } from './catalog-schema.js';
import { parseCustomersCsv } from './catalog-csv.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { isRecord } from './describe-schema.js';
import { yamlMessage } from './load.js';
import { type KeyedProblem, problemsFromIssues } from './zod-problems.js';
import { formatKeyPath, type KeyPath, YamlPositions } from './yaml-position.js';

type LineOf = (path: KeyPath) => number;

export interface CatalogFiles {
  plans: string;
  /** `.yaml`/`.yml` or `.csv` (the CRM export form, see fixtures/catalog/customers.csv). */
  customers: string;
}

/** Reads both files; every problem of both is reported at once. */
export function loadCatalog(files: CatalogFiles): Catalog {
  const plansText = readText(files.plans);
  const customersText = readText(files.customers);
  let plans: PlansFile | undefined;
  const problems: ConfigProblem[] = [];
  try {
    plans = parsePlans(plansText, files.plans);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  try {
    const customers = /\.csv$/i.test(files.customers)
      ? parseCustomersCsv(customersText, files.customers, plans)
      : parseCustomers(customersText, files.customers, plans);
    if (problems.length > 0 || !plans) throw new ConfigError(problems);
    return toCatalog(plans, customers);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError([...problems, ...err.problems]);
  }
}

export function toCatalog(plans: PlansFile, customers: readonly Customer[]): Catalog {
  return { rounding: plans.rounding, taxes: plans.taxes, plans: new Map(plans.plans.map((p) => [p.id, p])), customers };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ConfigError([{ file, line: undefined, key: '(file)', message: `cannot read: ${why} (expected a readable catalog file)` }]);
  }
}

/** One YAML document through a schema and cross-checks, with the config loader's positions and wording. */
export function parseYamlWith<S extends z.ZodType>(
  schema: S, text: string, file: string, cross: (raw: Record<string, unknown>, lineOf: LineOf) => KeyedProblem[],
): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const positions = new YamlPositions(doc, lineCounter);
  const at = (p: KeyedProblem, line = positions.lineOf(p.path)): ConfigProblem => ({ file, line, key: formatKeyPath(p.path), message: p.message });
  const problems: ConfigProblem[] = [...doc.errors, ...doc.warnings]
    .map((e) => at({ path: positions.pathAt(e.pos[0]), message: yamlMessage(e) }, lineCounter.linePos(e.pos[0]).line));
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([...problems, at({ path: [], message: `cannot read the document: ${(err as Error).message} (expected valid YAML anchors and aliases)` })]);
  }
  if (!isRecord(raw)) {
    throw new ConfigError([...problems, at({ path: [], message: `${raw == null ? 'the file is empty' : 'not a mapping'} (expected a mapping, see fixtures/catalog/)` })]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) problems.push(...problemsFromIssues(schema, raw, parsed.error.issues).map((p) => at(p)));
  problems.push(...cross(raw, (p) => positions.lineOf(p)).map((p) => at(p)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data as z.output<S>;
}

// Cross-checks need the typed values (decimals), so they run on the schema's output when it parses.
export function parsePlans(text: string, file: string): PlansFile {
  let typed: PlansFile | undefined;
  const parsed = parseYamlWith(plansFileSchema, text, file, (raw) => {
    const r = plansFileSchema.safeParse(raw);
    if (!r.success) return [];
    typed = r.data;
    return planChecks(r.data);
  });
  return typed ?? parsed;
}

/** Cross-field rules of the plans file: unique ids, contiguous tiers, known tax categories, discount targets. */
export function planChecks(f: PlansFile): KeyedProblem[] {
  const problems: KeyedProblem[] = [];
  const categories = new Set(f.taxes.categories);
  const rateIds = new Map<string, number>();
  f.taxes.rates.forEach((r, i) => {
    const first = rateIds.get(r.id);
    if (first !== undefined) problems.push({ path: ['taxes', 'rates', i, 'id'], message: `duplicate tax rate id ${JSON.stringify(r.id)} (expected unique ids; first at taxes.rates[${first}])` });
    else rateIds.set(r.id, i);
    r.categories.forEach((c, j) => {
      if (!categories.has(c)) problems.push({ path: ['taxes', 'rates', i, 'categories', j], message: `unknown tax category ${JSON.stringify(c)} (expected one of taxes.categories: ${[...categories].join(', ')})` });
    });
  });
  const planIds = new Map<string, number>();
  f.plans.forEach((plan, p) => {
    const first = planIds.get(plan.id);
    if (first !== undefined) problems.push({ path: ['plans', p, 'id'], message: `duplicate plan id ${JSON.stringify(plan.id)} (expected unique ids; first at plans[${first}])` });
    else planIds.set(plan.id, p);
    const chargeIds = new Set<string>();
    plan.charges.forEach((c, i) => {
      const at = (...rest: (string | number)[]): KeyPath => ['plans', p, 'charges', i, ...rest];
      if (chargeIds.has(c.id)) problems.push({ path: at('id'), message: `duplicate charge id ${JSON.stringify(c.id)} (expected unique ids within the plan)` });
      chargeIds.add(c.id);
      if (!categories.has(c.taxCategory)) problems.push({ path: at('taxCategory'), message: `unknown tax category ${JSON.stringify(c.taxCategory)} (expected one of taxes.categories: ${[...categories].join(', ')})` });
      if (c.model === 'graduated' || c.model === 'volume') problems.push(...tierProblems(c.tiers, at));
      if (c.model === 'package' && c.blockSize.eq(ZERO)) problems.push({ path: at('blockSize'), message: 'zero block size (expected a block size > 0)' });
      if (c.model === 'quota_overage' && c.overageBlock.eq(ZERO)) problems.push({ path: at('overageBlock'), message: 'zero overage block (expected a block size > 0)' });
      if (c.model === 'discount') problems.push(...discountProblems(c, at));
      const price = c.model === 'flat' || c.model === 'one_off' ? ['price', c.price] as const
        : c.model === 'percentile' ? ['commitPrice', c.commitPrice] as const : c.model === 'discount' && c.amount ? ['amount', c.amount] as const : undefined;
      if (price) problems.push(...pricePrecisionProblems(price[1], plan.currency, f.rounding.pricePrecision, at(price[0])));
    });
    plan.charges.forEach((c, i) => {
      if (c.model !== 'discount') return;
      c.appliesTo?.forEach((target, j) => {
        const hit = plan.charges.find((x) => x.id === target);
        if (!hit || hit.model === 'discount') problems.push({ path: ['plans', p, 'charges', i, 'appliesTo', j], message: `unknown charge ${JSON.stringify(target)} (expected a non-discount charge id of plan ${plan.id})` });
      });
    });
  });
  return problems;
}

function tierProblems(tiers: readonly Tier[], at: (...rest: (string | number)[]) => KeyPath): KeyedProblem[] {
  const problems: KeyedProblem[] = [];
  tiers.forEach((t, i) => {
    const prev = tiers[i - 1];
    const expectedFrom = prev ? prev.upTo : undefined;
    if (i === 0 && !t.from.eq(ZERO)) problems.push({ path: at('tiers', 0, 'from'), message: `first tier starts at ${t.from.toString()} (expected 0: usage below it would be unpriced)` });
    if (prev && expectedFrom && !t.from.eq(expectedFrom)) {
      const what = t.from.gt(expectedFrom) ? 'gap' : 'overlap';
      problems.push({ path: at('tiers', i, 'from'), message: `tier ${what}: from ${t.from.toString()} but the previous tier ends at ${expectedFrom.toString()} (expected from: ${expectedFrom.toString()})` });
    }
    if (t.upTo !== undefined && !t.upTo.gt(t.from)) problems.push({ path: at('tiers', i, 'upTo'), message: `upTo ${t.upTo.toString()} is not above from ${t.from.toString()} (expected upTo > from)` });
    if (t.upTo === undefined && i < tiers.length - 1) problems.push({ path: at('tiers', i, 'upTo'), message: 'missing (expected upTo on every tier but the last)' });
    if (t.upTo !== undefined && i === tiers.length - 1) problems.push({ path: at('tiers', i, 'upTo'), message: `the last tier ends at ${t.upTo.toString()} (expected no upTo on the last tier, so all usage is priced)` });
  });
  return problems;
}

/**
 * A price with more decimals than its currency, under `rounding.pricePrecision: currency` (the default). Usage unit
 * prices are not prices in this sense: they are multiplied by a quantity and the product is rounded once anyway.
 */
export function pricePrecisionProblems(price: Dec, currency: string, policy: PlansFile['rounding']['pricePrecision'], path: KeyPath): KeyedProblem[] {
  if (policy === 'exact' || !isKnownCurrency(currency)) return [];
  const digits = minorUnits(currency);
  if (price.round(digits).eq(price)) return [];
  return [{ path, message: `${price.toString()} has more decimals than ${currency} (${digits}) (expected a price such as ${price.round(digits).toFixed(digits)}, or rounding.pricePrecision: exact in the plans file to prorate from the exact price and round once per fee)` }];
}

function discountProblems(d: { percent?: Dec | undefined; amount?: Dec | undefined }, at: (...rest: (string | number)[]) => KeyPath): KeyedProblem[] {
  if ((d.percent === undefined) === (d.amount === undefined)) return [{ path: at('percent'), message: 'a discount needs exactly one of percent or amount (expected percent: "10" or amount: "5.00")' }];
  if (d.percent !== undefined && d.percent.gt(dec('100'))) return [{ path: at('percent'), message: `${d.percent.toString()} % (expected a percent from 0 to 100)` }];
  return [];
}

export function parseCustomers(text: string, file: string, plans: PlansFile | undefined): Customer[] {
  let typed: Customer[] | undefined;
  parseYamlWith(customersFileSchema, text, file, (raw) => {
    const r = customersFileSchema.safeParse(raw);
    if (!r.success) return [];
    typed = r.data.customers;
    return customerChecks(r.data.customers, plans, (i) => ['customers', i]);
  });
  return typed!;
}

/** Cross-field rules of customers, shared by the YAML and CSV forms. `base(i)` is the path of customer i. */
export function customerChecks(customers: readonly Customer[], plans: PlansFile | undefined, base: (i: number) => KeyPath): KeyedProblem[] {
  const problems: KeyedProblem[] = [];
  const planById = new Map(plans?.plans.map((p) => [p.id, p]));
  const rateIds = new Set(plans?.taxes.rates.map((r) => r.id));
  const jurisdictions = new Set(plans?.taxes.rates.map((r) => r.jurisdiction));
  const customerIds = new Map<string, number>();
  const identities = new Map<string, string>();
  customers.forEach((c, i) => {
    const at = (...rest: (string | number)[]): KeyPath => [...base(i), ...rest];
    const first = customerIds.get(c.id);
    if (first !== undefined) problems.push({ path: at('id'), message: `duplicate customer id ${JSON.stringify(c.id)} (expected unique ids)` });
    else customerIds.set(c.id, i);
    for (const [kind, list] of Object.entries(c.subscribers)) {
      list.forEach((name, j) => {
        const owner = identities.get(name);
        if (owner !== undefined && owner !== c.id) problems.push({ path: at('subscribers', kind, j), message: `${JSON.stringify(name)} already belongs to customer ${owner} (expected each subscriber identity on one customer)` });
        else identities.set(name, c.id);
      });
    }
    if (plans) {
      if (!jurisdictions.has(c.tax.jurisdiction)) problems.push({ path: at('tax', 'jurisdiction'), message: `unknown tax jurisdiction ${JSON.stringify(c.tax.jurisdiction)} (expected one of ${[...jurisdictions].sort().join(', ') || '(none in taxes.rates)'})` });
      c.tax.exemptions.forEach((e, j) => {
        if (!rateIds.has(e)) problems.push({ path: at('tax', 'exemptions', j), message: `unknown tax rate ${JSON.stringify(e)} (expected a taxes.rates id)` });
      });
    }
    const spans: { from: number; to: number; j: number }[] = [];
    c.subscriptions.forEach((s, j) => {
      const sub = (...rest: (string | number)[]) => at('subscriptions', j, ...rest);
      const planRefs: [string, KeyPath][] = [[s.plan, sub('plan')], ...s.changes.map((ch, k): [string, KeyPath] => [ch.plan, sub('changes', k, 'plan')])];
      if (plans) {
        for (const [planId, path] of planRefs) {
          const plan = planById.get(planId);
          if (!plan) problems.push({ path, message: `unknown plan ${JSON.stringify(planId)} (expected one of ${[...planById.keys()].join(', ')})` });
          else if (plan.currency !== c.currency) problems.push({ path, message: `plan ${planId} is priced in ${plan.currency} but the customer pays in ${c.currency} (expected a plan in ${c.currency})` });
        }
      }
      const from = parseInstant(s.start, c.timezone);
      const to = s.end === undefined ? Infinity : parseInstant(s.end, c.timezone);
      if (to <= from) problems.push({ path: sub('end'), message: `end ${s.end} is not after start ${s.start} (expected end > start)` });
      let last = from;
      s.changes.forEach((ch, k) => {
        const t = parseInstant(ch.date, c.timezone);
        if (t <= last || t >= to) problems.push({ path: sub('changes', k, 'date'), message: `${ch.date} is not inside the subscription after the previous change (expected dates in order within [start, end))` });
        last = Math.max(last, t);
      });
      s.suspensions.forEach((p, k) => {
        if (p.to !== undefined && parseInstant(p.to, c.timezone) <= parseInstant(p.from, c.timezone)) problems.push({ path: sub('suspensions', k, 'to'), message: `${p.to} is not after ${p.from} (expected to > from)` });
      });
      s.discounts.forEach((d, k) => problems.push(...discountProblems(d, (...rest) => sub('discounts', k, ...rest))));
      if (plans) {
        const policy = plans.rounding.pricePrecision;
        s.oneOff.forEach((o, k) => problems.push(...pricePrecisionProblems(o.price, c.currency, policy, sub('oneOff', k, 'price'))));
        s.discounts.forEach((d, k) => d.amount && problems.push(...pricePrecisionProblems(d.amount, c.currency, policy, sub('discounts', k, 'amount'))));
      }
      if (to > from) {
        // Usage ties to the customer, not to a subscription: two live at once would rate the same bytes twice.
        const clash = spans.find((o) => from < o.to && o.from < to);
        if (clash) problems.push({ path: sub('start'), message: `overlaps subscription ${c.subscriptions[clash.j]!.id} (expected one subscription at a time per customer; end the other first)` });
        spans.push({ from, to, j });
      }
    });
  });
  return problems;
}
