// Per-unit usage charge: counted bytes in the plan's unit × unit price.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { bytesTo, describeUnit } from '../bytes.js';
import { roundMoney } from '../money.js';
import { measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

export function ratePerUnit(c: ChargeOf<'per_unit'>, ctx: ChargeContext): FeeDraft[] {
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const qty = bytesTo(m.bytesCounted, c.unit);
  const amount = roundMoney(qty.times(c.unitPrice), ctx.currency, ctx.rounding);
  return [{
    chargeId: c.id, kind: 'per_unit', description: c.description ?? `Data, per ${describeUnit(c.unit)}`,
    period: servicePeriod(ctx), quantity: qty, unit: describeUnit(c.unit), unitPrice: c.unitPrice, amount, taxCategory: c.taxCategory,
    calculation: [`${m.bytesCounted} bytes = ${qty.toString()} ${c.unit} × ${c.unitPrice.toString()} = ${amount.toString()}`],
    evidence: m.evidence,
  }];
}
