// The HTML invoice: escapes every text, stands alone (no external resource, no script), is accessible, shows what a clerk needs.
import { describe, expect, it } from 'vitest';
import type { InvoiceDocument } from '../billing-export/document.js';
import { renderHtml } from '../billing-export/render/index.js';
import { golden, inclusiveDocument } from '../billing-export/render/testdata/documents.js';
import { LOGO_DATA_URI } from '../billing-export/render/testdata/golden-cases.js';
import { formatMoney } from '../rating/money.js';

const SCRIPT = '<script>alert("x")</script>';

/** Every text field a customer or config can fill, with markup in it. */
function hostile(base: InvoiceDocument): InvoiceDocument {
  return {
    ...base,
    buyer: { ...base.buyer, legalName: `Evil ${SCRIPT} Corp`, address: { ...base.buyer.address, lines: [`<img src=x onerror=alert(1)>`] } },
    seller: { ...base.seller, tradingName: `Seller ${SCRIPT}` },
    lines: base.lines.map((l) => ({ ...l, description: `${l.description} ${SCRIPT}`, calculation: [...l.calculation, SCRIPT] })),
    notes: [SCRIPT],
    branding: { ...base.branding, primaryColor: 'red;}</style><script>alert(1)</script>', paymentInstructions: [SCRIPT], footer: SCRIPT },
  };
}

describe('HTML invoice', () => {
  it('escapes <script> in a legal name and in every other text', () => {
    const html = renderHtml(hostile(golden('eu-vat-invoice')));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img src=x/);
    expect(html).toContain('Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Corp');
    // A colour that is not a colour falls back to the default instead of reaching the style sheet.
    expect(html).toContain('--primary: #1f3a5f;');
  });

  it('is one self-contained file: no scripts, no external style sheets, fonts or images', () => {
    const html = renderHtml(golden('eu-vat-invoice'), { logoDataUri: LOGO_DATA_URI });
    expect(html).not.toMatch(/<script|<link|@import|src="(?!data:)|url\(/i);
    expect(html.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(1);
    // A logo that is not an image data URI is left out rather than linked.
    expect(renderHtml(golden('eu-vat-invoice'), { logoDataUri: 'javascript:alert(1)' })).not.toContain('<img');
  });

  it('is accessible: language, captioned table with column headers, logo alt text, chart with title and description', () => {
    const html = renderHtml(golden('eu-vat-invoice'), { logoDataUri: LOGO_DATA_URI });
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html.match(/<th scope="col"/g)).toHaveLength(7);
    expect(html).toMatch(/<caption[^>]*>Lines of Invoice INV-2026-000042/);
    expect(html).toMatch(/<img class="logo" src="data:[^"]+" alt="Funkwerk logo">/);
    expect(html).toMatch(/<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"/);
    expect(html).toContain('<title id="chart-title">Daily usage in GB</title>');
  });

  it('draws one stacked bar per day and prints cleanly (print CSS, page breaks)', () => {
    const doc = golden('eu-vat-invoice');
    const html = renderHtml(doc);
    expect(html.match(/<rect /g)).toHaveLength(2 * doc.dailyUsage.length);
    expect(html).toContain('@media print');
    expect(html).toContain('@page { size: A4');
    expect(renderHtml(golden('eu-credit-note'))).not.toContain('<svg');
  });

  it('shows every line, the tax summary, the total and the amount due in the currency\'s digits', () => {
    for (const name of ['eu-vat-invoice', 'jp-invoice', 'us-compound-tax-invoice']) {
      const doc = golden(name);
      const html = renderHtml(doc);
      for (const l of doc.lines) expect(html).toContain(`<td>${l.lineNo}</td>`);
      const due = formatMoney(doc.amountDue, doc.currency).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      expect(html).toMatch(new RegExp(`Amount due ${doc.currency}</th><td class="num">${due}</td>`));
      for (const t of doc.taxes) expect(html).toContain(formatMoney(t.amount, doc.currency));
    }
    // JPY has no minor unit; KWD-style digits come from the currency, not a fixed 2.
    expect(renderHtml(golden('jp-invoice'))).toContain('<td class="num">4,980</td>');
  });

  it('lists the usage evidence of each usage line: sources, bytes, the store query', () => {
    const doc = golden('eu-vat-invoice');
    const html = renderHtml(doc);
    const usage = doc.lines.filter((l) => l.evidence);
    expect(usage.length).toBeGreaterThan(0);
    for (const l of usage) {
      expect(html).toContain(`Line ${l.lineNo}: ${l.description}`);
      expect(html).toContain(l.evidence!.bytesCounted.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ','));
      for (const q of l.evidence!.queries) expect(html).toContain(q.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    }
  });

  it('marks tax-inclusive prices and shows the tax they contain', () => {
    const doc = inclusiveDocument();
    const html = renderHtml(doc);
    expect(html.match(/<abbr title="tax included">incl\.<\/abbr>/g)).toHaveLength(doc.lines.length);
    expect(html).toContain('Prices of lines marked “incl.” include tax');
    expect(html).toContain(`Umsatzsteuer 19 % on ${formatMoney(doc.taxes[0]!.base, 'EUR')}</th><td class="num">${formatMoney(doc.taxTotal, 'EUR')}</td>`);
  });

  it('a credit note names what it corrects and asks for no payment', () => {
    const html = renderHtml(golden('eu-credit-note'));
    expect(html).toContain('<h1>Credit note</h1>');
    expect(html).toContain('Invoice <strong>INV-2026-000042</strong> of 2026-01-01');
    expect(html).not.toContain('How to pay');
    expect(html).toContain('Amount credited EUR');
  });
});
