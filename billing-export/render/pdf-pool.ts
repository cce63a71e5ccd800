// Renders PDFs on worker threads, one per core: pdfkit's text shaping and font subsetting are CPU-bound (5–10 ms an
// invoice with the caches of pdf-font-cache.ts, each worker its own), so a billing run of thousands spreads them over
// the cores. Same bytes as renderPdf.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../collectors/pipeline/module-worker.js';
import type { InvoiceDocument } from '../document.js';
import { documentToJson } from '../document-json.js';
import type { PdfOptions } from './pdf.js';
import type { PdfJob, PdfJobResult } from './pdf-worker.js';

export interface PdfPool {
  render(doc: InvoiceDocument, opts?: PdfOptions): Promise<Buffer>;
  /** Rejects what is still pending and ends the workers. Runs once. */
  stop(): Promise<void>;
}

/** Workers are started at once; `workers` defaults to the cores available. */
export function createPdfPool(options: { workers?: number } = {}): PdfPool {
  const count = Math.max(1, options.workers ?? availableParallelism());
  const start = (): Worker => startModuleWorker(import.meta.url, 'pdf-worker');
  const pending = new Map<number, { worker: Worker; resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  const load = new Map<Worker, number>();
  let next = 0;
  let stopped: Promise<void> | undefined;
  const settle = (id: number): { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined => {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    load.set(p.worker, (load.get(p.worker) ?? 1) - 1);
    return p;
  };
  // A worker that dies (an uncaught error, out of memory) fails its own jobs and is replaced; the others go on.
  const died = (w: Worker, why: Error) => {
    if (!load.has(w)) return;
    load.delete(w);
    for (const [id, p] of [...pending]) if (p.worker === w) settle(id)?.reject(why);
    if (!stopped) spawn();
  };
  const spawn = () => {
    const w = start();
    w.on('message', (r: PdfJobResult) => {
      const p = settle(r.id);
      if (!p) return;
      if ('error' in r) p.reject(new Error(`pdf worker: ${r.error}`));
      else p.resolve(Buffer.from(r.pdf.buffer, r.pdf.byteOffset, r.pdf.byteLength));
    });
    w.on('error', (err) => died(w, new Error('pdf worker failed', { cause: err })));
    w.on('exit', (code) => died(w, new Error(`pdf worker exited (code ${code})`)));
    load.set(w, 0);
  };
  for (let i = 0; i < count; i++) spawn();
  return {
    render(doc, opts = {}) {
      if (stopped) return Promise.reject(new Error('pdf pool: render after stop'));
      // Documents travel as canonical JSON (decimals and bigints intact); one that cannot be written fails here.
      let json: string;
      try {
        json = documentToJson(doc);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const [worker] = [...load.entries()].sort((a, b) => a[1] - b[1])[0]!; // the least busy
      const id = next++;
      load.set(worker, load.get(worker)! + 1);
      return new Promise<Buffer>((resolve, reject) => {
        pending.set(id, { worker, resolve, reject });
        worker.postMessage({ id, json, opts } satisfies PdfJob);
      });
    },
    stop() {
      stopped ??= (async () => {
        const workers = [...load.keys()];
        for (const id of [...pending.keys()]) settle(id)?.reject(new Error('pdf pool: stopped'));
        load.clear();
        await Promise.all(workers.map((w) => w.terminate()));
      })();
      return stopped;
    },
  };
}
