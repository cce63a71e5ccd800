// TEMPORARY stand-in for billing-export/document-build.ts and document-json.ts (the renderer work), with their
// signatures, so the ledger compiles and runs until they land. Delete once they do.
import type { Customer } from '../../config/catalog-schema.js';
import type { RatedInvoice } from '../../rating/fee.js';
import { dec, sum } from '../../rating/money.js';
import type { Branding, DailyUsage, DocumentLine, InvoiceDocument, Party } from '../document.js';

export interface BuildContext {
  kind: 'invoice' | 'credit_note';
  number: string;
  series: string;
  sequence: number;
  issueDate: string;
  dueDate: string;
  seller: Party;
  branding: Branding;
  customer: Customer;
  dailyUsage: DailyUsage[];
  corrects?: InvoiceDocument['corrects'];
  adjustments?: DocumentLine[];
}

export function buildDocument(rated: RatedInvoice, ctx: BuildContext): InvoiceDocument {
  const lines: DocumentLine[] = rated.fees.map((f, i) => ({
    lineNo: i + 1, kind: f.kind, description: f.description, period: f.period, quantity: f.quantity, unit: f.unit, unitPrice: f.unitPrice,
    net: f.net, amount: f.amount, taxCategory: f.taxCategory, taxes: f.taxes, calculation: f.calculation, ...(f.evidence ? { evidence: f.evidence } : {}),
  }));
  for (const a of ctx.adjustments ?? []) lines.push({ ...a, lineNo: lines.length + 1 });
  const extra = ctx.adjustments ?? [];
  const extraTax = sum(extra.flatMap((a) => a.taxes.map((t) => t.amount)));
  const subtotal = rated.subtotal.plus(sum(extra.map((a) => a.net)));
  const taxTotal = rated.taxTotal.plus(extraTax);
  const total = subtotal.plus(taxTotal);
  const applied = sum(rated.credits.map((c) => c.applied));
  const due = total.minus(applied);
  return {
    kind: ctx.kind, number: ctx.number, series: ctx.series, sequence: ctx.sequence, issueDate: ctx.issueDate, dueDate: ctx.dueDate,
    seller: ctx.seller, buyer: { legalName: ctx.customer.legalName, address: { lines: [ctx.customer.address], countryCode: 'US' }, taxIds: ctx.customer.taxIds, customerId: ctx.customer.id },
    branding: ctx.branding, currency: rated.currency, period: rated.period, lines, subtotal,
    taxes: rated.taxes, taxTotal, total, credits: rated.credits, amountDue: due.lt(dec('0')) ? dec('0') : due,
    reverseCharge: rated.reverseCharge, notes: rated.notes, ...(ctx.corrects ? { corrects: ctx.corrects } : {}), dailyUsage: ctx.dailyUsage,
  };
}

export function documentToJson(doc: InvoiceDocument): string {
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const DEC_KEYS = new Set(['quantity', 'unitPrice', 'net', 'amount', 'subtotal', 'taxTotal', 'total', 'amountDue', 'rate', 'base', 'available', 'applied', 'remaining']);
const BIG_KEYS = new Set(['bytesDown', 'bytesUp', 'bytesCounted', 'bytesUnmetered', 'bytesExcludedClasses']);

export function documentFromJson(text: string): InvoiceDocument {
  return JSON.parse(text, (k, v: unknown) => (typeof v === 'string' && DEC_KEYS.has(k) ? dec(v) : typeof v === 'string' && BIG_KEYS.has(k) ? BigInt(v) : v)) as InvoiceDocument;
}

const notYet = (what: string) => (): never => {
  throw new Error(`${what}: the renderers (billing-export/render) are not in this build yet`);
};
export const renderHtml: (doc: InvoiceDocument, opts?: object) => string = notYet('html');
export const renderPdf: (doc: InvoiceDocument, opts?: object) => Promise<Buffer> = notYet('pdf');
export const renderCsv: (docs: InvoiceDocument[]) => string = notYet('csv');
export const renderUbl: (doc: InvoiceDocument) => string = notYet('ubl');
export const renderQuickBooksCsv: (docs: InvoiceDocument[]) => string = notYet('quickbooks');
export const renderXeroCsv: (docs: InvoiceDocument[]) => string = notYet('xero');
