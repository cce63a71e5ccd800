// Volume tiers: the whole usage is priced at the rate of the tier it ends in.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { bytesTo, describeUnit } from '../bytes.js';
import { roundMoney, ZERO } from '../money.js';
import { measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';
import { volumeTier } from './tiers.js';

export function rateVolume(c: ChargeOf<'volume'>, ctx: ChargeContext): FeeDraft[] {
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const qty = bytesTo(m.bytesCounted, c.unit);
  const tier = volumeTier(qty, c.tiers);
  const flat = qty.gt(ZERO) ? tier.flatFee ?? ZERO : ZERO;
  const amount = roundMoney(qty.times(tier.unitPrice).plus(flat), ctx.currency, ctx.rounding);
  return [{
    chargeId: c.id, kind: 'volume', description: c.description ?? `Data, volume-priced per ${describeUnit(c.unit)}`,
    period: servicePeriod(ctx), quantity: qty, unit: describeUnit(c.unit), unitPrice: tier.unitPrice, amount, taxCategory: c.taxCategory,
    calculation: [`${m.bytesCounted} bytes = ${qty.toString()} ${c.unit}, in tier [${tier.from.toString()}, ${tier.upTo?.toString() ?? '∞'}): ${qty.toString()} × ${tier.unitPrice.toString()}${flat.gt(ZERO) ? ` + ${flat.toString()}` : ''} = ${amount.toString()}`],
    evidence: m.evidence,
  }];
}
