// Late usage: usage that reached the store after a period was finalized is billed on the next invoice as adjustment
// lines (re-rate the earlier period, compare with what was billed for it, bill the difference). Finalized invoices
// are never touched.
import type { Catalog, Customer } from '../../config/catalog-schema.js';
import type { Fee, TaxLine } from '../../rating/fee.js';
import { formatMoney, ONE, roundMoney, type RoundingMode, sum, ZERO } from '../../rating/money.js';
import { customerPeriod, rateCustomer } from '../../rating/rate.js';
import type { UsageStore } from '../../store/usage-store.js';
import type { LedgerLine } from '../ledger/ledger-rows.js';
import { readBillingUsage } from './daily-usage.js';
import type { LedgerReader } from './ledger-reader.js';

/**
 * Fees that follow usage: every fee with usage evidence, and discounts (which follow the fees they reduce).
 * NOTE: flat and one-off fees are not re-compared: a catalog price edited after finalization must not rebill history.
 */
function followsUsage(f: { kind: string; evidence?: unknown }): boolean {
  return f.evidence !== undefined || f.kind === 'discount';
}

const keyOf = (l: { subscriptionId: string; planId: string; chargeId: string }) => `${l.subscriptionId}\u0000${l.planId}\u0000${l.chargeId}`;

/** Adjustment lines for the customer's finalized periods before `beforeFrom` (newest `lookback` of them), oldest first. */
export async function lateUsageAdjustments(store: UsageStore, catalog: Catalog, c: Customer, beforeFrom: string, lookback: number, ledger: LedgerReader): Promise<LedgerLine[]> {
  const out: LedgerLine[] = [];
  for (const earlier of ledger.earlierInvoices(c.id, beforeFrom, lookback).reverse()) {
    const period = customerPeriod(c, earlier.period);
    const usage = await readBillingUsage(store, catalog, c, period);
    const rerated = rateCustomer(catalog, c, earlier.period, usage);
    const billed = [...earlier.lines.filter((l) => l.kind !== 'adjustment'), ...earlier.adjustedBy];
    for (const fee of rerated.fees.filter(followsUsage)) {
      const mine = billed.filter((l) => keyOf(l) === keyOf(fee));
      // Amounts are rounded per line already; taxes (and inclusive nets) are exact under per-invoice tax rounding,
      // so the difference is rounded to the currency and the net is what is left of the gross after tax.
      const dAmount = fee.amount.minus(sum(mine.map((l) => l.amount)));
      const taxes = taxDelta(fee, mine, c.currency, catalog.rounding.mode);
      const dNet = fee.prices === 'exclusive' ? dAmount : dAmount.minus(sum(taxes.map((t) => t.amount)));
      if (dAmount.eq(ZERO) && taxes.length === 0) continue;
      const billedAmount = sum(mine.map((l) => l.amount));
      out.push({
        kind: 'adjustment',
        description: `Late usage, ${earlier.period} (${earlier.number}): ${fee.description}`,
        subscriptionId: fee.subscriptionId, planId: fee.planId, chargeId: fee.chargeId, prices: fee.prices,
        period: fee.period, quantity: ONE, unit: 'each', unitPrice: dAmount, net: dNet, amount: dAmount, taxCategory: fee.taxCategory,
        taxes,
        calculation: [
          `${earlier.number} billed ${formatMoney(billedAmount, c.currency)} for this charge${mine.length > 1 ? ` (with ${mine.length - 1} earlier adjustment${mine.length > 2 ? 's' : ''})` : ''}`,
          `re-rated with the usage now in the store: ${formatMoney(fee.amount, c.currency)}`,
          ...fee.calculation.map((s) => `  ${s}`),
          `difference billed now: ${formatMoney(dAmount, c.currency)}`,
        ],
        ...(fee.evidence ? { evidence: fee.evidence } : {}),
        adjusts: { invoiceId: earlier.id, invoiceNumber: earlier.number, period: { from: new Date(period.from).toISOString(), to: new Date(period.to).toISOString() }, billed: billedAmount },
      });
    }
  }
  return out;
}

/** Per rate: the re-rated tax minus what was billed (bases and amounts), in the fee's rate order. */
function taxDelta(fee: Fee, billed: readonly LedgerLine[], currency: string, mode: RoundingMode): TaxLine[] {
  const ids = [...new Set([...fee.taxes.map((t) => t.rateId), ...billed.flatMap((l) => l.taxes.map((t) => t.rateId))])];
  return ids.flatMap((id) => {
    const now = fee.taxes.find((t) => t.rateId === id);
    const before = billed.flatMap((l) => l.taxes.filter((t) => t.rateId === id));
    const proto = now ?? before[0]!;
    const amount = roundMoney((now?.amount ?? ZERO).minus(sum(before.map((t) => t.amount))), currency, mode);
    const base = (now?.base ?? ZERO).minus(sum(before.map((t) => t.base)));
    return amount.eq(ZERO) && base.eq(ZERO) ? [] : [{ ...proto, base, amount }];
  });
}
