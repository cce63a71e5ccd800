// The reconciliation report as a text table, as CSV (one row per finding, RFC 4180) and as a self-contained HTML page.
import { ALL_SOURCES } from '../rating/usage.js';
import type { Bytes, ReconcileReport } from './reconcile.js';

/** One row per finding, the same for every format: what, who, the numbers, and whether it needs a look. */
interface Finding {
  kind: 'sources' | 'unknown_usage' | 'usage_without_service' | 'idle_subscription' | 'unattributed' | 'unattributed_address' | 'unstopped_session' | 'invoice_mismatch';
  customer: string;
  subject: string;
  /** Bytes (down + up) per source, or the one figure the finding is about. */
  values: Record<string, string>;
  flagged: boolean;
  detail: string;
}

const sum = (b: Bytes) => (b.down + b.up).toString();
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const duration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

function findings(r: ReconcileReport): Finding[] {
  const out: Finding[] = [];
  for (const s of r.subscribers) {
    out.push({
      kind: 'sources', customer: s.customerId, subject: s.subscriber,
      values: Object.fromEntries(ALL_SOURCES.map((src) => [src, s.bySource[src] ? sum(s.bySource[src]) : ''])),
      flagged: s.flagged, detail: s.deviationPct === undefined ? 'one source' : `deviation ${s.deviationPct.toFixed(2)} %`,
    });
  }
  for (const u of r.unknownUsage) out.push({ kind: 'unknown_usage', customer: '', subject: u.subscriber, values: { bytes: sum(u.bytes) }, flagged: true, detail: `usage from ${u.sources.join(', ')} that no customer claims` });
  for (const u of r.usageWithoutService) out.push({ kind: 'usage_without_service', customer: u.customerId, subject: '', values: { bytes: sum(u.bytes) }, flagged: true, detail: 'usage but no subscription in service' });
  for (const i of r.idleSubscriptions) out.push({ kind: 'idle_subscription', customer: i.customerId, subject: i.subscriptionId, values: {}, flagged: true, detail: 'in service, no usage at all' });
  for (const u of r.unattributed) out.push({ kind: 'unattributed', customer: '', subject: u.subscriber, values: { bytes: sum(u.bytes) }, flagged: u.bytes.down + u.bytes.up > 0n, detail: 'flows tied to no subscriber' });
  // The evidence behind the unattributed total, largest first: not findings of their own, so not flagged.
  for (const a of r.unattributedAddresses?.top ?? []) {
    out.push({ kind: 'unattributed_address', customer: '', subject: a.address, values: { bytes: sum(a.bytes) }, flagged: false, detail: `down ${a.bytes.down}, up ${a.bytes.up}: ${a.sharePct.toFixed(2)} % of unattributed bytes` });
  }
  for (const s of r.unstoppedSessions) {
    out.push({
      kind: 'unstopped_session', customer: s.customerId ?? '', subject: `${s.nas} ${s.sessionId}`, values: { bytes: sum(s.bytes) }, flagged: true,
      detail: `${s.subscriber}: started ${iso(s.start)}, last update ${iso(s.lastUpdate)}, down ${s.bytes.down}, up ${s.bytes.up}; ${s.closedAsStale ? 'no Stop ever came (closed as stale by the collector)' : `open, silent for more than ${duration(r.staleAfterMs)}`}`,
    });
  }
  for (const m of r.invoiceMismatches) {
    out.push({ kind: 'invoice_mismatch', customer: m.customerId, subject: m.number, values: { billed: m.billedBytes.toString(), store: m.storeBytes.toString() }, flagged: true, detail: 'usage billed differs from the store now' });
  }
  return out;
}

const COLUMNS = ['kind', 'customer', 'subject', ...ALL_SOURCES, 'bytes', 'billed', 'store', 'flagged', 'detail'] as const;

function cells(f: Finding): string[] {
  return COLUMNS.map((c) => (c === 'kind' || c === 'customer' || c === 'subject' || c === 'detail' ? f[c] : c === 'flagged' ? (f.flagged ? 'yes' : '') : f.values[c] ?? ''));
}

export function reconcileCsv(r: ReconcileReport): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [COLUMNS.join(','), ...findings(r).map((f) => cells(f).map(q).join(','))].join('\r\n') + '\r\n';
}

/** How many findings need a look, as every format marks them. */
export function flaggedFindings(r: ReconcileReport): number {
  return findings(r).filter((f) => f.flagged).length;
}

export function reconcileTable(r: ReconcileReport): string {
  const rows = findings(r).map(cells);
  const head = COLUMNS.map((c) => c.toUpperCase());
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `reconciliation ${r.period}: ${flaggedFindings(r)} finding(s) flagged (sources deviating more than ${r.thresholdPct} %, unclaimed or unattributed usage, idle subscriptions, sessions never stopped, invoices off the store)`,
    line(head), ...rows.map(line), ...r.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function reconcileHtml(r: ReconcileReport): string {
  const rows = findings(r).map((f) => `<tr${f.flagged ? ' class="flag"' : ''}>${cells(f).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wispmeter reconciliation ${esc(r.period)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}tr.flag{background:#fde8e8}</style></head>
<body><h1>Reconciliation ${esc(r.period)}</h1>
<p>Flagged rows (shaded) need a look: sources deviating more than ${r.thresholdPct} %, usage no customer claims, usage without service, idle subscriptions, unattributed flows (with the addresses behind them, unshaded), RADIUS sessions never stopped, invoices whose usage no longer matches the store.</p>
<table><thead><tr>${COLUMNS.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${r.notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
</body></html>
`;
}
