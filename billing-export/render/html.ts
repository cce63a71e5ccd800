// The invoice as one self-contained HTML file: branded letterhead, lines, taxes, usage chart (inline SVG) and evidence appendix.
import { type Dec, dec, ZERO } from '../../rating/money.js';
import type { DailyUsage, DocumentLine, InvoiceDocument, Party } from '../document.js';
import { formatAmount, formatBytes, formatPrice, formatQuantity, groupDigits, niceCeiling, percentOf, periodDays, taxLabel } from './format.js';

export interface HtmlOptions {
  /** The logo as a data: URI (PNG or JPEG), embedded so the file stands alone; no logo when absent. */
  logoDataUri?: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const h = escapeHtml;

/** A CSS colour from config, or the fallback when it is anything but a hex colour or a plain name (no CSS injection). */
export function safeColor(c: string, fallback: string): string {
  return /^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]{3,20}$/.test(c) ? c : fallback;
}

export function documentTitle(doc: InvoiceDocument): string {
  return doc.kind === 'credit_note' ? 'Credit note' : 'Invoice';
}

export function renderHtml(doc: InvoiceDocument, opts: HtmlOptions = {}): string {
  const primary = safeColor(doc.branding.primaryColor, '#1f3a5f');
  const accent = safeColor(doc.branding.accentColor, '#c05621');
  const money = (d: Dec) => formatAmount(d, doc.currency);
  const title = `${documentTitle(doc)} ${doc.number}`;
  const days = periodDays(doc.period, doc.period.timezone);
  const usageLines = doc.lines.filter((l) => l.evidence);
  const logo = opts.logoDataUri && /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+$/.test(opts.logoDataUri)
    ? `<img class="logo" src="${h(opts.logoDataUri)}" alt="${h(doc.seller.tradingName ?? doc.seller.legalName)} logo">` : '';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)} — ${h(doc.seller.tradingName ?? doc.seller.legalName)}</title>
<style>
${css(primary, accent)}
</style>
</head>
<body>
<main>
<header class="letterhead">
  <div class="seller">
    ${logo}
    ${partyBlock(doc.seller, 'seller-name')}
  </div>
  <div class="doc-meta">
    <h1>${h(documentTitle(doc))}</h1>
    <dl>
      <dt>Number</dt><dd>${h(doc.number)}</dd>
      <dt>Issue date</dt><dd><time datetime="${h(doc.issueDate)}">${h(doc.issueDate)}</time></dd>
      ${doc.kind === 'invoice' ? `<dt>Due date</dt><dd><time datetime="${h(doc.dueDate)}">${h(doc.dueDate)}</time></dd>` : ''}
      <dt>Period</dt><dd>${h(days.start)} to ${h(days.end)} <span class="muted">(${h(doc.period.timezone)})</span></dd>
      <dt>Customer no.</dt><dd>${h(doc.buyer.customerId)}</dd>
      <dt>Currency</dt><dd>${h(doc.currency)}</dd>
    </dl>
  </div>
</header>

<section class="parties" aria-label="Customer">
  <div class="buyer">
    <h2>${doc.kind === 'credit_note' ? 'Credited to' : 'Bill to'}</h2>
    ${partyBlock(doc.buyer, 'buyer-name')}
  </div>
  ${doc.corrects ? `<div class="corrects">
    <h2>Corrects</h2>
    <p>Invoice <strong>${h(doc.corrects.invoiceNumber)}</strong> of ${h(doc.corrects.issueDate)}</p>
    <p>${h(doc.corrects.reason)}</p>
  </div>` : ''}
</section>

<section aria-labelledby="lines-title">
<h2 id="lines-title">Charges</h2>
<table class="lines">
  <caption class="visually-hidden">Lines of ${h(title)}, amounts in ${h(doc.currency)}</caption>
  <thead>
    <tr><th scope="col">#</th><th scope="col">Description</th><th scope="col" class="num">Quantity</th><th scope="col">Unit</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Tax</th><th scope="col" class="num">Amount</th></tr>
  </thead>
  <tbody>
${doc.lines.map((l) => lineRow(doc, l)).join('\n')}
  </tbody>
</table>
${doc.lines.some((l) => l.prices === 'inclusive') ? '<p class="muted">Prices of lines marked “incl.” include tax; the tax summary shows the tax they contain.</p>' : ''}
</section>

<section class="summary" aria-labelledby="totals-title">
<h2 id="totals-title" class="visually-hidden">Totals</h2>
<table class="totals">
  <tbody>
    <tr><th scope="row">Subtotal (net)</th><td class="num">${money(doc.subtotal)}</td></tr>
