// What every charge model is given, and the fee draft it returns (rate.ts adds the customer, net and taxes).
import type { Plan, Subscription } from '../../config/catalog-schema.js';
import type { Period } from '../calendar.js';
import type { Fee } from '../fee.js';
import type { RoundingMode } from '../money.js';
import type { Piece } from '../proration.js';
import type { CustomerUsage } from '../usage.js';

export interface ChargeContext {
  currency: string;
  rounding: RoundingMode;
  timezone: string;
  billingDay: number;
  /** The billing period being rated. */
  period: Period;
  plan: Plan;
  subscription: Subscription;
  /** All pieces of the period; the plan is active where piece.planId === plan.id. */
  pieces: readonly Piece[];
  /** Active spans of this plan within the period. */
  spans: readonly Period[];
  usage: CustomerUsage;
  /** Fees of this plan's earlier charges in this period (discounts reduce them). */
  earlier: readonly FeeDraft[];
}

export type FeeDraft = Omit<Fee, 'customerId' | 'subscriptionId' | 'planId' | 'net' | 'taxes' | 'prices'>;

/** The service period of a plan's fees: from its first active instant to its last. */
export function servicePeriod(ctx: ChargeContext): Fee['period'] {
  const from = ctx.spans[0]?.from ?? ctx.period.from;
  const to = ctx.spans[ctx.spans.length - 1]?.to ?? ctx.period.to;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
