// The portal's HTML: one server-rendered page per customer and the refusal page; inline CSS, no script.
import { BYTES_PER_UNIT, type ByteUnit } from '../rating/bytes.js';
import { localParts } from '../rating/calendar.js';
import { countedBytes, type CustomerView } from './usage-view.js';

function localDate(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const h = escapeHtml;

/** Bytes in a unit with two decimals ("1.23 GB"); the exact count travels in a <data> element beside it. */
export function formatBytes(bytes: bigint, unit: ByteUnit = 'GB'): string {
  const per = BYTES_PER_UNIT[unit];
  const hundredths = (bytes * 100n + per / 2n) / per;
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')} ${unit}`;
}

const bytesData = (bytes: bigint, unit: ByteUnit, name: string) => `<data value="${bytes}" data-name="${name}">${formatBytes(bytes, unit)}</data>`;

const CSS = `
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#555;--down:#1d5fa8;--up:#b4540b;--track:#e3e3e3;--over:#b00020}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#141414;--muted:#b5b5b5;--down:#7db3ee;--up:#f0a25e;--track:#3a3a3a;--over:#ff6b81}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:2rem 0 .5rem}
.muted{color:var(--muted)}table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--track);text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3rem 0}
svg{display:block;max-width:100%;height:auto}.down{fill:var(--down)}.up{fill:var(--up)}.track{fill:var(--track)}.over{fill:var(--over)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
a{color:var(--down)}a:focus-visible{outline:3px solid var(--up);outline-offset:2px}
.key{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:baseline}
nav ul{list-style:none;padding:0;display:flex;gap:1rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The quota bar: used against allowance, an SVG with a text alternative, plus the same numbers in words. */
function quotaSection(v: CustomerView, unit: ByteUnit): string {
  const q = v.quota;
  if (!q) return `<p>Your plan has no data allowance: all traffic is included.</p>`;
  const used = countedBytes(q, v.bytesDown, v.bytesUp);
  const share = q.bytes === 0n ? (used > 0n ? 1 : 0) : Number((used * 10_000n) / q.bytes) / 10_000;
  const width = Math.round(Math.min(1, share) * 600);
  const percent = (share * 100).toFixed(1);
  const counted = q.direction === 'both' ? 'download and upload' : q.direction === 'down' ? 'download' : 'upload';
  const label = `${formatBytes(used, unit)} of ${formatBytes(q.bytes, unit)} used (${percent}%)`;
  return `<p>Plan <strong>${h(q.planName)}</strong> includes ${bytesData(q.bytes, unit, 'quota')} per period (${counted} counted).</p>
<svg role="img" aria-labelledby="quota-title" viewBox="0 0 600 28" width="600" height="28">
<title id="quota-title">${h(label)}</title>
<rect class="track" x="0" y="0" width="600" height="28" rx="4"/>
<rect class="${share > 1 ? 'over' : 'down'}" x="0" y="0" width="${width}" height="28" rx="4"/>
</svg>
<p id="quota-text">${bytesData(used, unit, 'counted')} of ${formatBytes(q.bytes, unit)} used: <strong>${percent}%</strong>${share > 1 ? ` — ${formatBytes(used - q.bytes, unit)} over the allowance; overage is billed on your next invoice.` : `, ${formatBytes(q.bytes - used, unit)} left.`}</p>`;
}

/** Daily bars (down and up side by side); the table after it holds the same numbers for screen readers. */
function dailyChart(v: CustomerView): string {
  if (v.days.length === 0) return '';
  const max = v.days.reduce((m, d) => (d.bytesDown > m ? d.bytesDown : d.bytesUp > m ? d.bytesUp : m), 1n);
  const slot = 20;
  const height = 120;
  const bar = (b: bigint) => Math.round((Number((b * 1000n) / max) / 1000) * height);
  const bars = v.days.map((d, i) => {
    const down = bar(d.bytesDown);
    const up = bar(d.bytesUp);
    return `<rect class="down" x="${i * slot + 2}" y="${height - down}" width="7" height="${down}"/><rect class="up" x="${i * slot + 10}" y="${height - up}" width="7" height="${up}"/>`;
  }).join('');
  return `<svg role="img" aria-labelledby="daily-title" viewBox="0 0 ${v.days.length * slot} ${height}" width="${v.days.length * slot}" height="${height}">
<title id="daily-title">Daily download and upload, ${h(v.days[0]!.date)} to ${h(v.days[v.days.length - 1]!.date)}; the table below lists every day.</title>
${bars}
</svg>
<p class="muted" aria-hidden="true"><span class="key" style="background:var(--down)"></span>download <span class="key" style="background:var(--up)"></span>upload</p>`;
}

const STATUS_TEXT: Record<string, string> = { open: 'Open', partly_paid: 'Partly paid', paid: 'Paid', credited: 'Credited', credit_note: 'Credit note' };

export interface PageLinks {
  /** "?exp=…&sig=…" of this customer's link. */
  query: string;
}

export function customerPage(v: CustomerView, links: PageLinks): string {
  const unit: ByteUnit = v.quota?.unit ?? 'GB';
  const base = `/c/${encodeURIComponent(v.customerId)}`;
  // The last day is inclusive for people: a period [Jan 1, Feb 1) reads "2026-01-01 to 2026-01-31".
  const periodText = `${v.periodLabel} (${localDate(v.period.from, v.timezone)} to ${localDate(v.period.to - 1, v.timezone)}, ${v.timezone})`;
  const dayRows = v.days.map((d) => `<tr><th scope="row"><time datetime="${d.date}">${d.date}</time></th><td class="num">${bytesData(d.bytesDown, unit, 'down')}</td><td class="num">${bytesData(d.bytesUp, unit, 'up')}</td></tr>`).join('\n');
  const invoiceRows = v.invoices.map((i) => `<tr data-invoice="${h(i.number)}"><th scope="row">${h(i.number)}${i.kind === 'credit_note' ? ' (credit note)' : ''}</th><td>${h(i.period)}</td><td class="num">${h(i.total)} ${h(i.currency)}</td><td>${h(STATUS_TEXT[i.status] ?? i.status)}</td><td><a href="${base}/invoices/${encodeURIComponent(i.number)}.pdf?${h(links.query)}" download>PDF<span class="visually-hidden"> of ${h(i.number)}</span></a></td></tr>`).join('\n');
  const nav = [
    v.previousLabel ? `<li><a href="${base}?${h(links.query)}&amp;period=${v.previousLabel}">Earlier period (${v.previousLabel})</a></li>` : '',
    v.current ? '' : `<li><a href="${base}?${h(links.query)}">Current period</a></li>`,
  ].join('');
  return layout(`Usage — ${v.name}`, `<main>
<header>
<h1>${h(v.name)}</h1>
<p class="muted">Customer ${h(v.customerId)}</p>
</header>
<section aria-labelledby="usage-h">
<h2 id="usage-h">${v.current ? 'This period' : 'Period'}: ${h(periodText)}</h2>
<dl>
<dt>Downloaded</dt><dd id="total-down">${bytesData(v.bytesDown, unit, 'down')}</dd>
<dt>Uploaded</dt><dd id="total-up">${bytesData(v.bytesUp, unit, 'up')}</dd>
</dl>
${quotaSection(v, unit)}
<p class="muted">Usage is measured by your provider and may lag by a few minutes; your invoice is the final word.</p>
${nav ? `<nav aria-label="Periods"><ul>${nav}</ul></nav>` : ''}
</section>
<section aria-labelledby="daily-h">
<h2 id="daily-h">Daily usage</h2>
${dailyChart(v)}
<table id="daily">
<caption>Daily usage, ${h(v.periodLabel)}</caption>
<thead><tr><th scope="col">Day</th><th scope="col" class="num">Download</th><th scope="col" class="num">Upload</th></tr></thead>
<tbody>
${dayRows}
</tbody>
</table>
</section>
<section aria-labelledby="invoices-h">
<h2 id="invoices-h">Invoices</h2>
${v.invoices.length === 0 ? '<p>No invoices yet.</p>' : `<table id="invoices">
<caption>Your invoices, oldest first</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Period</th><th scope="col" class="num">Total</th><th scope="col">Status</th><th scope="col">Download</th></tr></thead>
<tbody>
${invoiceRows}
</tbody>
</table>`}
</section>
</main>`);
}

export function refusalPage(title: string, explanation: string): string {
  return layout(title, `<main>
<h1>${h(title)}</h1>
<p>${h(explanation)}</p>
<p>Links to this portal are personal and expire. Ask your internet provider for a new link.</p>
</main>`);
}
