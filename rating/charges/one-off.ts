// Setup and one-off charges: a plan's setup fee in the period the subscription starts on it, and dated one-offs.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { parseInstant } from '../calendar.js';
import { ONE, roundMoney } from '../money.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

export function rateOneOff(c: ChargeOf<'one_off'>, ctx: ChargeContext): FeeDraft[] {
  // NOTE: a setup fee belongs to starting service, not to a plan change: moving to a plan never charges its setup.
  const start = parseInstant(ctx.subscription.start, ctx.timezone);
  if (ctx.subscription.plan !== ctx.plan.id || start < ctx.period.from || start >= ctx.period.to) return [];
  const price = roundMoney(c.price, ctx.currency, ctx.rounding);
  return [{
    chargeId: c.id, kind: 'one_off', description: c.description ?? `Setup, ${ctx.plan.name}`, period: servicePeriod(ctx),
    quantity: ONE, unit: 'each', unitPrice: price, amount: price, taxCategory: c.taxCategory,
    calculation: [`one-off on start ${ctx.subscription.start}: ${price.toString()}`],
  }];
}
