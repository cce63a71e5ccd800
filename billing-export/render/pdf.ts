// The invoice as a PDF (pdfkit): the HTML's content on A4 pages, fonts embedded, deterministic bytes for a given document.
import { existsSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { type Dec, dec, ZERO } from '../../rating/money.js';
import type { DocumentLine, InvoiceDocument, Party } from '../document.js';
import { formatAmount, formatBytes, formatPrice, formatQuantity, groupDigits, niceCeiling, percentOf, periodDays, taxLabel } from './format.js';
import { documentTitle, safeColor } from './html.js';
import { COMMON_TEXT, preparePdfFont } from './pdf-font-cache.js';

export interface PdfOptions {
  /** The logo as a data: URI (PNG or JPEG). */
  logoDataUri?: string;
}

/**
 * Fonts: DejaVu Sans from Debian's fonts-dejavu-core, embedded (subset) so the PDF shows the same everywhere and
 * covers Latin, Greek and Cyrillic; IPA Gothic (fonts-ipafont-gothic) for Japanese and Chinese text when installed.
 * Without DejaVu, pdfkit's built-in Helvetica is used: not embedded and Latin-1 only, so the PDF says so in its
 * Keywords and text outside Latin-1 is unreadable; install fonts-dejavu-core.
 */
export const FONT_FILES = {
  sans: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  mono: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  cjk: '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf',
} as const;

/** A font pdfkit can embed: a parsed font object (parsed once, shared by every document) or a built-in font name. */
type FontSource = string | Buffer | object;

interface Fonts {
  sans: FontSource;
  bold: FontSource;
  mono: FontSource;
  cjk?: FontSource;
  embedded: boolean;
}

let cachedFonts: Fonts | undefined;

/**
 * The fonts, read and parsed once per process. Parsing a TrueType font's tables is most of the cost of a small PDF
 * (about 40 ms for these four), so the parsed font objects are reused: pdfkit takes a parsed font wherever it takes
 * a file. Word layouts and subsets are shared across documents too (pdf-font-cache.ts). The parsed object is taken from a throwaway pdfkit
 * document (pdfkit does not export its font parser); if that ever fails, the buffers are used and each document
 * parses them again, slower but the same output.
 */
export function pdfFonts(): Fonts {
  if (cachedFonts) return cachedFonts;
  const read = (p: string) => (existsSync(p) ? readFileSync(p) : undefined);
  const sans = read(FONT_FILES.sans);
  const bold = read(FONT_FILES.bold);
  const mono = read(FONT_FILES.mono);
  const cjk = read(FONT_FILES.cjk);
  const parsed = (buf: Buffer): FontSource => {
    const probe = new PDFDocument({ autoFirstPage: false });
    probe.registerFont('probe', buf);
    probe.font('probe');
    const font = (probe as unknown as { _font?: { font?: { layout?: unknown } } })._font?.font;
    return font && typeof font.layout === 'function' ? font : buf;
  };
  cachedFonts = sans && bold && mono
    ? { sans: parsed(sans), bold: parsed(bold), mono: parsed(mono), ...(cjk ? { cjk: parsed(cjk) } : {}), embedded: true }
    : { sans: 'Helvetica', bold: 'Helvetica-Bold', mono: 'Courier', ...(cjk ? { cjk: parsed(cjk) } : {}), embedded: false };
  return cachedFonts;
}

const CJK = /[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;

const A4 = { width: 595.28, height: 841.89 };
const M = { left: 48, right: 48, top: 48, bottom: 56 };
const CONTENT = A4.width - M.left - M.right;
const INK = '#1a1a1a';
const MUTED = '#5f6368';
const RULE = '#d7dbe0';

type Doc = InstanceType<typeof PDFDocument>;
type Face = 'sans' | 'bold' | 'mono';

/** Renders the PDF. Same document, same bytes: the creation date is the issue date and pdfkit derives the file ID from it. */
export function renderPdf(doc: InvoiceDocument, opts: PdfOptions = {}): Promise<Buffer> {
  try {
    return render(doc, { ...opts, ...(opts.logoDataUri ? { logoDataUri: checkedLogo(opts.logoDataUri) } : {}) });
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * A logo pdfkit can draw, or an error now. pdfkit inflates a PNG's pixels in an asynchronous callback, where a
 * corrupt image throws out of reach of any promise and would take the whole process down; so the image data is
 * inflated here first, synchronously.
 */
function checkedLogo(uri: string): string {
  const m = /^data:image\/(png|jpeg);base64,([A-Za-z0-9+/=]+)$/.exec(uri);
  if (!m) throw new Error('PDF logo: expected a data:image/png or data:image/jpeg base64 URI');
  const bytes = Buffer.from(m[2]!, 'base64');
  if (m[1] === 'jpeg') {
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('PDF logo: not a JPEG (no SOI marker)');
    return uri;
  }
  if (!bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('PDF logo: not a PNG (bad signature)');
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw new Error(`PDF logo: corrupt PNG image data (${(err as Error).message})`);
  }
  return uri;
}

function render(doc: InvoiceDocument, opts: PdfOptions): Promise<Buffer> {
  const fonts = pdfFonts();
  const issued = new Date(`${doc.issueDate}T00:00:00Z`);
  const pdf = new PDFDocument({
    size: 'A4', margins: M, bufferPages: true, autoFirstPage: true, compress: true, lang: 'en',
    // No default font: pdfkit would parse Helvetica's metrics for every document; every text here sets its font.
    font: null as unknown as string,
    info: {
      Title: `${documentTitle(doc)} ${doc.number}`, Author: doc.seller.legalName, Subject: `${doc.buyer.legalName}, ${doc.period.label}`,
      Creator: 'wispmeter', Producer: 'wispmeter (pdfkit)', CreationDate: issued, ModDate: issued,
      ...(fonts.embedded ? {} : { Keywords: 'fonts not embedded: install fonts-dejavu-core' }),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  // pdfkit's types name file paths and buffers only; it takes a parsed font too (see pdfFonts).
  const register = (name: string, src: FontSource) => pdf.registerFont(name, src as string);
  register('sans', fonts.sans);
  register('bold', fonts.bold);
  register('mono', fonts.mono);
  if (fonts.cjk) register('cjk', fonts.cjk);
  new PdfWriter(pdf, doc, fonts, opts).write();
  pdf.end();
  return done;
}

class PdfWriter {
  private y = M.top;
  private readonly primary: string;
  private readonly accent: string;
  private readonly money: (d: Dec) => string;

  constructor(private readonly pdf: Doc, private readonly doc: InvoiceDocument, private readonly fonts: Fonts, private readonly opts: PdfOptions) {
    this.primary = safeColor(doc.branding.primaryColor, '#1f3a5f');
    this.accent = safeColor(doc.branding.accentColor, '#c05621');
    this.money = (d) => formatAmount(d, doc.currency);
  }

  write(): void {
    this.letterhead();
    this.parties();
    this.lines();
    this.totals();
    this.notes();
    this.payment();
    if (this.doc.dailyUsage.length > 0) this.usage();
    const usageLines = this.doc.lines.filter((l) => l.evidence);
    if (usageLines.length > 0) this.appendix(usageLines);
    this.footers();
  }

  // ---- text primitives ----

  private font(face: Face, text: string): this {
    const name = this.fonts.cjk && face !== 'mono' && CJK.test(text) ? 'cjk' : face;
    this.pdf.font(name);
    preparePdfFont((this.pdf as unknown as { _font?: unknown })._font, name === 'cjk' ? '' : COMMON_TEXT);
    return this;
  }

  /** Writes text at (x, y) within width; returns its height. */
  private text(s: string, x: number, y: number, o: { width: number; face?: Face; size?: number; color?: string; align?: 'left' | 'right' | 'center' }): number {
    this.font(o.face ?? 'sans', s);
    this.pdf.fontSize(o.size ?? 9).fillColor(o.color ?? INK);
    this.pdf.text(s, x, y, { width: o.width, align: o.align ?? 'left', lineGap: 1 });
    // pdfkit leaves its cursor under the text: the height without laying the text out a second time.
    return this.pdf.y - y;
  }

  private measure(s: string, width: number, face: Face = 'sans', size = 9): number {
    this.font(face, s);
    this.pdf.fontSize(size);
    return this.pdf.heightOfString(s, { width, lineGap: 1 });
  }

  private get bottom(): number {
    return A4.height - M.bottom;
  }

  /** A new page when `height` does not fit; `onNewPage` redraws a table header. */
  private ensure(height: number, onNewPage?: () => void): void {
    if (this.y + height <= this.bottom) return;
    this.pdf.addPage();
    this.y = M.top;
    onNewPage?.();
  }

  private heading(s: string): void {
    this.ensure(40);
    this.y += 12;
    this.text(s, M.left, this.y, { width: CONTENT, face: 'bold', size: 11.5, color: this.primary });
    this.y += 16;
    this.pdf.moveTo(M.left, this.y).lineTo(M.left + CONTENT, this.y).lineWidth(1.5).strokeColor(this.accent).stroke();
    this.y += 6;
  }

  // ---- sections ----

  private letterhead(): void {
    const d = this.doc;
    this.pdf.rect(0, 0, A4.width, 8).fill(this.primary);
    let left = M.top;
    const logo = this.opts.logoDataUri && /^data:image\/(png|jpeg);base64,/.exec(this.opts.logoDataUri); // checked by renderPdf
    if (logo) {
      this.pdf.image(Buffer.from(this.opts.logoDataUri!.slice(logo[0].length), 'base64'), M.left, left, { fit: [150, 44] });
      left += 50;
    }
    left += this.partyBlock(d.seller, M.left, left, 260);
    const meta: [string, string][] = [
      ['Number', d.number], ['Issue date', d.issueDate], ...(d.kind === 'invoice' ? [['Due date', d.dueDate] as [string, string]] : []),
      ['Period', (() => { const p = periodDays(d.period, d.period.timezone); return `${p.start} to ${p.end}`; })()],
      ['Customer no.', d.buyer.customerId], ['Currency', d.currency],
    ];
    const x = M.left + CONTENT - 220;
    let right = M.top;
    right += this.text(documentTitle(d), x, right, { width: 220, face: 'bold', size: 22, color: this.primary, align: 'right' }) + 6;
    for (const [k, v] of meta) {
      this.text(k, x, right, { width: 90, color: MUTED });
      right += this.text(v, x + 90, right, { width: 130, align: 'right' }) + 1;
    }
    this.y = Math.max(left, right) + 10;
  }

  private partyBlock(p: Party, x: number, y: number, width: number): number {
    const a = p.address;
    const start = y;
    y += this.text(p.legalName, x, y, { width, face: 'bold', size: 10.5 });
    if (p.tradingName && p.tradingName !== p.legalName) y += this.text(p.tradingName, x, y, { width, color: MUTED });
    const cityLine = [a.postalCode, a.city, a.region].filter((s) => s).join(' ');
    for (const line of [...a.lines, cityLine, a.countryCode].filter((s) => s)) y += this.text(line, x, y, { width });
    const ids = [
      ...(p.taxIds.length > 0 ? [`Tax ID ${p.taxIds.join(', ')}`] : []), ...(p.companyId ? [`Reg. ${p.companyId}`] : []),
      ...(p.email ? [p.email] : []), ...(p.phone ? [p.phone] : []),
    ];
    for (const s of ids) y += this.text(s, x, y, { width, color: MUTED, size: 8.5 });
    return y - start;
  }

  private parties(): void {
    const d = this.doc;
    this.ensure(110);
    const top = this.y;
    this.text(d.kind === 'credit_note' ? 'Credited to' : 'Bill to', M.left, top, { width: 240, face: 'bold', size: 10, color: this.primary });
    const left = 14 + this.partyBlock(d.buyer, M.left, top + 14, 240);
    let right = 0;
    if (d.corrects) {
      const x = M.left + CONTENT - 240;
      right += this.text('Corrects', x, top, { width: 240, face: 'bold', size: 10, color: this.primary }) + 2;
      right += this.text(`Invoice ${d.corrects.invoiceNumber} of ${d.corrects.issueDate}`, x, top + right, { width: 240 });
      right += this.text(d.corrects.reason, x, top + right, { width: 240, color: MUTED });
    }
    this.y = top + Math.max(left, right) + 4;
  }

  private readonly cols = [
    { key: '#', x: 0, w: 24, align: 'left' as const },
    { key: 'Description', x: 25, w: 200, align: 'left' as const },
    { key: 'Quantity', x: 227, w: 62, align: 'right' as const },
    { key: 'Unit', x: 293, w: 62, align: 'left' as const },
    { key: 'Unit price', x: 357, w: 52, align: 'right' as const },
    { key: 'Tax', x: 411, w: 44, align: 'right' as const },
    { key: 'Amount', x: 441, w: CONTENT - 441, align: 'right' as const },
  ];

  private tableHeader = (): void => {
    this.pdf.rect(M.left, this.y, CONTENT, 18).fill(this.primary);
    for (const c of this.cols) this.text(c.key, M.left + c.x + 2, this.y + 5, { width: c.w - 4, face: 'bold', size: 8.5, color: '#ffffff', align: c.align });
    this.y += 20;
  };

  private lines(): void {
    this.heading('Charges');
    this.ensure(40);
    this.tableHeader();
    for (const l of this.doc.lines) this.lineRow(l);
    if (this.doc.lines.some((l) => l.prices === 'inclusive')) {
      this.ensure(14);
      this.y += 2 + this.text('Prices of lines marked “incl.” include tax; the tax summary shows the tax they contain.', M.left, this.y + 2, { width: CONTENT, size: 8, color: MUTED });
    }
  }

  private lineRow(l: DocumentLine): void {
    const d = this.doc;
    const days = periodDays(l.period, d.period.timezone);
    const detail = [days.start === days.end ? days.start : `${days.start} to ${days.end}`, ...l.calculation, ...(l.adjusts ? [`late usage of ${l.adjusts.invoiceNumber}`] : [])].join('\n');
    const tax = l.taxes.length > 0 ? l.taxes.map((t) => `${percentOf(t.rate)} %`).join(' + ') : d.reverseCharge ? 'RC' : l.taxExemptionReason ? 'exempt' : '—';
    const cells = [
      String(l.lineNo), l.description, formatQuantity(l.quantity), l.unit, `${formatPrice(l.unitPrice, d.currency)}${l.prices === 'inclusive' ? ' incl.' : ''}`, tax,
      formatAmount(l.prices === 'inclusive' ? l.amount : l.net, d.currency),
    ];
    const descW = this.cols[1]!.w - 4;
    const height = 6 + Math.max(
      ...cells.map((s, i) => this.measure(s, this.cols[i]!.w - 4)),
      this.measure(l.description, descW) + 2 + this.measure(detail, descW, 'sans', 7.5),
    );
    this.ensure(height + 2, this.tableHeader);
    const top = this.y + 3;
    cells.forEach((s, i) => {
      const c = this.cols[i]!;
      const hgt = this.text(s, M.left + c.x + 2, top, { width: c.w - 4, align: c.align, color: l.net.lt(ZERO) ? '#2f6f3e' : INK });
      if (i === 1) this.text(detail, M.left + c.x + 2, top + hgt + 2, { width: descW, size: 7.5, color: MUTED });
    });
    this.y += height;
    this.pdf.moveTo(M.left, this.y).lineTo(M.left + CONTENT, this.y).lineWidth(0.5).strokeColor(RULE).stroke();
    this.y += 2;
  }

  private totals(): void {
    const d = this.doc;
    const rows: { label: string; value: string; strong?: 'total' | 'due' }[] = [
      { label: 'Subtotal (net)', value: this.money(d.subtotal) },
      ...d.taxes.map((t) => ({ label: `${taxLabel(t.name, t.rate)} on ${this.money(t.base)}`, value: this.money(t.amount) })),
      ...(d.reverseCharge ? [{ label: 'Tax (reverse charge)', value: this.money(ZERO) }] : []),
      { label: `Total ${d.currency}`, value: this.money(d.total), strong: 'total' as const },
      ...d.credits.filter((c) => c.applied.gt(ZERO)).map((c) => ({ label: `Credit ${c.creditId} (${c.reason}), ${this.money(c.remaining)} left`, value: `−${this.money(c.applied)}` })),
      { label: `${d.kind === 'credit_note' ? 'Amount credited' : 'Amount due'} ${d.currency}`, value: this.money(d.amountDue), strong: 'due' as const },
    ];
    const x = M.left + CONTENT - 300;
    this.ensure(rows.length * 16 + 16);
    this.y += 8;
    for (const r of rows) {
      const h = Math.max(this.measure(r.label, 200), 12) + 5;
      if (r.strong === 'due') this.pdf.rect(x, this.y - 2, 300, h + 2).fill(this.primary);
      if (r.strong === 'total') this.pdf.moveTo(x, this.y - 2).lineTo(x + 300, this.y - 2).lineWidth(0.8).strokeColor(INK).stroke();
      const color = r.strong === 'due' ? '#ffffff' : INK;
      const face: Face = r.strong ? 'bold' : 'sans';
      this.text(r.label, x + 4, this.y + 1, { width: 200, face, color, size: r.strong === 'due' ? 10.5 : 9 });
      this.text(r.value, x + 200, this.y + 1, { width: 96, face, color, align: 'right', size: r.strong === 'due' ? 10.5 : 9 });
      this.y += h;
    }
  }

  private notes(): void {
    for (const n of this.doc.notes) {
      const h = this.measure(n, CONTENT - 12) + 8;
      this.ensure(h + 8);
      this.y += 6;
      this.pdf.rect(M.left, this.y, 3, h).fill(this.accent);
      this.text(n, M.left + 10, this.y + 4, { width: CONTENT - 12 });
      this.y += h;
    }
  }

  private payment(): void {
    const d = this.doc;
    if (d.kind !== 'invoice' || d.branding.paymentInstructions.length === 0) return;
    this.heading('How to pay');
    this.y += this.text(`Please pay ${this.money(d.amountDue)} ${d.currency} by ${d.dueDate}, quoting ${d.number}.`, M.left, this.y, { width: CONTENT, face: 'bold' }) + 2;
    for (const p of d.branding.paymentInstructions) {
      this.ensure(14);
      this.y += this.text(`•  ${p}`, M.left + 6, this.y, { width: CONTENT - 6 }) + 1;
    }
  }

  private usage(): void {
    const days = this.doc.dailyUsage;
    const down = days.reduce((a, x) => a + x.bytesDown, 0n);
    const up = days.reduce((a, x) => a + x.bytesUp, 0n);
    this.ensure(185);
    this.heading('Your usage');
    this.y += this.text(`${formatBytes(down)} downloaded and ${formatBytes(up)} uploaded over ${days.length} days.`, M.left, this.y, { width: CONTENT }) + 14;
    const chartH = 120;
    const left = M.left + 36;
    const width = CONTENT - 36;
    const max = days.reduce((m, x) => (x.bytesDown + x.bytesUp > m ? x.bytesDown + x.bytesUp : m), 0n);
    const maxGb: Dec = niceCeiling(dec(max).div(dec(10n ** 9n)));
    const top = this.y;
    const base = top + chartH;
    // Drawing only: GB scaled to points (not money; a float is fine for geometry).
    const scale = maxGb.eq(ZERO) ? 0 : chartH / Number(maxGb.times(dec(10n ** 9n)).toFixed(0));
    for (let k = 0; k <= 4; k++) {
      const gy = base - (chartH * k) / 4;
      this.pdf.moveTo(left, gy).lineTo(left + width, gy).lineWidth(0.4).strokeColor(RULE).stroke();
      this.text(maxGb.times(dec(String(k))).div(dec('4')).round(1).toFixed(), M.left, gy - 4, { width: 32, size: 6.5, color: MUTED, align: 'right' });
    }
    this.text('GB', M.left, top - 12, { width: 32, size: 6.5, color: MUTED, align: 'right' });
    const step = width / days.length;
    days.forEach((x, i) => {
      const bx = left + i * step + step * 0.15;
      const hd = Number(x.bytesDown) * scale;
      const hu = Number(x.bytesUp) * scale;
      if (hd > 0) this.pdf.rect(bx, base - hd, step * 0.7, hd).fill(this.primary);
      if (hu > 0) this.pdf.rect(bx, base - hd - hu, step * 0.7, hu).fill(this.accent);
      if (i % 5 === 0 || i === days.length - 1) this.text(x.date.slice(8), left + i * step - 4, base + 3, { width: step + 8, size: 6.5, color: MUTED, align: 'center' });
    });
    this.y = base + 16;
    this.pdf.rect(M.left, this.y + 1, 7, 7).fill(this.primary);
    this.text('download', M.left + 10, this.y, { width: 60, size: 8, color: MUTED });
    this.pdf.rect(M.left + 60, this.y + 1, 7, 7).fill(this.accent);
    this.text('upload · per day', M.left + 70, this.y, { width: 200, size: 8, color: MUTED });
    this.y += 14;
  }

  private appendix(lines: DocumentLine[]): void {
    this.pdf.addPage();
    this.y = M.top;
    this.text('Appendix: usage evidence', M.left, this.y, { width: CONTENT, face: 'bold', size: 14, color: this.primary });
    this.y += 20;
    this.y += this.text('What each usage line was computed from, as read from the usage store. GB = 10^9 bytes.', M.left, this.y, { width: CONTENT, color: MUTED }) + 4;
    for (const l of lines) {
      const e = l.evidence!;
      this.heading(`Line ${l.lineNo}: ${l.description}`);
      const bytes = (b: bigint) => `${groupDigits(b)} bytes (${formatBytes(b)})`;
      const rows: [string, string][] = [
        ['Subscribers', e.subscribers.join(', ')], ['Direction counted', e.direction], ['Bytes down', bytes(e.bytesDown)], ['Bytes up', bytes(e.bytesUp)],
        ['Bytes counted', bytes(e.bytesCounted)], ['Unmetered windows', bytes(e.bytesUnmetered)], ['Excluded classes', bytes(e.bytesExcludedClasses)],
        ['By source', Object.entries(e.bySource).sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, b]) => `${s}: ${bytes(b)}`).join('\n') || '—'],
        ['Read', `${e.rows} rows, step ${e.step}, store ${e.store}`], ['Active spans (UTC)', e.spans.map((s) => `${s.from} to ${s.to}`).join('\n')],
        ...(e.notes.length > 0 ? [['Notes', e.notes.join('\n')] as [string, string]] : []),
      ];
      for (const [k, v] of rows) {
        const h = Math.max(this.measure(v, CONTENT - 140), 11) + 3;
        this.ensure(h);
        this.text(k, M.left, this.y, { width: 135, color: MUTED });
        this.text(v, M.left + 140, this.y, { width: CONTENT - 140 });
        this.y += h;
      }
      for (const q of e.queries) {
        const h = this.measure(q, CONTENT - 8, 'mono', 7) + 8;
        this.ensure(Math.min(h, 200));
        this.y += 4;
        // A long query may run over a page: pdfkit continues it on the next page by itself.
        this.pdf.rect(M.left, this.y, CONTENT, Math.min(h, this.bottom - this.y)).fill('#f4f5f7');
        this.text(q, M.left + 4, this.y + 4, { width: CONTENT - 8, face: 'mono', size: 7 });
        this.y = this.pdf.y + 4;
      }
    }
  }

  /** Page numbers and the branding footer on every page, drawn last (bufferPages) so the count is known. */
  private footers(): void {
    const range = this.pdf.bufferedPageRange();
    const footer = this.doc.branding.footer ?? this.doc.seller.legalName;
    for (let i = range.start; i < range.start + range.count; i++) {
      this.pdf.switchToPage(i);
      const bottomMargin = this.pdf.page.margins.bottom;
      this.pdf.page.margins.bottom = 0; // writing inside the margin must not open a new page
      const y = A4.height - M.bottom + 18;
      this.pdf.moveTo(M.left, y - 4).lineTo(M.left + CONTENT, y - 4).lineWidth(0.5).strokeColor(RULE).stroke();
      this.text(footer, M.left, y, { width: CONTENT - 120, size: 7.5, color: MUTED });
      this.text(`${this.doc.number} · page ${i + 1} of ${range.count}`, M.left + CONTENT - 120, y, { width: 120, size: 7.5, color: MUTED, align: 'right' });
      this.pdf.page.margins.bottom = bottomMargin;
    }
  }
}
