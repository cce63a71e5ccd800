// PDFs on worker threads: the same bytes as renderPdf, failures reported per document, a clean stop; throughput printed.
import { afterAll, describe, expect, it } from 'vitest';
import { createPdfPool } from '../billing-export/render/pdf-pool.js';
import { renderPdf } from '../billing-export/render/index.js';
import { goldenCases, LOGO_DATA_URI } from '../billing-export/render/testdata/golden-cases.js';

const docs = goldenCases().map((c) => c.doc);
const pool = createPdfPool({ workers: 2 });
afterAll(() => pool.stop());

describe('PDF pool', () => {
  it('renders the same bytes as renderPdf, in any order', async () => {
    const fromPool = await Promise.all(docs.map((d) => pool.render(d, { logoDataUri: LOGO_DATA_URI })));
    for (const [i, d] of docs.entries()) expect(fromPool[i]!.equals(await renderPdf(d, { logoDataUri: LOGO_DATA_URI })), d.number).toBe(true);
  }, 60_000);

  it('rejects the document that fails and keeps rendering the others', async () => {
    // A logo that claims to be a PNG but is not: pdfkit fails inside the worker.
    const [failed, ok] = await Promise.allSettled([pool.render(docs[0]!, { logoDataUri: 'data:image/png;base64,AAAA' }), pool.render(docs[1]!)]);
    expect(failed).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/^pdf worker: /) }) });
    expect(ok.status).toBe('fulfilled');
    // One the parent cannot even write (no minor units for XXX) fails before reaching a worker.
    await expect(pool.render({ ...docs[0]!, currency: 'XXX' })).rejects.toThrow(/unknown currency "XXX"/);
    expect((await pool.render(docs[2]!)).subarray(0, 5).toString()).toBe('%PDF-');
  }, 60_000);

  it('spreads a batch over the workers (rate printed) and refuses work after stop', async () => {
    const count = 100;
    const t = performance.now();
    const pdfs = await Promise.all(Array.from({ length: count }, (_, i) => pool.render(docs[i % docs.length]!)));
    const rate = count / ((performance.now() - t) / 1000);
    console.log(`PDF pool: ${rate.toFixed(1)} PDFs/s with 2 workers on this machine`);
    expect(pdfs.every((p) => p.subarray(0, 5).toString() === '%PDF-')).toBe(true);
    const other = createPdfPool({ workers: 1 });
    await other.stop();
    await expect(other.render(docs[0]!)).rejects.toThrow(/render after stop/);
  }, 120_000);
});
