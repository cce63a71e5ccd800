// The closed set of charge models and the one switch that picks each model's implementation.
import type { Charge } from '../../config/catalog-schema.js';
import { periodIndex, parseInstant } from '../calendar.js';
import type { ChargeContext, FeeDraft } from './context.js';
import { servicePeriod } from './context.js';
import { discountLines } from './discount.js';
import { rateFlat } from './flat.js';
import { rateGraduated } from './graduated.js';
import { rateOneOff } from './one-off.js';
import { ratePackage } from './package.js';
import { ratePerUnit } from './per-unit.js';
import { ratePercentile } from './percentile.js';
import { rateQuotaOverage } from './quota-overage.js';
import { rateVolume } from './volume.js';

export type { ChargeContext, FeeDraft } from './context.js';

/** Fees of one charge of the plan in the context's period. A model missing here fails to compile. */
export function rateCharge(charge: Charge, ctx: ChargeContext): FeeDraft[] {
  switch (charge.model) {
    case 'flat': return rateFlat(charge, ctx);
    case 'per_unit': return ratePerUnit(charge, ctx);
    case 'graduated': return rateGraduated(charge, ctx);
    case 'volume': return rateVolume(charge, ctx);
    case 'package': return ratePackage(charge, ctx);
    case 'quota_overage': return rateQuotaOverage(charge, ctx);
    case 'percentile': return ratePercentile(charge, ctx);
    case 'one_off': return rateOneOff(charge, ctx);
    case 'discount': {
      if (charge.firstPeriods !== undefined) {
        const start = parseInstant(ctx.subscription.start, ctx.timezone);
        const n = periodIndex(ctx.period.from, ctx.billingDay, ctx.timezone) - periodIndex(start, ctx.billingDay, ctx.timezone);
        if (n >= charge.firstPeriods) return [];
      }
      // NOTE: by default a discount reduces recurring and usage fees, never setup fees or other discounts.
      const targets = ctx.earlier.filter((f) => f.kind !== 'discount' && (charge.appliesTo ? charge.appliesTo.includes(f.chargeId) : f.kind !== 'one_off'));
      return discountLines(charge, targets, ctx.currency, ctx.rounding, servicePeriod(ctx));
    }
    default: {
      const unknown: never = charge;
      throw new Error(`rating: unknown charge model ${JSON.stringify((unknown as { model: unknown }).model)}`);
    }
  }
}
