// Discounts: percent or fixed amount off earlier fees, limited to charges and to the first N periods or a date range.
import { allocate } from '../allocate.js';
import { type Dec, dec, ONE, roundMoney, sum, toMinor, ZERO } from '../money.js';
import type { FeeDraft } from './context.js';

export interface DiscountSpec {
  id: string;
  description?: string | undefined;
  percent?: Dec | undefined;
  amount?: Dec | undefined;
}

/**
 * Negative lines, one per discounted fee, each in that fee's tax category so tax falls with the price.
 * A fixed amount is capped at what it discounts and split over the fees by largest remainder.
 */
export function discountLines(d: DiscountSpec, targets: readonly FeeDraft[], currency: string, rounding: 'HALF_UP' | 'HALF_EVEN', period: FeeDraft['period']): FeeDraft[] {
  const live = targets.filter((f) => f.amount.gt(ZERO));
  if (live.length === 0) return [];
  let cuts: Dec[];
  let how: string;
  if (d.percent !== undefined) {
    cuts = live.map((f) => roundMoney(f.amount.times(d.percent!).div(dec('100')), currency, rounding));
    how = `${d.percent.toString()} % of`;
  } else {
    const base = sum(live.map((f) => f.amount));
    const amount = roundMoney(d.amount!, currency, rounding);
    const capped = amount.gt(base) ? base : amount;
    cuts = allocate(capped, live.map((f) => toMinor(f.amount, currency)), currency);
    how = `${capped.toString()} of ${amount.toString()} fixed, split by amount over`;
  }
  return live.map((f, i) => ({
    chargeId: d.id, kind: 'discount' as const, description: `${d.description ?? 'Discount'}: ${f.description}`, period,
    quantity: ONE, unit: 'each', unitPrice: cuts[i]!.times(dec('-1')), amount: cuts[i]!.times(dec('-1')), taxCategory: f.taxCategory,
    calculation: [`${how} ${f.chargeId} ${f.amount.toString()} = −${cuts[i]!.toString()}`],
  })).filter((f) => !f.amount.eq(ZERO));
}
