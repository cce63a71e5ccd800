// What a credit note credits: whole lines of the invoice, or an amount (tax included) spread over its taxes pro rata.
import type { TaxLine } from '../../rating/fee.js';
import { type Dec, dec, formatMoney, ONE, roundMoney, type RoundingMode, sum, ZERO } from '../../rating/money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerLine } from '../ledger/ledger-rows.js';

export type CreditSpec = { lines: readonly number[] } | { amount: Dec };

/** The credit note's lines (positive amounts) for `spec` against a finalized invoice; refuses crediting a line twice. */
export function creditNoteLines(ledger: Ledger, invoiceNumber: string, spec: CreditSpec, reason: string, mode: RoundingMode): LedgerLine[] {
  const inv = ledger.row(invoiceNumber);
  if (!inv || inv.kind !== 'invoice') throw new Error(`invoices credit: no finalized invoice numbered ${invoiceNumber}`);
  const adjusts = { invoiceId: inv.id, invoiceNumber, period: { from: inv.period_from, to: inv.period_to } };
  const lines = ledger.linesOf(inv.id);

  if ('lines' in spec) {
    if (spec.lines.length === 0) throw new Error('invoices credit: --lines names no line (expected line numbers such as 1,3)');
    const credited = new Set((ledger.db.prepare(`
      SELECT l.credits_line_no FROM invoice_line l JOIN invoice c ON c.id = l.invoice_id
      WHERE c.corrects_invoice_id = ? AND c.status = 'finalized' AND l.credits_line_no IS NOT NULL`).all(inv.id) as { credits_line_no: number }[]).map((r) => r.credits_line_no));
    return [...new Set(spec.lines)].map((n) => {
      const l = lines[n - 1];
      if (!l) throw new Error(`invoices credit: ${invoiceNumber} has no line ${n} (expected 1 to ${lines.length})`);
      if (credited.has(n)) throw new Error(`invoices credit: line ${n} of ${invoiceNumber} was already credited (see \`wispmeter invoices list --customer ${inv.customer_id}\`)`);
      return { ...l, description: `Credit: ${l.description}`, calculation: [`credits line ${n} of ${invoiceNumber}: ${reason}`, ...l.calculation], adjusts, creditsLineNo: n };
    });
  }

  const total = dec(inv.total);
  if (spec.amount.lte(ZERO)) throw new Error('invoices credit: --amount must be positive (expected the amount to credit, tax included)');
  if (total.eq(ZERO)) throw new Error(`invoices credit: ${invoiceNumber} totals 0; nothing to credit`);
  const amount = roundMoney(spec.amount, inv.currency, mode);
  const share = amount.div(total);
  // Each tax rate of the invoice gets its share of the credit; the net is what is left, so net + taxes = amount.
  const taxes: TaxLine[] = (ledger.db.prepare('SELECT rate_id, name, rate, base, amount FROM invoice_tax WHERE invoice_id = ? ORDER BY position').all(inv.id) as
    { rate_id: string; name: string; rate: string; base: string; amount: string }[])
    .map((t) => ({ rateId: t.rate_id, name: t.name, rate: dec(t.rate), compound: false, base: roundMoney(dec(t.base).times(share), inv.currency, mode), amount: roundMoney(dec(t.amount).times(share), inv.currency, mode) }))
    .filter((t) => !t.amount.eq(ZERO) || !t.base.eq(ZERO));
  const net = amount.minus(sum(taxes.map((t) => t.amount)));
  const first = lines[0];
  return [{
    kind: 'adjustment', description: `Credit on ${invoiceNumber}: ${reason}`,
    subscriptionId: first?.subscriptionId ?? '', planId: first?.planId ?? '', chargeId: 'credit',
    prices: 'exclusive', period: { from: inv.period_from, to: inv.period_to }, quantity: ONE, unit: 'each', unitPrice: net, net, amount: net,
    taxCategory: first?.taxCategory ?? 'credit', taxes,
    calculation: [`${formatMoney(amount, inv.currency)} of ${formatMoney(total, inv.currency)} (${share.times(dec('100')).round(4).toString()}%), taxes pro rata`],
    adjusts,
  }];
}
