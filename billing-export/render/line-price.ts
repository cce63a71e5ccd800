// Quantity and net unit price of a line as a receiving system multiplies them: UBL (Peppol R120), Xero and QuickBooks.
import { type Dec, dec, ONE, roundMoney, roundTo, ZERO } from '../../rating/money.js';
import type { DocumentLine } from '../document.js';

const CENT = dec('0.01');

export interface LinePricing {
  /** Negative for a negative line (a discount), so the price is never negative (EN 16931 BR-27). */
  quantity: Dec;
  /** Net of tax, ≥ 0. */
  price: Dec;
  /** The quantity the price is for (UBL cbc:BaseQuantity); 1 unless the line is priced as a whole. */
  baseQuantity: Dec;
  /** False when quantity × price did not give the line's net and the line is priced as a whole (base quantity = quantity). */
  itemized: boolean;
}

/**
 * Rating's quantity × unit price does not always give the line: a prorated month is "1 period at 59.00" for
 * 41.87, an inclusive price is gross, a graduated price is an average. When quantity × net unit price, rounded to
 * the currency, is the net, it is used as is; otherwise the line is priced as a whole (price = net for the whole
 * quantity, UBL BaseQuantity), which a receiver multiplies back to the net exactly. Quantities are rounded to
 * `quantityDecimals` (an exact GiB count has 30; libxml2 reads at most 24 digits) and a price with more decimals
 * than that is not itemized.
 */
export function linePricing(line: DocumentLine, currency: string, quantityDecimals = 12): LinePricing {
  const sign = line.net.lt(ZERO) ? dec('-1') : ONE;
  const unitNet = line.prices === 'inclusive' && !line.amount.eq(ZERO) ? line.unitPrice.times(line.net).div(line.amount) : line.unitPrice;
  const magnitude = roundTo(line.quantity.abs(), quantityDecimals, 'HALF_UP');
  const quantity = magnitude.times(sign);
  const price = unitNet.abs();
  // Peppol R120 allows 0.02 whatever the currency; within a cent, and rounding to the net, is itemized.
  const product = quantity.times(price);
  if (decimalsOf(price) <= quantityDecimals && product.minus(line.net).abs().lte(CENT) && roundMoney(product, currency, 'HALF_UP').eq(line.net)) {
    return { quantity, price, baseQuantity: ONE, itemized: true };
  }
  if (magnitude.eq(ZERO)) return { quantity: sign, price: line.net.abs(), baseQuantity: ONE, itemized: false };
  return { quantity, price: line.net.abs(), baseQuantity: magnitude, itemized: false };
}

/**
 * Quantity and unit amount for an accounting import (Xero, QuickBooks), which multiply them and round to the
 * currency, keep at most `decimals` digits of each and know no base quantity: itemized when that gives the net,
 * else one unit at the net (the description then carries the real quantity).
 */
export function accountingPricing(line: DocumentLine, currency: string, decimals = 4): { quantity: Dec; unitAmount: Dec; itemized: boolean } {
  const unitNet = line.prices === 'inclusive' && !line.amount.eq(ZERO) ? line.unitPrice.times(line.net).div(line.amount) : line.unitPrice;
  const quantity = roundTo(line.quantity, decimals, 'HALF_UP');
  if (decimalsOf(unitNet) <= decimals && !quantity.eq(ZERO) && roundMoney(quantity.times(unitNet), currency, 'HALF_UP').eq(line.net)) {
    return { quantity, unitAmount: unitNet, itemized: true };
  }
  return { quantity: ONE, unitAmount: line.net, itemized: false };
}

export function decimalsOf(d: Dec): number {
  const t = d.toFixed();
  const dot = t.indexOf('.');
  return dot < 0 ? 0 : t.length - dot - 1;
}
