// The PDF invoice, read back with poppler: its text (pdftotext), pages (pdfinfo), fonts (pdffonts) and pixels (pdftoppm),
// so a broken layout, a blank page or a missing line shows; and the same document gives the same bytes.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvoiceDocument } from '../billing-export/document.js';
import { FONT_FILES, renderPdf } from '../billing-export/render/index.js';
import { setPdfFontCaches } from '../billing-export/render/pdf-font-cache.js';
import { formatAmount } from '../billing-export/render/format.js';
import { golden, inclusiveDocument, longDocument } from '../billing-export/render/testdata/documents.js';
import { goldenCases, LOGO_DATA_URI } from '../billing-export/render/testdata/golden-cases.js';
import { run } from '../billing-export/render/testdata/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'wispmeter-pdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function save(pdf: Buffer): string {
  const file = join(dir, `doc-${++n}.pdf`);
  writeFileSync(file, pdf);
  return file;
}

/** The PDF's text in content order (-raw: a wrapped cell stays together), whitespace collapsed. */
const textOf = (file: string, page?: number): string =>
  run('pdftotext', ['-raw', ...(page ? ['-f', String(page), '-l', String(page)] : []), '-enc', 'UTF-8', file, '-']).stdout.toString('utf8').replace(/\s+/g, ' ');
const has = (text: string, part: string, what: string) => expect(text.includes(part), `${what}: ${JSON.stringify(part)} in the PDF text`).toBe(true);
const pagesOf = (file: string): number => Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [file]).stdout.toString())?.[1]);

/** Fraction of non-white pixels of a page rendered in grey at 40 dpi (a binary PGM from pdftoppm). */
function inkOf(file: string, page: number): number {
  const r = run('pdftoppm', ['-gray', '-r', '40', '-f', String(page), '-l', String(page), file]);
  expect(r.status, r.stderr.toString()).toBe(0);
  const pgm = r.stdout;
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('pdftoppm did not write a PGM');
  const pixels = pgm.subarray(header[0].length);
  let ink = 0;
  for (const p of pixels) if (p < 200) ink++;
  return ink / pixels.length;
}

/** What a reader must find in the text: number, parties, every line, the totals. */
function expectContent(doc: InvoiceDocument, text: string): void {
  const money = (d: InvoiceDocument['total']) => formatAmount(d, doc.currency);
  has(text, doc.number, 'number');
  has(text, doc.buyer.legalName.replace(/\s+/g, ' '), 'buyer');
  has(text, doc.seller.legalName, 'seller');
  for (const l of doc.lines) has(text, `${l.lineNo} ${l.description.replace(/\s+/g, ' ')}`, `line ${l.lineNo}`);
  has(text, `${doc.kind === 'credit_note' ? 'Amount credited' : 'Amount due'} ${doc.currency} ${money(doc.amountDue)}`, 'amount due');
  has(text, `Total ${doc.currency} ${money(doc.total)}`, 'total');
}

