// TEMPORARY: the renderer work's document JSON and renderers, by their signatures, until billing-export/document-json.ts
// and billing-export/render/index.ts are committed. Delete once they are, and import them directly.
import { dec } from '../../rating/money.js';
import type { InvoiceDocument } from '../document.js';

export { buildDocument } from '../document-build.js';

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
