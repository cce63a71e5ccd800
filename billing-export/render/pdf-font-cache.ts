// Work pdfkit repeats for every document, done once per process instead: word layouts and encoded font subsets.
import { deflateSync } from 'node:zlib';

/*
 * NOTE: this reaches into pdfkit 0.20's EmbeddedFont (its `layoutCache`, `subset`, `embed()` and the order in which
 * embed() asks the document for references), which pdfkit does not export. Rendering a batch of invoices, a profile
 * put ~30 % of a PDF's time in encoding and deflating the font subsets and ~25 % in laying out (shaping) words that
 * every invoice repeats: labels, the seller's details, amounts. Output is byte for byte what pdfkit writes without
 * these caches for the same text (COMMON_TEXT's glyphs put first either way; test/render-pdf.test.ts compares);
 * anything unexpected about the font object leaves it uncached.
 */

/** What this file uses of pdfkit's EmbeddedFont (pdfkit.node.mjs). */
interface PdfkitEmbeddedFont {
  font: object;
  document: { compress: boolean; _security?: unknown; ref: (data?: object) => { compress: boolean; data: Record<string, unknown> } };
  layoutCache?: Record<string, unknown>;
  subset: { glyphs: number[]; encode: () => Uint8Array; includeGlyph: (id: number) => number };
  widths: (number | undefined)[];
  unicode: (number[] | undefined)[];
  embed: () => void;
  encode: (text: string) => unknown;
}

/** Distinct words laid out per font before the cache starts over (invoice numbers and amounts are mostly unique). */
const MAX_WORDS = 20_000;
/** Distinct subsets (glyph lists) kept per font, least recently used dropped first. */
const MAX_SUBSETS = 256;

/**
 * Glyphs put first in every Latin font's subset, in this order, whether the document uses them or not. pdfkit numbers
 * a subset's glyphs in the order text first uses them, so two invoices that differ in a name or an amount made two
 * different subsets (57 % of them new after 1,000 bench invoices); with these first, the rest of a subset is rarely
 * more than the seller's and labels' glyphs, and 99.8 % are reused. It costs about 6 KiB a PDF.
 */
export const COMMON_TEXT = ' 0123456789.,:-/()%abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface FontCaches {
  words: Record<string, unknown>;
  wordCount: number;
  subsets: Map<string, Uint8Array>;
  /** What encoding `common` into a fresh font adds, per glyph in subset order: replayed instead of laid out again. */
  common?: { text: string; glyphs: { id: number; width: number; codePoints: number[] }[] };
}

const caches = new WeakMap<object, FontCaches>();
const prepared = new WeakSet<object>();
let enabled = true;

/** For tests: render with pdfkit's own per-document work, to compare bytes. */
export function setPdfFontCaches(on: boolean): void {
  enabled = on;
}

/** Puts `common`'s glyphs into a font no text has used yet, exactly as pdfkit's encode() would (subset, widths, ToUnicode). */
function prefill(font: PdfkitEmbeddedFont, common: string, shared: FontCaches): void {
  const fresh = font.subset.glyphs.length === 1; // only .notdef, which every subset starts with
  if (fresh && shared.common?.text === common) {
    for (const g of shared.common.glyphs) {
      const gid = font.subset.includeGlyph(g.id);
      font.widths[gid] ??= g.width;
      font.unicode[gid] ??= g.codePoints;
    }
    return;
  }
  for (const ch of common) font.encode(ch);
  if (fresh) shared.common = { text: common, glyphs: font.subset.glyphs.slice(1).map((id, i) => ({ id, width: font.widths[i + 1]!, codePoints: font.unicode[i + 1]! })) };
}

function isEmbeddedFont(f: unknown): f is PdfkitEmbeddedFont {
  const e = f as Partial<PdfkitEmbeddedFont> | undefined;
  return typeof e?.font === 'object' && typeof e.embed === 'function' && typeof e.encode === 'function' && typeof e.subset?.encode === 'function'
    && typeof e.subset.includeGlyph === 'function' && Array.isArray(e.subset.glyphs) && Array.isArray(e.widths) && Array.isArray(e.unicode)
    && typeof e.document?.ref === 'function';
}

/**
 * Prepares the document's current font (pdfkit's `_font`) the first time it is seen: `common` glyphs first in its
 * subset, and its caches shared with every other document using the same parsed font. Cheap on every font switch.
 */
export function preparePdfFont(current: unknown, common: string): void {
  if (!isEmbeddedFont(current) || prepared.has(current)) return;
  prepared.add(current);
  if (!enabled) {
    for (const ch of common) current.encode(ch);
    return;
  }
  let c = caches.get(current.font);
  if (!c) caches.set(current.font, (c = { words: Object.create(null) as Record<string, unknown>, wordCount: 0, subsets: new Map() }));
  const shared = c;
  if (current.layoutCache) {
    // pdfkit lays out word by word and never changes a cached run, so a run laid out once serves every document.
    current.layoutCache = new Proxy(shared.words, {
      set(target, key: string, value) {
        if (++shared.wordCount > MAX_WORDS) {
          for (const k of Object.keys(target)) delete target[k];
          shared.wordCount = 1;
        }
        target[key] = value;
        return true;
      },
    });
  }
  prefill(current, common, shared);
  // Only when pdfkit would deflate the font file itself, with nothing (encryption) after it.
  if (!current.document.compress || current.document._security) return;
  const font = current;
  const embed = font.embed.bind(font);
  font.embed = () => {
    // The subset's bytes depend only on the font and its glyph list (in first-use order), so equal lists share them.
    const key = font.subset.glyphs.join(',');
    let bytes = shared.subsets.get(key);
    if (bytes) shared.subsets.delete(key);
    else bytes = deflateSync(font.subset.encode()); // as pdfkit does: zlib's default level
    shared.subsets.set(key, bytes);
    if (shared.subsets.size > MAX_SUBSETS) shared.subsets.delete(shared.subsets.keys().next().value!);
    const doc = font.document;
    const ref = doc.ref;
    // embed() asks for the font file's reference first and then writes the subset to it: that reference takes the
    // deflated bytes as they are, its dictionary keys in pdfkit's order (Length, then Filter).
    let file: ReturnType<typeof ref> | undefined;
    doc.ref = (data?: object) => {
      doc.ref = ref;
      file = ref.call(doc, data);
      file.compress = false;
      return file;
    };
    const encode = font.subset.encode;
    font.subset.encode = () => {
      if (!file) {
        // Not the order expected: pdfkit's own way, and no later reference of the document left uncompressed.
        doc.ref = ref;
        return encode.call(font.subset);
      }
      file.data.Length ??= 0;
      file.data.Filter = 'FlateDecode';
      return bytes;
    };
    try {
      embed();
    } finally {
      doc.ref = ref;
      font.subset.encode = encode;
    }
  };
}
