// The parts of pdfkit's EmbeddedFont that pdf-font-cache.ts relies on, played by a fake: what a second document
// reuses, and that an embed() in an unexpected order falls back to pdfkit's own way instead of a broken font file.
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { preparePdfFont } from './pdf-font-cache.js';

interface FakeRef {
  compress: boolean;
  data: Record<string, unknown>;
  bytes?: Uint8Array;
}

/** A fake EmbeddedFont over `parsed`; `order` 'pdfkit' asks for the file's reference first, as pdfkit 0.20 does. */
function fakeFont(parsed: object, order: 'pdfkit' | 'subset-first' = 'pdfkit') {
  const refs: FakeRef[] = [];
  const document = {
    compress: true,
    ref(data: Record<string, unknown> = {}): FakeRef {
      const r: FakeRef = { compress: true, data: { ...data } };
      refs.push(r);
      return r;
    },
  };
  const stats = { subsetEncodes: 0, layouts: 0 };
  const subset = {
    glyphs: [0],
    mapping: new Map<number, number>([[0, 0]]),
    includeGlyph(id: number): number {
      if (!subset.mapping.has(id)) subset.mapping.set(id, subset.glyphs.push(id) - 1);
      return subset.mapping.get(id)!;
    },
    encode(): Uint8Array {
      stats.subsetEncodes++;
      return Buffer.from(`glyf:${subset.glyphs.join(',')}`);
    },
  };
  // pdfkit's PDFReference.end(): Length, then Filter when it compresses, and deflates the chunk itself.
  const end = (file: FakeRef, chunk: Uint8Array) => {
    file.data.Length ??= 0;
    file.data.Length = (file.data.Length as number) + chunk.length;
    if (file.compress) file.data.Filter = 'FlateDecode';
    file.bytes = file.compress ? deflateSync(chunk) : chunk;
  };
  const font = {
    font: parsed, document, subset, widths: [500] as (number | undefined)[], unicode: [[0]] as (number[] | undefined)[],
    layoutCache: Object.create(null) as Record<string, unknown>,
    encode(text: string): void {
      stats.layouts++;
      for (const ch of text) {
        const gid = subset.includeGlyph(ch.codePointAt(0)!);
        font.widths[gid] ??= 600;
        font.unicode[gid] ??= [ch.codePointAt(0)!];
      }
    },
    embed(): void {
      if (order === 'subset-first') {
        const chunk = subset.encode();
        end(document.ref(), chunk);
      } else {
        const file = document.ref();
        end(file, subset.encode());
      }
      document.ref({ Type: 'FontDescriptor' });
    },
  };
  return { font, refs, stats };
}

describe('pdf font caches', () => {
  it('a second document reuses the first one\'s word layouts, common glyphs and deflated subset, with the same bytes', () => {
    const parsed = {};
    const a = fakeFont(parsed);
    preparePdfFont(a.font, 'ab');
    a.font.encode('x');
    a.font.embed();
    const b = fakeFont(parsed);
    preparePdfFont(b.font, 'ab');
    b.font.encode('x');
    b.font.embed();

    expect(b.font.subset.glyphs).toEqual(a.font.subset.glyphs);
    expect([b.font.widths, b.font.unicode]).toEqual([a.font.widths, a.font.unicode]);
    // The common glyphs were replayed, not laid out again; the subset was neither encoded nor deflated again.
    expect([a.stats.layouts, b.stats.layouts]).toEqual([3, 1]);
    expect([a.stats.subsetEncodes, b.stats.subsetEncodes]).toEqual([1, 0]);
    expect(Buffer.from(b.refs[0]!.bytes!)).toEqual(deflateSync(Buffer.from('glyf:0,97,98,120')));
    expect(b.refs[0]!.data).toEqual(a.refs[0]!.data);
    expect(Object.keys(b.refs[0]!.data)).toEqual(['Length', 'Filter']);
    // Only the font file's reference skips pdfkit's compression; the next one is the document's as usual.
    expect(b.refs[1]!.compress).toBe(true);
    // Word layouts land in one store for every document of the font.
    a.font.layoutCache.word = 'run';
    expect(b.font.layoutCache.word).toBe('run');
  });

  it('falls back to pdfkit\'s own subset when embed() does not ask for the font file\'s reference first', () => {
    const parsed = {};
    const warm = fakeFont(parsed);
    preparePdfFont(warm.font, 'ab');
    warm.font.embed();
    const odd = fakeFont(parsed, 'subset-first');
    preparePdfFont(odd.font, 'ab');
    odd.font.embed();
    expect(odd.stats.subsetEncodes).toBe(1);
    expect(Buffer.from(odd.refs[0]!.bytes!)).toEqual(deflateSync(Buffer.from('glyf:0,97,98')));
    expect(odd.refs.map((r) => r.compress)).toEqual([true, true]);
  });
});
