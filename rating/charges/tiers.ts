// Tier arithmetic shared by graduated and volume pricing: tiers are [from, upTo) in the charge's unit.
import type { Tier } from '../../config/catalog-schema.js';
import { type Dec, min, ZERO } from '../money.js';

/** The quantity falling into each tier (graduated: every tier takes its slice). */
export function graduatedSlices(quantity: Dec, tiers: readonly Tier[]): { tier: Tier; qty: Dec }[] {
  return tiers.map((tier) => {
    if (quantity.lte(tier.from)) return { tier, qty: ZERO };
    const top = tier.upTo === undefined ? quantity : min(quantity, tier.upTo);
    return { tier, qty: top.minus(tier.from) };
  });
}

/** The tier the whole quantity is priced at (volume): the tier containing it; a boundary belongs to the upper tier. */
export function volumeTier(quantity: Dec, tiers: readonly Tier[]): Tier {
  return tiers.find((t) => quantity.gte(t.from) && (t.upTo === undefined || quantity.lt(t.upTo))) ?? tiers[tiers.length - 1]!;
}