${doc.taxes.map((t) => `    <tr><th scope="row">${h(taxLabel(t.name, t.rate))} on ${money(t.base)}</th><td class="num">${money(t.amount)}</td></tr>`).join('\n')}
${doc.reverseCharge ? '    <tr><th scope="row">Tax (reverse charge)</th><td class="num">' + money(ZERO) + '</td></tr>' : ''}
    <tr class="total"><th scope="row">Total ${h(doc.currency)}</th><td class="num">${money(doc.total)}</td></tr>
${doc.credits.filter((c) => c.applied.gt(ZERO)).map((c) => `    <tr><th scope="row">Credit ${h(c.creditId)} (${h(c.reason)}) <span class="muted">${money(c.remaining)} left</span></th><td class="num">−${money(c.applied)}</td></tr>`).join('\n')}
    <tr class="due"><th scope="row">${doc.kind === 'credit_note' ? 'Amount credited' : 'Amount due'} ${h(doc.currency)}</th><td class="num">${money(doc.amountDue)}</td></tr>
  </tbody>
</table>
</section>

${doc.notes.length > 0 ? `<section class="notes" aria-label="Notes">\n${doc.notes.map((n) => `<p>${h(n)}</p>`).join('\n')}\n</section>` : ''}

${doc.kind === 'invoice' && doc.branding.paymentInstructions.length > 0 ? `<section class="payment" aria-labelledby="pay-title">
<h2 id="pay-title">How to pay</h2>
<p>Please pay <strong>${money(doc.amountDue)} ${h(doc.currency)}</strong> by <strong>${h(doc.dueDate)}</strong>, quoting <strong>${h(doc.number)}</strong>.</p>
<ul>
${doc.branding.paymentInstructions.map((p) => `<li>${h(p)}</li>`).join('\n')}
</ul>
</section>` : ''}

${doc.dailyUsage.length > 0 ? usageSection(doc) : ''}

${usageLines.length > 0 ? `<section class="appendix" aria-labelledby="evidence-title">
<h2 id="evidence-title">Appendix: usage evidence</h2>
<p class="muted">What each usage line was computed from, as read from the usage store. Bytes: GB = 10<sup>9</sup> bytes.</p>
${usageLines.map((l) => evidenceBlock(l)).join('\n')}
</section>` : ''}

<footer>
${doc.branding.footer ? `<p>${h(doc.branding.footer)}</p>` : ''}
<p class="muted">${h(title)} · ${h(doc.seller.legalName)}</p>
</footer>
</main>
</body>
</html>
`;
}

function partyBlock(p: Party, nameClass: string): string {
  const a = p.address;
  const cityLine = [a.postalCode, a.city, a.region].filter((x) => x).join(' ');
  const rows = [
    `<p class="${nameClass}"><strong>${h(p.legalName)}</strong>${p.tradingName && p.tradingName !== p.legalName ? `<br><span class="muted">${h(p.tradingName)}</span>` : ''}</p>`,
    `<address>${[...a.lines, cityLine, a.countryCode].filter((x) => x).map(h).join('<br>')}</address>`,
  ];
  const ids: string[] = [];
  if (p.taxIds.length > 0) ids.push(`Tax ID ${p.taxIds.map(h).join(', ')}`);
  if (p.companyId) ids.push(`Reg. ${h(p.companyId)}`);
  if (p.email) ids.push(`<a href="mailto:${h(p.email)}">${h(p.email)}</a>`);
  if (p.phone) ids.push(h(p.phone));
  if (ids.length > 0) rows.push(`<p class="ids">${ids.join('<br>')}</p>`);
  return rows.join('\n    ');
}

function lineRow(doc: InvoiceDocument, l: DocumentLine): string {
  const tz = doc.period.timezone;
  const days = periodDays(l.period, tz);
  const span = days.start === days.end ? days.start : `${days.start} to ${days.end}`;
  const tax = l.taxes.length > 0 ? h(l.taxes.map((t) => `${percentOf(t.rate)} %`).join(' + '))
    : doc.reverseCharge ? '<abbr title="reverse charge">RC</abbr>' : l.taxExemptionReason ? 'exempt' : '—';
  const detail = [span, ...l.calculation, ...(l.adjusts ? [`late usage of ${l.adjusts.invoiceNumber}`] : [])];
  return `    <tr${l.net.lt(ZERO) ? ' class="credit"' : ''}>
      <td>${l.lineNo}</td>
      <td>${h(l.description)}<div class="calc">${detail.map(h).join('<br>')}</div></td>
      <td class="num">${h(formatQuantity(l.quantity))}</td>
      <td>${h(l.unit)}</td>
      <td class="num">${h(formatPrice(l.unitPrice, doc.currency))}${l.prices === 'inclusive' ? ' <abbr title="tax included">incl.</abbr>' : ''}</td>
      <td class="num">${tax}</td>
      <td class="num">${h(formatAmount(l.prices === 'inclusive' ? l.amount : l.net, doc.currency))}</td>
    </tr>`;
}

function usageSection(doc: InvoiceDocument): string {
  const down = doc.dailyUsage.reduce((a, d) => a + d.bytesDown, 0n);
  const up = doc.dailyUsage.reduce((a, d) => a + d.bytesUp, 0n);
  return `<section class="usage" aria-labelledby="usage-title">
