// Taxes by jurisdiction and product category: exclusive or inclusive prices, compound rates, exemptions, reverse charge.
import type { TaxRate } from '../config/catalog-schema.js';
import type { TaxLine, TaxSummary } from './fee.js';
import { type Dec, ONE, roundMoney, type RoundingMode, sum } from './money.js';

export interface TaxableLine {
  amount: Dec;
  taxCategory: string;
  prices: 'exclusive' | 'inclusive';
}

export interface TaxPolicy {
  rates: readonly TaxRate[];
  jurisdiction: string;
  exemptions: readonly string[];
  reverseCharge: boolean;
  currency: string;
  mode: RoundingMode;
  per: 'per_line' | 'per_invoice';
}

/** Rates that apply to a category for the customer, in catalog order (which is the compounding order). */
export function ratesFor(category: string, p: TaxPolicy): TaxRate[] {
  if (p.reverseCharge) return [];
  return p.rates.filter((r) => r.jurisdiction === p.jurisdiction && r.categories.includes(category) && !p.exemptions.includes(r.id));
}

/**
 * Exact (unrounded) taxes on a net amount: a simple rate on the net; a compound rate on the net plus every
 * tax before it in the list (Quebec's QST on price + GST, before 2013).
 */
export function exactTaxes(net: Dec, rates: readonly TaxRate[]): { rate: TaxRate; base: Dec; amount: Dec }[] {
  const out: { rate: TaxRate; base: Dec; amount: Dec }[] = [];
  for (const rate of rates) {
    const base = rate.compound ? net.plus(sum(out.map((t) => t.amount))) : net;
    out.push({ rate, base, amount: base.times(rate.rate) });
  }
  return out;
}

/** Gross = net × factor for these rates (factor = 1 + the exact taxes on 1). */
export function grossFactor(rates: readonly TaxRate[]): Dec {
  return ONE.plus(sum(exactTaxes(ONE, rates).map((t) => t.amount)));
}

export interface LineTax {
  net: Dec;
  taxes: TaxLine[];
}

/**
 * Net and tax lines of one fee. Per-line rounding rounds each tax to the currency; for inclusive prices the net
 * is then gross − Σ rounded taxes, so net + taxes is always exactly the price the customer saw. Per-invoice
 * rounding keeps the line taxes exact; `summarizeTaxes` rounds their sum once per rate.
 */
export function taxLine(line: TaxableLine, p: TaxPolicy): LineTax {
  const rates = ratesFor(line.taxCategory, p);
  if (rates.length === 0) return { net: line.amount, taxes: [] };
  const round = (d: Dec) => (p.per === 'per_line' ? roundMoney(d, p.currency, p.mode) : d);
  const exactNet = line.prices === 'exclusive' ? line.amount : line.amount.div(grossFactor(rates));
  const taxes = exactTaxes(exactNet, rates).map((t): TaxLine => ({
    rateId: t.rate.id, name: t.rate.name, rate: t.rate.rate, compound: t.rate.compound, base: t.base, amount: round(t.amount),
  }));
  const net = line.prices === 'exclusive' ? line.amount : p.per === 'per_line' ? line.amount.minus(sum(taxes.map((t) => t.amount))) : exactNet;
  return { net, taxes };
}

/**
 * One summary per rate, in catalog order. Per-line: the sum of the rounded line taxes. Per-invoice: the exact
 * line taxes summed, rounded once (the two differ by at most half a minor unit per line).
 */
export function summarizeTaxes(lines: readonly LineTax[], p: TaxPolicy): TaxSummary[] {
  const out: TaxSummary[] = [];
  for (const rate of p.rates) {
    const mine = lines.flatMap((l) => l.taxes.filter((t) => t.rateId === rate.id));
    if (mine.length === 0) continue;
    const amount = roundMoney(sum(mine.map((t) => t.amount)), p.currency, p.mode);
    out.push({ rateId: rate.id, name: rate.name, rate: rate.rate, base: roundMoney(sum(mine.map((t) => t.base)), p.currency, p.mode), amount });
  }
  return out;
}

