// Rated invoices as JSON and as a text table, for `wispmeter rate --format json|table` (money as fixed-point strings).
import type { Fee, RatedInvoice } from './fee.js';
import { type Dec, formatMoney } from './money.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Money in the currency's digits; quantities and rates exact; bigints as decimal strings. */
export function invoiceToJson(inv: RatedInvoice): Json {
  const m = (d: Dec) => formatMoney(d, inv.currency);
  const fee = (f: Fee): Json => ({
    subscriptionId: f.subscriptionId, planId: f.planId, chargeId: f.chargeId, kind: f.kind, description: f.description,
    period: f.period, quantity: f.quantity.toString(), unit: f.unit, unitPrice: f.unitPrice.toString(), amount: m(f.amount),
    prices: f.prices, net: f.net.toString(), taxCategory: f.taxCategory, ...(f.billing ? { billing: f.billing } : {}),
    taxes: f.taxes.map((t) => ({ rateId: t.rateId, name: t.name, rate: t.rate.toString(), compound: t.compound, base: t.base.toString(), amount: t.amount.toString() })),
    calculation: f.calculation,
    ...(f.evidence ? { evidence: JSON.parse(JSON.stringify(f.evidence, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Json } : {}),
  });
  return {
    customerId: inv.customerId, period: inv.period, currency: inv.currency, fees: inv.fees.map(fee),
    subtotal: m(inv.subtotal),
    taxes: inv.taxes.map((t) => ({ rateId: t.rateId, name: t.name, rate: t.rate.toString(), base: m(t.base), amount: m(t.amount) })),
    taxTotal: m(inv.taxTotal), total: m(inv.total),
    credits: inv.credits.map((c) => ({ creditId: c.creditId, reason: c.reason, available: m(c.available), applied: m(c.applied), remaining: m(c.remaining) })),
    amountDue: m(inv.amountDue), reverseCharge: inv.reverseCharge, notes: inv.notes,
  };
}

/** A plain-text preview: one line per fee, then the totals. */
export function invoiceToTable(inv: RatedInvoice): string {
  const m = (d: Dec) => formatMoney(d, inv.currency);
  const rows = inv.fees.map((f) => [f.subscriptionId, f.chargeId, f.description, f.quantity.round(6).toString(), f.unit, m(f.amount)]);
  const head = ['SUBSCRIPTION', 'CHARGE', 'DESCRIPTION', 'QTY', 'UNIT', `AMOUNT ${inv.currency}`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 && i !== 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`${inv.customerId}  ${inv.period.label}  [${inv.period.from}, ${inv.period.to}) ${inv.period.timezone}`, line(head), ...rows.map(line)];
  out.push(`subtotal ${m(inv.subtotal)}`);
  for (const t of inv.taxes) out.push(`${t.name} ${t.rate.times('100').toString()}% on ${m(t.base)}: ${m(t.amount)}`);
  out.push(`total ${m(inv.total)}`);
  for (const c of inv.credits) if (c.applied.gt('0')) out.push(`credit ${c.creditId} (${c.reason}): −${m(c.applied)}, ${m(c.remaining)} left`);
  out.push(`amount due ${m(inv.amountDue)}`, ...inv.notes);
  return out.join('\n');
}

/** The `wispmeter rate` output: a JSON array of invoices, or the tables one after another. */
export function formatRated(invoices: readonly RatedInvoice[], format: 'table' | 'json'): string {
  if (format === 'json') return JSON.stringify(invoices.map(invoiceToJson), null, 2);
  return invoices.map(invoiceToTable).join('\n\n');
}