<h2 id="usage-title">Your usage</h2>
<p>${h(formatBytes(down))} downloaded and ${h(formatBytes(up))} uploaded over ${doc.dailyUsage.length} days.</p>
${dailyChart(doc.dailyUsage, safeColor(doc.branding.primaryColor, '#1f3a5f'), safeColor(doc.branding.accentColor, '#c05621'))}
</section>`;
}

/** Stacked daily bars (download, then upload on top), in GB; an SVG with a title and description for screen readers. */
export function dailyChart(days: readonly DailyUsage[], primary: string, accent: string): string {
  const W = 680;
  const H = 190;
  const left = 44;
  const bottom = 24;
  const top = 10;
  const plotH = H - bottom - top;
  const maxBytes = days.reduce((m, d) => (d.bytesDown + d.bytesUp > m ? d.bytesDown + d.bytesUp : m), 0n);
  const maxGb = niceCeiling(dec(maxBytes).div(dec(10n ** 9n)));
  const step = (W - left - 8) / Math.max(days.length, 1);
  const y = (bytes: bigint) => (maxGb.eq(ZERO) ? 0 : Number(dec(bytes).div(dec(10n ** 9n)).div(maxGb).times(dec(String(plotH))).round(1).toFixed(1)));
  const bars = days.map((d, i) => {
    const x = (left + i * step + step * 0.15).toFixed(1);
    const w = (step * 0.7).toFixed(1);
    const hd = y(d.bytesDown);
    const hu = y(d.bytesUp);
    const base = top + plotH;
    return `<g><title>${h(d.date)}: ${h(formatBytes(d.bytesDown))} down, ${h(formatBytes(d.bytesUp))} up</title>`
      + `<rect x="${x}" y="${(base - hd).toFixed(1)}" width="${w}" height="${hd.toFixed(1)}" fill="${primary}"/>`
      + `<rect x="${x}" y="${(base - hd - hu).toFixed(1)}" width="${w}" height="${hu.toFixed(1)}" fill="${accent}"/></g>`;
  });
  const grid = [0, 1, 2, 3, 4].map((k) => {
    const gy = (top + plotH - (plotH * k) / 4).toFixed(1);
    const label = maxGb.times(dec(String(k))).div(dec('4')).round(1).toFixed();
    return `<line x1="${left}" x2="${W - 8}" y1="${gy}" y2="${gy}" class="grid"/><text x="${left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${label}</text>`;
  });
  const labels = days.map((d, i) => (i % 5 === 0 || i === days.length - 1
    ? `<text x="${(left + i * step + step / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle">${h(d.date.slice(8))}</text>` : ''));
  const total = days.reduce((a, d) => a + d.bytesDown + d.bytesUp, 0n);
  return `<figure class="chart">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title chart-desc">
<title id="chart-title">Daily usage in GB</title>
<desc id="chart-desc">${days.length} days from ${h(days[0]?.date ?? '')} to ${h(days[days.length - 1]?.date ?? '')}, ${h(formatBytes(total))} in all; the highest day ${h(formatBytes(maxBytes))}.</desc>
${grid.join('\n')}
${bars.join('\n')}
${labels.filter((s) => s).join('')}
</svg>
<figcaption><span class="key" style="background:${primary}"></span> download <span class="key" style="background:${accent}"></span> upload · GB per day (10<sup>9</sup> bytes)</figcaption>
</figure>`;
}

