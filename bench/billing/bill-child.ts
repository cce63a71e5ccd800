// The billing half of the bench in its own process, so its peak RSS is the run's alone: bill a period into a fresh
// ledger, render every finalized document to HTML and UBL files (from the stored JSON, as `invoices export` does),
// then time PDFs. One JSON line on stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Ledger } from '../../billing-export/ledger/ledger.js';
import { createPdfPool, renderHtml, renderPdf, renderUbl } from '../../billing-export/render/index.js';
import { runBilling } from '../../billing-export/run/billing-run.js';
import { loadCatalog } from '../../config/catalog-load.js';
import { loadConfig } from '../../config/load.js';
import { sum } from '../../rating/money.js';
import { EmbeddedStore } from '../../store/embedded/embedded-store.js';
import { PERIOD_READERS } from '../../cli/stores.js';

export interface BillChildRequest {
  config: string;
  usage: string;
  period: string;
  /** Where the HTML and UBL files are written; rendered in memory only when absent. */
  out?: string;
  pdfs: number;
}

export interface BillChildResult {
  catalogLoadMs: number;
  /** Rating, drafts and finalization (numbers, documents) into the ledger. */
  runMs: number;
  /** Part of runMs inside the usage store's queryUsage. */
  readMs: number;
  /** Part of runMs saving drafts and finalizing them (numbers, documents, canonical JSON, fsync). */
  ledgerMs: number;
  /** HTML and UBL of every finalized invoice, read back from the ledger (and written to files with `out`). */
  renderMs: number;
  invoices: number;
  lines: number;
  /** Sum of totals per currency. */
  totals: Record<string, string>;
  /** Finalized sequences are exactly 1…invoices. */
  gapFree: boolean;
  htmlBytes: number;
  ublBytes: number;
  ledgerBytes: number;
  pdfs: number;
  pdfMs: number;
  pdfBytes: number;
  /** The same PDFs through createPdfPool (a worker per core), once the workers are warm. */
  poolPdfMs: number;
  poolWorkers: number;
  /** Peak RSS (maxRSS) when the run had finalized every invoice, after rendering HTML and UBL, and at the end. */
  peakRssAfterRunBytes: number;
  peakRssAfterRenderBytes: number;
  peakRssBytes: number;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2]!) as BillChildRequest;
  const log = pino({ level: 'warn' }, pino.destination(2));
  let t = performance.now();
  const config = loadConfig(req.config);
  const catalog = loadCatalog(config.catalog!);
  const catalogLoadMs = performance.now() - t;
  // As `wispmeter bill run` opens it: read workers answer the customers read ahead.
  const store = EmbeddedStore.open(req.usage, log, { readers: PERIOD_READERS });
  const ledger = Ledger.open(join(config.dataDir, config.billing!.ledger));
  try {
    t = performance.now();
    // Time inside the store's queryUsage, to tell the store's share of the run from rating's and the ledger's.
    let readMs = 0;
    const timed = {
      name: store.name,
      queryUsage: async (q: Parameters<typeof store.queryUsage>[0]) => {
        const t0 = performance.now();
        try {
          return await store.queryUsage(q);
        } finally {
          readMs += performance.now() - t0;
        }
      },
      close: () => store.close(),
    };
    let ledgerMs = 0;
    const timedLedger = new Proxy(ledger, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || !['saveDrafts', 'finalizeDrafts'].includes(String(prop))) return v;
        return (...a: unknown[]) => {
          const t0 = performance.now();
          try {
            return (v as (...x: unknown[]) => unknown).apply(target, a);
          } finally {
            ledgerMs += performance.now() - t0;
          }
        };
      },
    });
    const report = await runBilling({ store: timed, catalog, billing: config.billing!, log, ledger: timedLedger }, { period: req.period });
    const runMs = performance.now() - t;
    const peakRssAfterRunBytes = process.resourceUsage().maxRSS * 1024;

    t = performance.now();
    if (req.out) mkdirSync(req.out, { recursive: true });
    let htmlBytes = 0;
    let ublBytes = 0;
    let lines = 0;
    const totals = new Map<string, ReturnType<typeof sum>[]>();
    for (const f of report.finalized) {
      const doc = ledger.document(f.number);
      const html = renderHtml(doc);
      const ubl = renderUbl(doc);
      if (req.out) {
        writeFileSync(join(req.out, `${f.number}.html`), html);
        writeFileSync(join(req.out, `${f.number}.xml`), ubl);
      }
      htmlBytes += html.length;
      ublBytes += ubl.length;
      lines += doc.lines.length;
      totals.set(doc.currency, [...(totals.get(doc.currency) ?? []), doc.total]);
    }
    const renderMs = performance.now() - t;
    const peakRssAfterRenderBytes = process.resourceUsage().maxRSS * 1024;

    const sequences = ledger.db.prepare("SELECT sequence FROM invoice WHERE status = 'finalized' ORDER BY sequence").pluck().all() as number[];
    const gapFree = sequences.length === report.finalized.length && sequences.every((s, i) => s === i + 1);

    // PDFs one after another on this thread, then the same documents through the worker pool (one per core).
    const pdfs = report.finalized.slice(0, req.pdfs).map((f) => ledger.document(f.number));
    // Warm, as in a long export: the fonts are parsed once per thread, on its first PDF. The word layouts and font
    // subsets shared across documents (render/pdf-font-cache.ts) are still filling while these are timed.
    await renderPdf(pdfs[0]!);
    t = performance.now();
    let pdfBytes = 0;
    for (const doc of pdfs) pdfBytes += (await renderPdf(doc)).length;
    const pdfMs = performance.now() - t;
    const pool = createPdfPool();
    let poolPdfMs: number;
    try {
      // Every worker started and warm (a job each, least busy first), as in a long export.
      await Promise.all(pdfs.slice(0, 4 * availableParallelism()).map((doc) => pool.render(doc)));
      t = performance.now();
      await Promise.all(pdfs.map((doc) => pool.render(doc)));
      poolPdfMs = performance.now() - t;
    } finally {
      await pool.stop();
    }

    const ledgerBytes = Number(ledger.db.prepare('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()').pluck().get());
    const result: BillChildResult = {
      catalogLoadMs, runMs, readMs, ledgerMs, renderMs, invoices: report.finalized.length, lines,
      totals: Object.fromEntries([...totals].map(([k, v]) => [k, sum(v).toFixed(2)])), gapFree, htmlBytes, ublBytes, ledgerBytes,
      pdfs: pdfs.length, pdfMs, pdfBytes, poolPdfMs, poolWorkers: availableParallelism(), peakRssAfterRunBytes, peakRssAfterRenderBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    ledger.close();
    await store.close();
  }
}

await main();
