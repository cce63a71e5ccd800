// Graduated tiers: each slice of usage is priced at its own tier's rate (plus a tier's flat fee once it is reached).
import type { ChargeOf } from '../../config/catalog-schema.js';
import { bytesTo, describeUnit } from '../bytes.js';
import { roundMoney, sum, ZERO } from '../money.js';
import { measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';
import { graduatedSlices } from './tiers.js';

export function rateGraduated(c: ChargeOf<'graduated'>, ctx: ChargeContext): FeeDraft[] {
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const qty = bytesTo(m.bytesCounted, c.unit);
  const calculation: string[] = [`${m.bytesCounted} bytes = ${qty.toString()} ${c.unit}`];
  const parts = graduatedSlices(qty, c.tiers).map(({ tier, qty: q }) => {
    if (q.eq(ZERO)) return ZERO;
    const part = q.times(tier.unitPrice).plus(tier.flatFee ?? ZERO);
    calculation.push(`[${tier.from.toString()}, ${tier.upTo?.toString() ?? '∞'}) ${q.toString()} × ${tier.unitPrice.toString()}${tier.flatFee ? ` + ${tier.flatFee.toString()}` : ''} = ${part.toString()}`);
    return part;
  });
  // NOTE: one rounding of the exact sum, not per tier, so splitting a tier never changes the bill.
  const amount = roundMoney(sum(parts), ctx.currency, ctx.rounding);
  calculation.push(`total ${amount.toString()}`);
  return [{
    chargeId: c.id, kind: 'graduated', description: c.description ?? `Data, graduated per ${describeUnit(c.unit)}`,
    period: servicePeriod(ctx), quantity: qty, unit: describeUnit(c.unit), unitPrice: qty.eq(ZERO) ? ZERO : amount.div(qty).round(6),
    amount, taxCategory: c.taxCategory, calculation, evidence: m.evidence,
  }];
}
