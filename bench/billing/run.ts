// Bench: a month of generated usage for N customers in the embedded store (bench/rating's generator), then one
// billing run to finalized invoices with HTML and UBL rendered, and PDFs per second, in a child process.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EmbeddedStore } from '../../store/embedded/embedded-store.js';
import { benchCustomers, writeBenchCatalog } from '../rating/bench-catalog.js';
import { loadUsage } from '../rating/bench-usage.js';
import type { BillChildRequest, BillChildResult } from './bill-child.js';

const PERIOD = '2025-12';
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const TARGET_MS = 60_000;
const TARGET_RSS_BYTES = 1024 ** 3;
const TARGET_PDFS_PER_SECOND = 100;
const CHILD_LIMIT_MS = 30 * 60_000;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    pdfs: { type: 'string', default: '300' },
    /** A usage.sqlite kept from an earlier run (--keep) for the same --customers: skips the load. */
    usage: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** V8's old-space limit for the billing child in MiB (node --max-old-space-size); Node's default when absent. */
    heap: { type: 'string' },
    /** Also write the HTML and UBL files (the disk's speed then counts too). */
    write: { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const total = Number(args.customers);
  const pdfs = Number(args.pdfs);
  if (!Number.isInteger(total) || total < 20) throw new Error('--customers takes an integer ≥ 20');
  if (!Number.isInteger(pdfs) || pdfs < 1) throw new Error('--pdfs takes a positive integer');
  // As bench/rating: 1 in 20 customers on the 95th-percentile plan with 5-minute counters, the rest hourly RADIUS.
  const customers = benchCustomers({ customers: total - Math.round(total / 20), percentile: Math.round(total / 20) });
  const work = mkdtempSync(join(tmpdir(), 'wispmeter-bench-billing-'));
  try {
    const files = writeBenchCatalog(work, customers);
    const dataDir = join(work, 'data');
    mkdirSync(dataDir);
    let usage = args.usage ? resolve(args.usage) : join(dataDir, 'usage.sqlite');
    if (!args.usage) {
      const store = EmbeddedStore.open(usage, pino({ level: 'warn' }));
      try {
        const t = performance.now();
        let next = 1_000_000;
        const load = await loadUsage(store.sink, customers, PERIOD, 5000, (n) => {
          if (n >= next) {
            process.stderr.write(`load: ${(n / 1e6).toFixed(0)} M records\n`);
            next += 1_000_000;
          }
        });
        console.log(`load: ${load.records.toLocaleString('en-US')} usage records for ${customers.length.toLocaleString('en-US')} customers in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      } finally {
        await store.close();
      }
    } else usage = resolve(args.usage);
    const config = join(work, 'wispmeter.yaml');
    writeFileSync(config, [
      'dataDir: ./data',
      `catalog: { plans: ${files.plans}, customers: ${files.customers} }`,
      'billing:',
      '  seller: { legalName: "Bench Wireless LLC", address: { lines: ["1 Bench Rd"], city: Marfa, region: TX, countryCode: US }, taxIds: ["TX-1"] }',
      '  timezone: America/Chicago',
      '',
    ].join('\n'));
    const req: BillChildRequest = { config, usage, period: PERIOD, pdfs, ...(args.write ? { out: join(work, 'out') } : {}) };
    const started = performance.now();
    const r = await runChild(req);
    const wallMs = performance.now() - started;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
    const fullMs = r.catalogLoadMs + r.runMs + r.renderMs;
    if (args.heap) console.log(`(billing child run with --max-old-space-size=${args.heap})`);
    console.log(`billing ${r.invoices.toLocaleString('en-US')} invoices (${r.lines.toLocaleString('en-US')} lines) for ${PERIOD}: child wall ${s(wallMs)} (with ${r.pdfs} PDFs)`);
    console.log(`  catalog load ${s(r.catalogLoadMs)}, run to finalized ${s(r.runMs)} (${Math.round(r.invoices / (r.runMs / 1000))} invoices/s; usage queries ${s(r.readMs)} summed over the reads in flight at once, ledger ${s(r.ledgerMs)}), HTML + UBL ${s(r.renderMs)} (${mib(r.htmlBytes)} + ${mib(r.ublBytes)})`);
    console.log(`  full run (catalog, run, HTML + UBL): ${s(fullMs)} — target < ${s(TARGET_MS)}: ${fullMs < TARGET_MS ? 'met' : 'NOT met'}`);
    console.log(`  peak RSS ${mib(r.peakRssAfterRenderBytes)} through HTML + UBL (${mib(r.peakRssAfterRunBytes)} after the run) — target < 1 GiB: ${r.peakRssAfterRenderBytes < TARGET_RSS_BYTES ? 'met' : 'NOT met'}; ${mib(r.peakRssBytes)} with the PDFs; ledger ${mib(r.ledgerBytes)}`);
    const pps = r.pdfs / (r.pdfMs / 1000);
    const poolPps = r.pdfs / (r.poolPdfMs / 1000);
    console.log(`  PDFs: ${r.pdfs} in ${s(r.pdfMs)} on one thread, ${pps.toFixed(0)}/s (${Math.round(r.pdfBytes / r.pdfs / 1024)} KiB each); through the pool of ${r.poolWorkers} workers ${s(r.poolPdfMs)}, ${poolPps.toFixed(0)}/s — target ≥ ${TARGET_PDFS_PER_SECOND}/s: ${Math.max(pps, poolPps) >= TARGET_PDFS_PER_SECOND ? 'met' : 'NOT met'}`);
    console.log(`  totals ${JSON.stringify(r.totals)}; numbers gap-free: ${r.gapFree}`);
    if (args.keep) console.log(`kept ${work}`);
    return r.gapFree && r.invoices === customers.length ? 0 : 1;
  } finally {
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

function runChild(req: BillChildRequest): Promise<BillChildResult> {
  const heap = args.heap === undefined ? [] : [`--max-old-space-size=${Number(args.heap)}`];
  const child = spawn(process.execPath, [...heap, '--import', 'tsx', join(import.meta.dirname, 'bill-child.ts'), JSON.stringify(req)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) fail(new Error(`bill-child exited ${code}`));
      else done(JSON.parse(out.trim().split('\n').at(-1)!) as BillChildResult);
    });
  });
}

process.exitCode = await main();
