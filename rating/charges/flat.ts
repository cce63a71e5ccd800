// Flat recurring charge, in advance or in arrears, prorated over the active share of the period.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { ONE, roundMoney } from '../money.js';
import { proratedShare } from '../proration.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

export function rateFlat(c: ChargeOf<'flat'>, ctx: ChargeContext): FeeDraft[] {
  const price = roundMoney(c.price, ctx.currency, ctx.rounding);
  const share = proratedShare(price, ctx.pieces, ctx.plan.id, ctx.plan.proration, ctx.timezone, ctx.currency);
  if (share.weight === 0n) return [];
  const full = share.weight === share.total;
  const unit = ctx.plan.proration === 'second' ? 'seconds' : 'days';
  return [{
    chargeId: c.id, kind: 'flat', description: c.description ?? ctx.plan.name,
    period: servicePeriod(ctx), quantity: ONE, unit: 'period', unitPrice: price, amount: share.amount,
    taxCategory: c.taxCategory, billing: c.billing,
    // NOTE: the share comes from a largest-remainder split of the whole price over every piece of the period,
    // so the parts of a changed or suspended month add up to the monthly price exactly.
    calculation: full || ctx.plan.proration === 'none'
      ? [`${price.toString()} for the full period`]
      : [`${share.weight}/${share.total} ${unit} of ${price.toString()} (largest-remainder split) = ${share.amount.toString()}`],
  }];
}

export { roundMoney };
