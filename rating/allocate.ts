// Splits an amount into parts by weight so the parts always sum to the whole (largest-remainder / Hamilton method).
import { type Dec, dec, minorUnits, ZERO } from './money.js';

/**
 * Splits `total` (already rounded to the currency) into `weights.length` parts proportional to the weights.
 * Each part first gets its share truncated to the minor unit; the minor units left over go one each to the
 * parts with the largest truncated-away remainders, ties to the earlier part. Sum of parts === total, always.
 * Negative totals are split as the negation of the positive split, so a refund mirrors its charge.
 */
export function allocate(total: Dec, weights: readonly bigint[], currency: string): Dec[] {
  if (weights.length === 0) throw new Error('allocate: no parts');
  if (weights.some((w) => w < 0n)) throw new Error('allocate: negative weight');
  const scale = 10n ** BigInt(minorUnits(currency));
  const scaled = total.times(dec(scale));
  if (!scaled.round(0).eq(scaled)) throw new Error(`allocate: ${total.toString()} is not rounded to ${currency} minor units`);
  const minor = BigInt(scaled.toFixed(0));
  const negative = minor < 0n;
  const parts = allocateMinor(negative ? -minor : minor, weights);
  return parts.map((p) => (p === 0n ? ZERO : dec(negative ? -p : p).div(dec(scale))));
}

/** Integer version: `total` ≥ 0 minor units split by weight; all-zero weights put everything in the first part. */
export function allocateMinor(total: bigint, weights: readonly bigint[]): bigint[] {
  const wsum = weights.reduce((a, b) => a + b, 0n);
  if (wsum === 0n) return weights.map((_, i) => (i === 0 ? total : 0n));
  const parts = weights.map((w) => (total * w) / wsum);
  const rem = weights.map((w, i) => ({ i, r: (total * w) % wsum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  rem.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of rem) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return parts;
}
