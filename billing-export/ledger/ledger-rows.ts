// Ledger lines as the code sees them, and their exact text forms in SQLite (decimals as big.js text, bigints as digits).
import type { Fee, TaxLine, UsageEvidence } from '../../rating/fee.js';
import { type Dec, dec } from '../../rating/money.js';
import type { DocumentLine } from '../document.js';

/** One stored line: a rated fee, an adjustment for late usage, or a credited line of a credit note. */
export interface LedgerLine {
  kind: DocumentLine['kind'];
  description: string;
  subscriptionId: string;
  planId: string;
  chargeId: string;
  prices: Fee['prices'];
  billing?: Fee['billing'];
  period: { from: string; to: string };
  quantity: Dec;
  unit: string;
  unitPrice: Dec;
  net: Dec;
  amount: Dec;
  taxCategory: string;
  taxes: TaxLine[];
  calculation: string[];
  evidence?: UsageEvidence;
  /** An adjustment's (or credit note line's) earlier invoice. */
  adjusts?: { invoiceId: number; invoiceNumber: string; period: { from: string; to: string }; billed?: Dec };
  /** A credit note line that credits a whole line of the corrected invoice. */
  creditsLineNo?: number;
}

export interface LineRow {
  invoice_id: number | bigint;
  line_no: number;
  kind: string;
  description: string;
  subscription_id: string;
  plan_id: string;
  charge_id: string;
  prices: string;
  billing: string | null;
  period_from: string;
  period_to: string;
  quantity: string;
  unit: string;
  unit_price: string;
  net: string;
  amount: string;
  tax_category: string;
  calculation: string;
  evidence: string | null;
  adjusts_invoice_id: number | bigint | null;
  adjusts_billed: string | null;
  credits_line_no: number | null;
}

export interface LineTaxRow {
  line_no: number;
  position: number;
  rate_id: string;
  name: string;
  rate: string;
  compound: number;
  base: string;
  amount: string;
}

export function lineToRow(invoiceId: number | bigint, lineNo: number, l: LedgerLine): LineRow {
  return {
    invoice_id: invoiceId, line_no: lineNo, kind: l.kind, description: l.description, subscription_id: l.subscriptionId, plan_id: l.planId,
    charge_id: l.chargeId, prices: l.prices, billing: l.billing ?? null, period_from: l.period.from, period_to: l.period.to,
    quantity: l.quantity.toString(), unit: l.unit, unit_price: l.unitPrice.toString(), net: l.net.toString(), amount: l.amount.toString(),
    tax_category: l.taxCategory, calculation: JSON.stringify(l.calculation), evidence: l.evidence ? evidenceToJson(l.evidence) : null,
    adjusts_invoice_id: l.adjusts?.invoiceId ?? null, adjusts_billed: l.adjusts?.billed?.toString() ?? null, credits_line_no: l.creditsLineNo ?? null,
  };
}

/** A line back from its row; `adjustsNumber` names the adjusted invoice (joined by the caller). */
export function lineFromRow(r: LineRow, taxes: readonly LineTaxRow[], adjusts?: { number: string; from: string; to: string }): LedgerLine {
  const line: LedgerLine = {
    kind: r.kind as LedgerLine['kind'], description: r.description, subscriptionId: r.subscription_id, planId: r.plan_id, chargeId: r.charge_id,
    prices: r.prices as Fee['prices'], period: { from: r.period_from, to: r.period_to }, quantity: dec(r.quantity), unit: r.unit,
    unitPrice: dec(r.unit_price), net: dec(r.net), amount: dec(r.amount), taxCategory: r.tax_category,
    taxes: taxes.map((t) => ({ rateId: t.rate_id, name: t.name, rate: dec(t.rate), compound: t.compound === 1, base: dec(t.base), amount: dec(t.amount) })),
    calculation: JSON.parse(r.calculation) as string[],
  };
  if (r.billing) line.billing = r.billing as Fee['billing'];
  if (r.evidence) line.evidence = evidenceFromJson(r.evidence);
  if (r.adjusts_invoice_id !== null && adjusts) {
    line.adjusts = { invoiceId: Number(r.adjusts_invoice_id), invoiceNumber: adjusts.number, period: { from: adjusts.from, to: adjusts.to }, ...(r.adjusts_billed !== null ? { billed: dec(r.adjusts_billed) } : {}) };
  }
  if (r.credits_line_no !== null) line.creditsLineNo = r.credits_line_no;
  return line;
}

export function evidenceToJson(e: UsageEvidence): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function evidenceFromJson(text: string): UsageEvidence {
  const raw = JSON.parse(text) as Omit<UsageEvidence, 'bytesDown' | 'bytesUp' | 'bytesCounted' | 'bytesUnmetered' | 'bytesExcludedClasses' | 'bySource'> &
    Record<'bytesDown' | 'bytesUp' | 'bytesCounted' | 'bytesUnmetered' | 'bytesExcludedClasses', string> & { bySource: Record<string, string> };
  return {
    ...raw,
    bytesDown: BigInt(raw.bytesDown), bytesUp: BigInt(raw.bytesUp), bytesCounted: BigInt(raw.bytesCounted),
    bytesUnmetered: BigInt(raw.bytesUnmetered), bytesExcludedClasses: BigInt(raw.bytesExcludedClasses),
    bySource: Object.fromEntries(Object.entries(raw.bySource).map(([k, v]) => [k, BigInt(v)])),
  };
}

/** A stored line as a Fee of the customer (rated lines only). */
export function lineToFee(customerId: string, l: LedgerLine): Fee {
  if (l.kind === 'adjustment') throw new Error('ledger: an adjustment line is not a rated fee');
  return {
    customerId, subscriptionId: l.subscriptionId, planId: l.planId, chargeId: l.chargeId, kind: l.kind, description: l.description,
    period: l.period, quantity: l.quantity, unit: l.unit, unitPrice: l.unitPrice, amount: l.amount, prices: l.prices, net: l.net,
    taxCategory: l.taxCategory, taxes: l.taxes, calculation: l.calculation,
    ...(l.billing ? { billing: l.billing } : {}), ...(l.evidence ? { evidence: l.evidence } : {}),
  };
}

/** A stored adjustment as the document line the builder appends (line numbers are the builder's). */
export function lineToDocumentLine(l: LedgerLine, lineNo: number): DocumentLine {
  return {
    lineNo, kind: l.kind, description: l.description, period: l.period, quantity: l.quantity, unit: l.unit, unitPrice: l.unitPrice,
    net: l.net, amount: l.amount, taxCategory: l.taxCategory, taxes: l.taxes, calculation: l.calculation, prices: l.prices,
    ...(l.evidence ? { evidence: l.evidence } : {}),
    ...(l.adjusts ? { adjusts: { invoiceNumber: l.adjusts.invoiceNumber, period: l.adjusts.period } } : {}),
  };
}
