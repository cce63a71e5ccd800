// 95th percentile (burstable): 5-minute rates over the active period, committed rate billed flat, bursts per Mbps.
import type { ChargeOf } from '../../config/catalog-schema.js';
import { dec, type Dec, max, roundMoney, ZERO } from '../money.js';
import { proratedShare } from '../proration.js';
import { inWindow, measureUsage } from '../usage.js';
import { type ChargeContext, type FeeDraft, servicePeriod } from './context.js';

const SAMPLE_MS = 300_000;
/**
 * bytes in 300 s → Mbps: × 8 bits ÷ (300 s × 10^6 bits per megabit). One division, last: a factor 8/300/10^6
 * computed first is a repeating decimal cut at big.js's precision, and 140 Mbps came out as 140.000…0175.
 */
const BITS_PER_BYTE = dec('8');
const BITS_PER_MBPS_SAMPLE = dec('300000000');

/**
 * The p-th percentile by the nearest-rank method: sort ascending, take the value at rank ceil(p/100 × n).
 * Every 5-minute interval of the active period is a sample; an interval with no usage row is a 0 sample
 * (otherwise a quiet month would bill its few busy intervals as its 95th percentile).
 */
export function nearestRank(samples: readonly bigint[], p: number): bigint {
  if (samples.length === 0) return 0n;
  // Sorting byte counts instead of decimals: the rate is a fixed multiple of the bytes. A typed array sorts
  // numerically in native code (a month of samples is 8,928; the comparator sort was ~1.5 s of rating 500 such
  // customers). It would wrap a value outside 0…2^64, so those are refused (2^64 bytes in 5 minutes is not usage).
  for (const s of samples) if (s < 0n || s >= 2n ** 64n) throw new RangeError(`percentile: sample ${s} bytes is out of range`);
  const sorted = BigUint64Array.from(samples).sort();
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[Math.max(0, rank - 1)]!;
}

const mbps = (bytes: bigint): Dec => dec(bytes).times(BITS_PER_BYTE).div(BITS_PER_MBPS_SAMPLE);

export function ratePercentile(c: ChargeOf<'percentile'>, ctx: ChargeContext): FeeDraft[] {
  // Hourly rows would put a whole hour into one of its twelve samples: refuse rather than over-bill.
  if (ctx.usage.step !== '5m') throw new Error(`rating: percentile charge ${c.id} of plan ${ctx.plan.id} needs 5-minute usage (got ${ctx.usage.step}; use usageStepFor)`);
  const m = measureUsage(ctx.usage, c.usage, ctx.spans, ctx.timezone);
  const down: bigint[] = [];
  const up: bigint[] = [];
  for (const span of ctx.spans) {
    for (let t = Math.ceil(span.from / SAMPLE_MS) * SAMPLE_MS; t < span.to; t += SAMPLE_MS) {
      // NOTE: an unmetered window removes its samples from the set instead of counting them as zero.
      if (c.usage.unmetered.some((w) => inWindow(t, w, ctx.timezone))) continue;
      const b = m.buckets.get(t);
      down.push(b?.down ?? 0n);
      up.push(b?.up ?? 0n);
    }
  }
  const dir = c.usage.direction;
  let p: Dec;
  let how: string;
  if (c.measure === 'sum') {
    p = mbps(nearestRank(down.map((d, i) => d + up[i]!), c.percentile));
    how = `p${c.percentile} of down+up per sample`;
  } else if (dir === 'down') { p = mbps(nearestRank(down, c.percentile)); how = `p${c.percentile} of down`; }
  else if (dir === 'up') { p = mbps(nearestRank(up, c.percentile)); how = `p${c.percentile} of up`; }
  else {
    const pd = mbps(nearestRank(down, c.percentile));
    const pu = mbps(nearestRank(up, c.percentile));
    p = max(pd, pu);
    how = `max(p${c.percentile} down ${pd.round(6).toString()}, p${c.percentile} up ${pu.round(6).toString()})`;
  }
  const burst = p.gt(c.committedMbps) ? p.minus(c.committedMbps) : ZERO;
  const burstAmount = roundMoney(burst.times(c.burstPricePerMbps), ctx.currency, ctx.rounding);
  const commit = proratedShare(c.commitPrice, ctx.pieces, ctx.plan.id, ctx.plan.proration, ctx.timezone, ctx.currency, ctx.rounding);
  const period = servicePeriod(ctx);
  const evidence = { ...m.evidence, notes: [...m.evidence.notes, `${down.length} five-minute samples, ${down.length - m.buckets.size} without usage counted as 0`] };
  return [
    {
      chargeId: c.id, kind: 'percentile_commit', description: `${c.description ?? 'Committed rate'} ${c.committedMbps.toString()} Mbps`,
      period, quantity: c.committedMbps, unit: 'Mbps (10^6 bit/s)', unitPrice: c.committedMbps.eq(ZERO) ? ZERO : c.commitPrice.div(c.committedMbps).round(6),
      amount: commit.amount, taxCategory: c.taxCategory,
      calculation: [`commitment ${c.commitPrice.toString()}${commit.weight === commit.total ? '' : ` × ${commit.weight}/${commit.total}`} = ${commit.amount.toString()}`],
    },
    {
      chargeId: c.id, kind: 'percentile_burst', description: `${c.description ?? 'Burst'} above ${c.committedMbps.toString()} Mbps (${c.percentile}th percentile)`,
      period, quantity: burst, unit: 'Mbps (10^6 bit/s)', unitPrice: c.burstPricePerMbps, amount: burstAmount, taxCategory: c.taxCategory,
      calculation: [`${how} = ${p.toString()} Mbps over ${down.length} samples`, `burst ${burst.toString()} × ${c.burstPricePerMbps.toString()} = ${burstAmount.toString()}`],
      evidence,
    },
  ];
}
