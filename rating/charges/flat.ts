// Flat recurring charge, in advance or in arrears, prorated over the active share of the period.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { formatMoney, ONE, roundMoney } from '../money.js';
import { proratedShare } from '../proration.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

export function rateFlat(c: ChargeOf<'flat'>, ctx: ChargeContext): FeeDraft[] {
  // NOTE: the catalog price as written (more digits than the currency only under rounding.pricePrecision: exact);
  // the fee is rounded once, from the exact price times the active share.
  const price = c.price;
  const share = proratedShare(price, ctx.pieces, ctx.plan.id, ctx.plan.proration, ctx.timezone, ctx.currency, ctx.rounding);
  if (share.weight === 0n) return [];
  const full = share.weight === share.total;
  const unit = ctx.plan.proration === 'second' ? 'seconds' : 'days';
  return [{
    chargeId: c.id, kind: 'flat', description: c.description ?? ctx.plan.name,
    period: servicePeriod(ctx), quantity: ONE, unit: 'period', unitPrice: price, amount: share.amount,
    taxCategory: c.taxCategory, billing: c.billing,
    // NOTE: the active share is rounded on its own; what the rounding leaves (residual) falls on the inactive pieces.
    calculation: full || ctx.plan.proration === 'none'
      ? [`${price.toString()} for the full period${share.amount.eq(price) ? '' : ` = ${formatMoney(share.amount, ctx.currency)}`}`]
      : [`${price.toString()} × ${share.weight}/${share.total} ${unit} = ${formatMoney(share.amount, ctx.currency)} (rounded once; ${formatMoney(share.residual, ctx.currency)} falls on the days not in service)`],
  }];
}

export { roundMoney };
