// The invoice renderers: one document (or a batch for the tabular exports) in, text or bytes out. No I/O.
import type { InvoiceDocument } from '../document.js';
import { documentToJson } from '../document-json.js';

export { renderHtml, type HtmlOptions, escapeHtml } from './html.js';
export { renderPdf, type PdfOptions, FONT_FILES } from './pdf.js';
export { createPdfPool, type PdfPool } from './pdf-pool.js';
export { renderCsv, csvField, CSV_COLUMNS } from './csv.js';
export { renderUbl, peppolObstacles, PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID } from './ubl.js';
export {
  renderQuickBooksCsv, renderXeroCreditNoteCsv, renderXeroCsv, QUICKBOOKS_COLUMNS, XERO_COLUMNS, XERO_CREDIT_NOTE_COLUMNS, type AccountingMapping, type DateFormat,
} from './accounting-csv.js';

/** The canonical JSON of the document (billing-export/document-json.ts). */
export function renderJson(doc: InvoiceDocument): string {
  return documentToJson(doc);
}
