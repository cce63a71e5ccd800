// Included quota + overage: usage above the (optionally prorated) allowance, rounded up to whole overage blocks.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { bytesTo, describeUnit } from '../bytes.js';
import { dec, roundMoney, ZERO } from '../money.js';
import { pieceWeight } from '../proration.js';
import { measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';
import { blocksFor } from './package.js';

export function rateQuotaOverage(c: ChargeOf<'quota_overage'>, ctx: ChargeContext): FeeDraft[] {
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const qty = bytesTo(m.bytesCounted, c.unit);
  const unit = ctx.plan.proration === 'second' ? 'second' : 'day';
  const total = pieceWeight(ctx.period, unit, ctx.timezone);
  const active = ctx.spans.reduce((a, s) => a + pieceWeight(s, unit, ctx.timezone), 0n);
  // NOTE: an allowance is prorated only when the plan says so and the plan prorates at all ("none" keeps it whole).
  const prorate = c.prorateAllowance && ctx.plan.proration !== 'none' && active !== total;
  const included = prorate ? c.included.times(dec(active)).div(dec(total)) : c.included;
  const over = qty.gt(included) ? qty.minus(included) : ZERO;
  const blocks = blocksFor(over, c.overageBlock);
  const amount = roundMoney(blocks.times(c.overageBlockPrice), ctx.currency, ctx.rounding);
  return [{
    chargeId: c.id, kind: 'quota_overage', description: c.description ?? `Data above ${c.included.toString()} ${c.unit} included`,
    period: servicePeriod(ctx), quantity: blocks, unit: `block of ${c.overageBlock.toString()} ${describeUnit(c.unit)}`,
    unitPrice: c.overageBlockPrice, amount, taxCategory: c.taxCategory,
    calculation: [
      `used ${m.bytesCounted} bytes = ${qty.toString()} ${c.unit}`,
      prorate ? `included ${c.included.toString()} × ${active}/${total} ${unit}s = ${included.toString()} ${c.unit}` : `included ${included.toString()} ${c.unit}`,
      `over ${over.toString()} ${c.unit} → ${blocks.toString()} blocks × ${c.overageBlockPrice.toString()} = ${amount.toString()}`,
    ],
    evidence: m.evidence,
  }];
}
