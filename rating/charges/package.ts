// Package: usage rounded up to whole blocks of N units, each block at a fixed price, after any free blocks.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { bytesTo, describeUnit } from '../bytes.js';
import { dec, type Dec, roundMoney, ZERO } from '../money.js';
import { measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

/** Whole blocks needed to hold `qty` (0 for no usage; a partial block counts as one). */
export function blocksFor(qty: Dec, blockSize: Dec): Dec {
  return qty.lte(ZERO) ? ZERO : qty.div(blockSize).round(0, 3 /* roundUp */);
}

export function ratePackage(c: ChargeOf<'package'>, ctx: ChargeContext): FeeDraft[] {
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const qty = bytesTo(m.bytesCounted, c.unit);
  const blocks = blocksFor(qty, c.blockSize);
  const charged = blocks.minus(dec(BigInt(c.freeBlocks))).gt(ZERO) ? blocks.minus(dec(BigInt(c.freeBlocks))) : ZERO;
  const amount = roundMoney(charged.times(c.blockPrice), ctx.currency, ctx.rounding);
  return [{
    chargeId: c.id, kind: 'package', description: c.description ?? `Data, blocks of ${c.blockSize.toString()} ${describeUnit(c.unit)}`,
    period: servicePeriod(ctx), quantity: charged, unit: `block of ${c.blockSize.toString()} ${c.unit}`, unitPrice: c.blockPrice, amount,
    taxCategory: c.taxCategory,
    calculation: [`${qty.toString()} ${c.unit} → ${blocks.toString()} blocks of ${c.blockSize.toString()} − ${c.freeBlocks} free = ${charged.toString()} × ${c.blockPrice.toString()} = ${amount.toString()}`],
    evidence: m.evidence,
  }];
}
