// The finalized document as canonical JSON (sorted keys, money as fixed-point text, bigints as decimal text) and back, exactly.
import { z } from 'zod';
import type { CreditUse, TaxLine, TaxSummary, UsageEvidence } from '../rating/fee.js';
import { type Dec, dec, DECIMAL_TEXT, minorUnits } from '../rating/money.js';
import type { DocumentLine, InvoiceDocument, Party } from './document.js';

/** Written into every document so a reader can refuse a format it does not know. */
export const DOCUMENT_FORMAT = 'wispmeter/invoice-document@1';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * Canonical: keys sorted at every level, two-space indent, a final newline, so equal documents give equal bytes.
 * Money has at least the currency's digits ("12.30", "1200", "0.125") and more only when rating kept an exact value
 * (per-invoice tax rounding); rates, quantities and prices are exact decimals; byte counts are bigint text.
 */
export function documentToJson(doc: InvoiceDocument): string {
  return `${JSON.stringify(sortKeys(documentTree(doc)), null, 2)}\n`;
}

function documentTree(doc: InvoiceDocument): Json {
  const digits = minorUnits(doc.currency);
  const m = (d: Dec): string => {
    const exact = d.toFixed();
    const dp = exact.includes('.') ? exact.length - exact.indexOf('.') - 1 : 0;
    return d.toFixed(Math.max(dp, digits));
  };
  const x = (d: Dec): string => d.toFixed();
  const tax = (t: TaxLine): Json => ({ rateId: t.rateId, name: t.name, rate: x(t.rate), compound: t.compound, base: m(t.base), amount: m(t.amount) });
  const summary = (t: TaxSummary): Json => ({ rateId: t.rateId, name: t.name, rate: x(t.rate), base: m(t.base), amount: m(t.amount) });
  const credit = (c: CreditUse): Json => ({ creditId: c.creditId, reason: c.reason, available: m(c.available), applied: m(c.applied), remaining: m(c.remaining) });
  const evidence = (e: UsageEvidence): Json => ({
    queries: e.queries, store: e.store, step: e.step, subscribers: e.subscribers, spans: e.spans, direction: e.direction, rows: e.rows,
    bytesDown: e.bytesDown.toString(), bytesUp: e.bytesUp.toString(), bytesCounted: e.bytesCounted.toString(),
    bytesUnmetered: e.bytesUnmetered.toString(), bytesExcludedClasses: e.bytesExcludedClasses.toString(),
    bySource: Object.fromEntries(Object.entries(e.bySource).map(([k, v]) => [k, v.toString()])), notes: e.notes,
  });
  const line = (l: DocumentLine): Json => ({
    lineNo: l.lineNo, kind: l.kind, description: l.description, period: l.period, quantity: x(l.quantity), unit: l.unit,
    unitPrice: x(l.unitPrice), net: m(l.net), amount: m(l.amount), taxCategory: l.taxCategory, taxes: l.taxes.map(tax),
    calculation: l.calculation, ...(l.evidence ? { evidence: evidence(l.evidence) } : {}), ...(l.prices ? { prices: l.prices } : {}),
    ...(l.taxExemptionReason !== undefined ? { taxExemptionReason: l.taxExemptionReason } : {}), ...(l.adjusts ? { adjusts: l.adjusts } : {}),
  });
  return {
    format: DOCUMENT_FORMAT, kind: doc.kind, number: doc.number, series: doc.series, sequence: doc.sequence, issueDate: doc.issueDate,
    dueDate: doc.dueDate, seller: party(doc.seller), buyer: { ...party(doc.buyer), customerId: doc.buyer.customerId },
    branding: stripUndefined(doc.branding), currency: doc.currency, period: doc.period, lines: doc.lines.map(line), subtotal: m(doc.subtotal),
    taxes: doc.taxes.map(summary), taxTotal: m(doc.taxTotal), total: m(doc.total), credits: doc.credits.map(credit), amountDue: m(doc.amountDue),
    reverseCharge: doc.reverseCharge, notes: doc.notes, ...(doc.corrects ? { corrects: doc.corrects } : {}),
    dailyUsage: doc.dailyUsage.map((d) => ({ date: d.date, bytesDown: d.bytesDown.toString(), bytesUp: d.bytesUp.toString() })),
  };
}

function party(p: Party): { [k: string]: Json } {
  return stripUndefined({
    legalName: p.legalName, tradingName: p.tradingName, address: stripUndefined(p.address), taxIds: p.taxIds, companyId: p.companyId,
    endpoint: p.endpoint, email: p.email, phone: p.phone,
  });
}

