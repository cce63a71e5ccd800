// Builds the finalized InvoiceDocument from a rated invoice plus what the ledger decided (number, dates, parties, adjustments).
import type { Customer } from '../config/catalog-schema.js';
import type { Fee, RatedInvoice, TaxSummary } from '../rating/fee.js';
import { type Dec, minorUnits, sum, toMinor, ZERO } from '../rating/money.js';
import type { Branding, DailyUsage, DocumentLine, InvoiceDocument, Party, PostalAddress } from './document.js';

export interface BuildContext {
  kind: InvoiceDocument['kind'];
  number: string;
  series: string;
  sequence: number;
  /** YYYY-MM-DD in the seller's zone. */
  issueDate: string;
  dueDate: string;
  seller: Party;
  branding: Branding;
  customer: Customer;
  dailyUsage: DailyUsage[];
  corrects?: InvoiceDocument['corrects'];
  /** Late-usage lines of earlier periods; numbered after the fees and added into the totals (see buildDocument). */
  adjustments?: DocumentLine[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The document as every renderer sees it. Rating's decisions are copied, never recomputed: lines are the fees in
 * rating's order, numbered 1…n, then the adjustments numbered n+1…; subtotal, tax summary, total, credits and
 * amount due are rating's, except that adjustments are added to them:
 * - subtotal += Σ adjustment net; each adjustment tax is added to the summary of its rate (base and amount; a rate
 *   the invoice did not have is appended); taxTotal and total grow by the same amounts;
 * - credits stay as rating applied them, so the amount due grows by the adjustments' gross (net + tax).
 * Adjustment money must already be rounded to the currency (the ledger rates them per line); a fraction of a minor
 * unit, or an amount due that would go negative (issue a credit note instead), is refused.
 */
export function buildDocument(rated: RatedInvoice, ctx: BuildContext): InvoiceDocument {
  const where = `invoice ${ctx.number}`;
  if (rated.customerId !== ctx.customer.id) throw new Error(`${where}: rated invoice is for customer ${rated.customerId}, not ${ctx.customer.id}`);
  if (rated.currency !== ctx.customer.currency) throw new Error(`${where}: rated in ${rated.currency} but customer ${ctx.customer.id} pays in ${ctx.customer.currency}`);
  for (const [name, day] of [['issueDate', ctx.issueDate], ['dueDate', ctx.dueDate]] as const) {
    if (!DAY.test(day)) throw new Error(`${where}: ${name} ${JSON.stringify(day)} is not a day (expected YYYY-MM-DD)`);
  }
  if (ctx.dueDate < ctx.issueDate) throw new Error(`${where}: due ${ctx.dueDate} before it is issued ${ctx.issueDate}`);
  if (ctx.kind === 'credit_note' && !ctx.corrects) throw new Error(`${where}: a credit note must name the invoice it corrects (ctx.corrects)`);

  const exemption = exemptionReason(ctx.customer);
  const fees = rated.fees.map((f, i) => lineOfFee(f, i + 1, rated.reverseCharge ? undefined : exemption));
  const adjustments = (ctx.adjustments ?? []).map((a, i): DocumentLine => ({ ...a, lineNo: fees.length + i + 1 }));
  for (const a of adjustments) assertRounded(a, rated.currency, where);

  const taxes = mergeTaxes(rated.taxes, adjustments);
  const adjNet = sum(adjustments.map((a) => a.net));
  const adjTax = sum(adjustments.flatMap((a) => a.taxes.map((t) => t.amount)));
  const amountDue = rated.amountDue.plus(adjNet).plus(adjTax);
  if (amountDue.lt(ZERO)) throw new Error(`${where}: adjustments take the amount due below zero (${amountDue.toString()}); issue a credit note instead`);

  return {
    kind: ctx.kind, number: ctx.number, series: ctx.series, sequence: ctx.sequence, issueDate: ctx.issueDate, dueDate: ctx.dueDate,
    seller: ctx.seller, buyer: buyerOf(ctx.customer, ctx.seller), branding: ctx.branding, currency: rated.currency, period: rated.period,
    lines: [...fees, ...adjustments],
    subtotal: rated.subtotal.plus(adjNet), taxes, taxTotal: rated.taxTotal.plus(adjTax), total: rated.total.plus(adjNet).plus(adjTax),
    credits: rated.credits, amountDue, reverseCharge: rated.reverseCharge, notes: [...rated.notes],
    ...(ctx.corrects ? { corrects: ctx.corrects } : {}),
    dailyUsage: ctx.dailyUsage,
  };
}

function lineOfFee(f: Fee, lineNo: number, exemption: string | undefined): DocumentLine {
  return {
    lineNo, kind: f.kind, description: f.description, period: f.period, quantity: f.quantity, unit: f.unit, unitPrice: f.unitPrice,
    net: f.net, amount: f.amount, taxCategory: f.taxCategory, taxes: f.taxes, calculation: f.calculation,
    ...(f.evidence ? { evidence: f.evidence } : {}),
    prices: f.prices,
    // NOTE: an untaxed line of an exempt customer is exempt (UBL E); without exemptions it is simply outside the tax (O).
    ...(f.taxes.length === 0 && exemption ? { taxExemptionReason: exemption } : {}),
  };
}

function exemptionReason(c: Customer): string | undefined {
  return c.tax.exemptions.length === 0 ? undefined : `Exempt from ${c.tax.exemptions.join(', ')} (exemption certificate on file)`;
}

/** The customer as the buyer party: the structured address when the catalog has one, else one built from the text. */
export function buyerOf(c: Customer, seller: Party): InvoiceDocument['buyer'] {
  return {
    customerId: c.id, legalName: c.legalName, ...(c.tradingName ? { tradingName: c.tradingName } : {}),
    address: c.postalAddress ? { ...c.postalAddress } : addressFromText(c, seller), taxIds: c.taxIds,
    ...(c.companyId ? { companyId: c.companyId } : {}), ...(c.endpoint ? { endpoint: c.endpoint } : {}), ...(c.email ? { email: c.email } : {}),
  };
}

/**
 * NOTE: a customer with only the free-text address keeps it as one street line; its country is taken from the tax
 * jurisdiction ("US-TX" or "US-TX-MARFA" → US, region TX) and, when that is no country code, the seller's. Add `postalAddress` to
 * the catalog for a clean address block and a Peppol invoice.
 */
function addressFromText(c: Customer, seller: Party): PostalAddress {
  const m = /^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?(?:-[A-Za-z0-9-]+)?$/.exec(c.tax.jurisdiction);
  return {
    lines: c.address.trim() === '' ? [] : [c.address.trim()],
    ...(m?.[2] ? { region: m[2] } : {}),
    countryCode: m ? m[1]! : seller.address.countryCode,
  };
}

function mergeTaxes(rated: readonly TaxSummary[], adjustments: readonly DocumentLine[]): TaxSummary[] {
  const out = rated.map((t) => ({ ...t }));
  for (const t of adjustments.flatMap((a) => a.taxes)) {
    const hit = out.find((s) => s.rateId === t.rateId);
    if (hit) {
      hit.base = hit.base.plus(t.base);
      hit.amount = hit.amount.plus(t.amount);
    } else out.push({ rateId: t.rateId, name: t.name, rate: t.rate, base: t.base, amount: t.amount });
  }
  return out;
}

function assertRounded(a: DocumentLine, currency: string, where: string): void {
  const money: [string, Dec][] = [['net', a.net], ['amount', a.amount], ...a.taxes.map((t): [string, Dec] => [`tax ${t.rateId}`, t.amount])];
  for (const [name, v] of money) {
    try {
      toMinor(v, currency);
    } catch {
      throw new Error(`${where}: adjustment line ${a.lineNo} ${name} ${v.toString()} is not rounded to ${minorUnits(currency)} digits of ${currency}`);
    }
  }
}