describe('PDF invoice', () => {
  it.each(goldenCases().map((c) => [c.name, c] as const))('%s: the text a reader needs, on pages that are not blank', async (_name, c) => {
    const file = save(await renderPdf(c.doc, c.logoDataUri ? { logoDataUri: c.logoDataUri } : {}));
    expectContent(c.doc, textOf(file));
    const pages = pagesOf(file);
    expect(pages).toBeGreaterThanOrEqual(1);
    for (let p = 1; p <= pages; p++) expect(inkOf(file, p), `page ${p} has ink`).toBeGreaterThan(0.005);
    has(textOf(file, pages), `page ${pages} of ${pages}`, 'footer');
  });

  it('embeds its fonts (DejaVu; IPA Gothic for Japanese) so it prints the same everywhere', async () => {
    for (const [file, pkg] of [[FONT_FILES.sans, 'fonts-dejavu-core'], [FONT_FILES.cjk, 'fonts-ipafont-gothic']] as const) {
      expect(existsSync(file), `${file} is missing: apt-get install ${pkg} (scripts/test.sh installs it)`).toBe(true);
    }
    const list = run('pdffonts', [save(await renderPdf(golden('jp-invoice')))]).stdout.toString();
    const rows = list.split('\n').slice(2).filter((r) => r.trim());
    expect(rows.map((r) => r.split(/\s+/)[0]!.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual(['DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSansMono', 'IPAGothic']);
    for (const r of rows) expect(r, 'embedded and subset').toMatch(/\byes\s+yes\s+yes\b/);
    has(textOf(save(await renderPdf(golden('jp-invoice')))), '山田 太郎', 'Japanese buyer');
  });

  it('breaks a long invoice over pages: every line once, the table header again on each page, totals at the end', async () => {
    const doc = longDocument(golden('us-compound-tax-invoice'), 150);
    const file = save(await renderPdf(doc));
    const pages = pagesOf(file);
    expect(pages).toBeGreaterThan(4);
    const text = textOf(file);
    expectContent(doc, text);
    for (const l of doc.lines) expect(text.split(`${l.lineNo} ${l.description} `).length - 1, `line ${l.lineNo} once`).toBe(1);
    for (let p = 1; p <= pages; p++) {
      expect(inkOf(file, p), `page ${p}`).toBeGreaterThan(0.005);
        has(textOf(file, p), `page ${p} of ${pages}`, `footer of page ${p}`);
    }
    // Pages 2 and 3 are all lines: each starts with the column headers.
    has(textOf(file, 2), '# Description Quantity Unit Unit price Tax Amount', 'header on page 2');
    has(textOf(file, 3), '# Description Quantity Unit Unit price Tax Amount', 'header on page 3');
  });

  it('marks tax-inclusive prices as the HTML does', async () => {
    const doc = inclusiveDocument();
    const text = textOf(save(await renderPdf(doc)));
    expectContent(doc, text);
    expect(text.split(' incl. ').length - 1).toBe(doc.lines.length);
    has(text, 'Prices of lines marked “incl.” include tax', 'inclusive note');
  });

  it('refuses a broken logo with an error instead of crashing the process (pdfkit inflates PNGs in a callback)', async () => {
    const doc = golden('eu-credit-note');
    await expect(renderPdf(doc, { logoDataUri: 'data:image/png;base64,AAAA' })).rejects.toThrow(/PDF logo: not a PNG/);
    const png = Buffer.from(LOGO_DATA_URI.split(',')[1]!, 'base64');
    const idat = png.indexOf('IDAT');
    png.fill(0x55, idat + 4, idat + 24); // scramble the compressed pixels, keep the chunk structure
    await expect(renderPdf(doc, { logoDataUri: `data:image/png;base64,${png.toString('base64')}` })).rejects.toThrow(/PDF logo: corrupt PNG image data/);
    await expect(renderPdf(doc, { logoDataUri: 'data:image/jpeg;base64,AAAA' })).rejects.toThrow(/PDF logo: not a JPEG/);
  });

  it('gives the same bytes for the same document, and different bytes for another', async () => {
    const doc = golden('eu-vat-invoice');
    const a = await renderPdf(doc, { logoDataUri: LOGO_DATA_URI });
    const b = await renderPdf(doc, { logoDataUri: LOGO_DATA_URI });
    expect(a.equals(b)).toBe(true);
    expect(run('pdfinfo', [save(a)]).stdout.toString()).toMatch(/CreationDate:\s+Thu Jan {2}1 00:00:00 2026 UTC/);
    const c = await renderPdf({ ...doc, number: 'INV-2026-000043' }, { logoDataUri: LOGO_DATA_URI });
    expect(c.equals(a)).toBe(false);
  });

  it('reuses word layouts and font subsets across documents without changing a byte', async () => {
    const docs = [...goldenCases().map((c) => c.doc), longDocument(golden('us-compound-tax-invoice'), 40)];
    setPdfFontCaches(false);
    let plain: Buffer[];
    try {
      plain = await Promise.all(docs.map((d) => renderPdf(d, { logoDataUri: LOGO_DATA_URI })));
    } finally {
      setPdfFontCaches(true);
    }
    // Twice: the first pass fills the caches, the second is served from them.
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, d] of docs.entries()) expect((await renderPdf(d, { logoDataUri: LOGO_DATA_URI })).equals(plain[i]!), `${d.number}, pass ${pass + 1}`).toBe(true);
    }
  });

  it('renders fast enough for a billing run (target 100 PDFs/s; measured and printed)', async () => {
    const docs = goldenCases().map((c) => c.doc);
    for (const d of docs) await renderPdf(d);
    const count = 100;
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < count; i++) await renderPdf(docs[i % docs.length]!, { logoDataUri: LOGO_DATA_URI });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000 / count;
    console.log(`PDF: ${(count / seconds).toFixed(1)} PDFs/s wall on this machine, ${cpuMs.toFixed(1)} ms CPU per PDF (${(1000 / cpuMs).toFixed(0)}/s per free core)`);
    // A floor that only a regression (fonts parsed per document again, 5× slower) falls through, even on a busy machine.
    expect(cpuMs).toBeLessThan(60);
  });
});