function evidenceBlock(l: DocumentLine): string {
  const e = l.evidence!;
  const row = (k: string, v: string) => `<tr><th scope="row">${h(k)}</th><td>${v}</td></tr>`;
  const bytes = (b: bigint) => `${h(groupDigits(b))} bytes <span class="muted">(${h(formatBytes(b))})</span>`;
  const sources = Object.entries(e.bySource).sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, b]) => `${h(s)}: ${bytes(b)}`).join('<br>');
  return `<article class="evidence">
<h3>Line ${l.lineNo}: ${h(l.description)}</h3>
<table>
  <tbody>
    ${row('Subscribers', e.subscribers.map(h).join(', '))}
    ${row('Direction counted', h(e.direction))}
    ${row('Bytes down', bytes(e.bytesDown))}
    ${row('Bytes up', bytes(e.bytesUp))}
    ${row('Bytes counted', bytes(e.bytesCounted))}
    ${row('Unmetered windows', bytes(e.bytesUnmetered))}
    ${row('Excluded classes', bytes(e.bytesExcludedClasses))}
    ${row('By source', sources || '—')}
    ${row('Read', `${h(String(e.rows))} rows, step ${h(e.step)}, store ${h(e.store)}`)}
    ${row('Active spans (UTC)', e.spans.map((s) => `${h(s.from)} to ${h(s.to)}`).join('<br>'))}
    ${e.notes.length > 0 ? row('Notes', e.notes.map(h).join('<br>')) : ''}
  </tbody>
</table>
${e.queries.map((q) => `<pre class="query"><code>${h(q)}</code></pre>`).join('\n')}
</article>`;
}

function css(primary: string, accent: string): string {
  return `:root { --primary: ${primary}; --accent: ${accent}; --ink: #1a1a1a; --muted: #5f6368; --rule: #d7dbe0; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); font: 10.5pt/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; background: #f4f5f7; }
main { max-width: 210mm; margin: 0 auto; padding: 14mm 14mm 10mm; background: #fff; }
h1 { margin: 0 0 4mm; color: var(--primary); font-size: 22pt; letter-spacing: .02em; }
h2 { margin: 7mm 0 2mm; color: var(--primary); font-size: 12pt; border-bottom: 2px solid var(--accent); padding-bottom: 1mm; }
h3 { margin: 5mm 0 2mm; font-size: 10.5pt; }
.letterhead { display: flex; justify-content: space-between; gap: 10mm; border-top: 6px solid var(--primary); padding-top: 5mm; }
.logo { max-height: 18mm; max-width: 60mm; display: block; margin-bottom: 3mm; }
.doc-meta dl { display: grid; grid-template-columns: auto auto; gap: .5mm 4mm; margin: 0; }
.doc-meta dt { color: var(--muted); }
.doc-meta dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
address { font-style: normal; }
.parties { display: flex; gap: 10mm; }
.parties > div { flex: 1; }
.ids, .muted { color: var(--muted); }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 1.5mm 2mm; vertical-align: top; text-align: left; }
.lines thead th { background: var(--primary); color: #fff; font-weight: 600; }
.lines tbody tr { border-bottom: 1px solid var(--rule); break-inside: avoid; }
.lines tr.credit td { color: #2f6f3e; }
.calc { color: var(--muted); font-size: 8.5pt; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.summary { display: flex; justify-content: flex-end; }
.totals { width: auto; min-width: 60%; margin-top: 4mm; }
.totals th { font-weight: normal; }
.totals tr.total th, .totals tr.total td { border-top: 1px solid var(--ink); font-weight: 600; }
.totals tr.due th, .totals tr.due td { background: var(--primary); color: #fff; font-weight: 700; font-size: 12pt; }
.notes p { margin: 1mm 0; padding: 2mm 3mm; border-left: 3px solid var(--accent); background: #fbf7f2; }
.payment ul { margin: 1mm 0; padding-left: 5mm; }
.chart { margin: 2mm 0; }
.chart svg text { font-size: 9px; fill: var(--muted); }
.chart .grid { stroke: var(--rule); stroke-width: 1; }
.chart figcaption { color: var(--muted); font-size: 8.5pt; }
.key { display: inline-block; width: 3mm; height: 3mm; vertical-align: middle; }
.evidence table th { width: 38%; color: var(--muted); font-weight: normal; }
.evidence table tr { border-bottom: 1px solid var(--rule); }
.query { white-space: pre-wrap; word-break: break-all; background: #f4f5f7; padding: 2mm; font: 8pt/1.35 "DejaVu Sans Mono", monospace; }
footer { margin-top: 8mm; border-top: 1px solid var(--rule); padding-top: 2mm; font-size: 8.5pt; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@page { size: A4; margin: 12mm; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  .lines thead { display: table-header-group; }
  .appendix { break-before: page; }
  .totals, .payment, .chart, .evidence { break-inside: avoid; }
  .lines thead th, .totals tr.due th, .totals tr.due td, .key, rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}`;
}