function stripUndefined<T extends object>(o: T): { [k: string]: Json } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [k: string]: Json };
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k]!)]));
  }
  return v;
}

// ---- reading back: the JSON form parsed once into typed values (parse, don't validate) ----

const decimalText = z.string().regex(DECIMAL_TEXT, { message: 'not a decimal text' }).transform((s): Dec => dec(s));
const bigintText = z.string().regex(/^-?\d+$/, { message: 'not an integer text' }).transform((s) => BigInt(s));
const span = z.strictObject({ from: z.string(), to: z.string() });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const partySchema = z.strictObject({
  legalName: z.string(), tradingName: z.string().optional(),
  address: z.strictObject({ lines: z.array(z.string()), city: z.string().optional(), postalCode: z.string().optional(), region: z.string().optional(), countryCode: z.string() }),
  taxIds: z.array(z.string()), companyId: z.string().optional(), endpoint: z.strictObject({ scheme: z.string(), id: z.string() }).optional(),
  email: z.string().optional(), phone: z.string().optional(),
});

const taxLineSchema = z.strictObject({ rateId: z.string(), name: z.string(), rate: decimalText, compound: z.boolean(), base: decimalText, amount: decimalText });

const evidenceSchema = z.strictObject({
  queries: z.array(z.string()), store: z.string(), step: z.enum(['5m', '1h', '1d', 'total']), subscribers: z.array(z.string()), spans: z.array(span),
  direction: z.enum(['down', 'up', 'both']), rows: z.number().int(), bytesDown: bigintText, bytesUp: bigintText, bytesCounted: bigintText,
  bytesUnmetered: bigintText, bytesExcludedClasses: bigintText, bySource: z.record(z.string(), bigintText), notes: z.array(z.string()),
});

const FEE_KINDS = ['flat', 'per_unit', 'graduated', 'volume', 'package', 'quota_overage', 'percentile_commit', 'percentile_burst', 'one_off', 'discount', 'adjustment'] as const;

const lineSchema = z.strictObject({
  lineNo: z.number().int().positive(), kind: z.enum(FEE_KINDS), description: z.string(), period: span, quantity: decimalText, unit: z.string(),
  unitPrice: decimalText, net: decimalText, amount: decimalText, taxCategory: z.string(), taxes: z.array(taxLineSchema), calculation: z.array(z.string()),
  evidence: evidenceSchema.optional(), prices: z.enum(['exclusive', 'inclusive']).optional(), taxExemptionReason: z.string().optional(),
  adjusts: z.strictObject({ invoiceNumber: z.string(), period: span }).optional(),
});

const documentSchema = z.strictObject({
  format: z.literal(DOCUMENT_FORMAT), kind: z.enum(['invoice', 'credit_note']), number: z.string(), series: z.string(), sequence: z.number().int(),
  issueDate: day, dueDate: day, seller: partySchema, buyer: partySchema.extend({ customerId: z.string() }),
  branding: z.strictObject({
    logo: z.string().optional(), primaryColor: z.string(), accentColor: z.string(), paymentInstructions: z.array(z.string()),
    iban: z.string().optional(), bic: z.string().optional(), footer: z.string().optional(),
  }),
  currency: z.string(), period: z.strictObject({ label: z.string(), from: z.string(), to: z.string(), timezone: z.string() }),
  lines: z.array(lineSchema), subtotal: decimalText,
  taxes: z.array(z.strictObject({ rateId: z.string(), name: z.string(), rate: decimalText, base: decimalText, amount: decimalText })),
  taxTotal: decimalText, total: decimalText,
  credits: z.array(z.strictObject({ creditId: z.string(), reason: z.string(), available: decimalText, applied: decimalText, remaining: decimalText })),
  amountDue: decimalText, reverseCharge: z.boolean(), notes: z.array(z.string()),
  corrects: z.strictObject({ invoiceNumber: z.string(), issueDate: z.string(), reason: z.string() }).optional(),
  dailyUsage: z.array(z.strictObject({ date: z.string(), bytesDown: bigintText, bytesUp: bigintText })),
});

/** Reads what documentToJson wrote; anything else is refused with the path of the first problems. */
export function documentFromJson(text: string): InvoiceDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`invoice document: not JSON: ${(err as Error).message}`);
  }
  const parsed = documentSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invoice document: ${where}`);
  }
  const { format: _format, ...doc } = parsed.data;
  return doc;
}
