// RouterOS API framing: words (length-prefixed bytes) and sentences (words ended by an empty word).
//
// From the MikroTik API manual: a word is its length, encoded in 1–5 bytes, then that many bytes. The length
// encoding is a prefix code read from the top bits of the first byte:
//   0xxxxxxx                      < 0x80           1 byte
//   10xxxxxx + 1 byte             < 0x4000         2 bytes (len | 0x8000)
//   110xxxxx + 2 bytes            < 0x200000       3 bytes (len | 0xC00000)
//   1110xxxx + 3 bytes            < 0x10000000     4 bytes (len | 0xE0000000)
//   11110000 + 4 bytes            otherwise        5 bytes (0xF0, then len as 32 bits)
// A first byte of 0xF8 or above is a reserved control byte; 0xF1–0xF7 are not a length either. Both mean the
// stream cannot be parsed any further. A zero-length word ends a sentence; an empty sentence is ignored.

/** The peer sent bytes that are not RouterOS API framing; the connection cannot be read any further. */
export class ApiFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiFramingError';
  }
}

/** Longest word accepted from a peer. Real replies are a few hundred bytes; this stops a bogus length eating memory. */
export const MAX_WORD_BYTES = 16 * 1024 * 1024;

export function encodeLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`word length ${n} out of range`);
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([(n >>> 8) | 0x80, n & 0xff]);
  if (n < 0x200000) return Buffer.from([(n >>> 16) | 0xc0, (n >>> 8) & 0xff, n & 0xff]);
  if (n < 0x10000000) return Buffer.from([(n >>> 24) | 0xe0, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xf0;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Words are UTF-8 text here (RouterOS v7 names and comments are UTF-8; ASCII is the same in every charset). */
export function encodeWord(word: string): Buffer {
  const body = Buffer.from(word, 'utf8');
  return Buffer.concat([encodeLength(body.length), body]);
}

export function encodeSentence(words: readonly string[]): Buffer {
  return Buffer.concat([...words.map(encodeWord), Buffer.from([0])]);
}

/**
 * The length at `buf[at]`: `{ length, size }` with `size` the bytes the length took, or undefined when the buffer
 * ends inside the length. Throws ApiFramingError on a control byte.
 */
export function decodeLength(buf: Buffer, at = 0): { length: number; size: number } | undefined {
  if (at >= buf.length) return undefined;
  const b = buf[at]!;
  const size = b < 0x80 ? 1 : b < 0xc0 ? 2 : b < 0xe0 ? 3 : b < 0xf0 ? 4 : b === 0xf0 ? 5 : 0;
  if (size === 0) throw new ApiFramingError(`control byte 0x${b.toString(16)} where a word length was expected`);
  if (at + size > buf.length) return undefined;
  if (size === 1) return { length: b, size };
  if (size === 5) return { length: buf.readUInt32BE(at + 1), size };
  // The first byte keeps its low bits (6, 5 or 4 of them); the rest follow big-endian.
  let n = b & (0xff >>> size);
  for (let i = 1; i < size; i++) n = n * 256 + buf[at + i]!;
  return { length: n, size };
}

/** Reassembles sentences from a byte stream cut anywhere (TCP segments, TLS records). */
export class SentenceReader {
  private pending: Buffer = Buffer.alloc(0);
  private words: string[] = [];

  /** Feeds bytes; returns the sentences they complete, in order. Throws ApiFramingError on bad framing. */
  push(chunk: Buffer): string[][] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[][] = [];
    let at = 0;
    for (;;) {
      const len = decodeLength(buf, at);
      if (!len) break;
      if (len.length > MAX_WORD_BYTES) throw new ApiFramingError(`word of ${len.length} bytes exceeds ${MAX_WORD_BYTES}`);
      if (at + len.size + len.length > buf.length) break;
      const start = at + len.size;
      at = start + len.length;
      if (len.length === 0) {
        if (this.words.length) out.push(this.words);
        this.words = [];
      } else {
        this.words.push(buf.toString('utf8', start, at));
      }
    }
    this.pending = buf.subarray(at);
    return out;
  }

  /** Bytes held for an unfinished word plus words of an unfinished sentence: non-zero means a reply was cut short. */
  get partial(): boolean {
    return this.pending.length > 0 || this.words.length > 0;
  }
}

/** `=key=value` attribute words of a reply as a record; other words (the reply word, `.tag=`) are skipped. */
export function attributes(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    if (!w.startsWith('=')) continue;
    // The value may itself contain '=' (comments, scripts): only the second '=' separates.
    const eq = w.indexOf('=', 1);
    if (eq < 0) out[w.slice(1)] = '';
    else out[w.slice(1, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** The `.tag=` of a sentence, if any. */
export function tagOf(words: readonly string[]): string | undefined {
  const w = words.find((x) => x.startsWith('.tag='));
  return w?.slice(5);
}
