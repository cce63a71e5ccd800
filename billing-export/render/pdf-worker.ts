// A worker thread that renders PDFs for a PdfPool: documents arrive as canonical JSON, PDFs go back as bytes.
import { parentPort } from 'node:worker_threads';
import { documentFromJson } from '../document-json.js';
import { type PdfOptions, renderPdf } from './pdf.js';

export interface PdfJob {
  id: number;
  json: string;
  opts: PdfOptions;
}

export type PdfJobResult = { id: number; pdf: Uint8Array } | { id: number; error: string };

if (!parentPort) throw new Error('pdf-worker: run me as a worker thread (see pdf-pool.ts)');
const port = parentPort;
port.on('message', (job: PdfJob) => {
  renderPdf(documentFromJson(job.json), job.opts).then(
    (pdf) => port.postMessage({ id: job.id, pdf } satisfies PdfJobResult, [pdf.buffer as ArrayBuffer]),
    (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies PdfJobResult),
  );
});
