// RouterOS API framing against the byte layouts of the MikroTik manual, at every length-size boundary.
import { describe, expect, it } from 'vitest';
import { ApiFramingError, attributes, decodeLength, encodeLength, encodeSentence, encodeWord, SentenceReader, tagOf } from './api-words.js';

// [length, its encoding as the manual lays it out]: the last value of each size and the first of the next.
const BOUNDARIES: [number, string][] = [
  [0x00, '00'],
  [0x7f, '7f'],
  [0x80, '8080'], // 0x80 | 0x8000
  [0x3fff, 'bfff'],
  [0x4000, 'c04000'], // 0x4000 | 0xC00000
  [0x1fffff, 'dfffff'],
  [0x200000, 'e0200000'], // 0x200000 | 0xE0000000
  [0xfffffff, 'efffffff'],
  [0x10000000, 'f010000000'], // 0xF0, then the length as 4 bytes
  [0xffffffff, 'f0ffffffff'],
];

describe('word length encoding', () => {
  it.each(BOUNDARIES)('length 0x%s encodes as %s and decodes back', (n, hex) => {
    expect(encodeLength(n).toString('hex')).toBe(hex);
    expect(decodeLength(Buffer.from(hex, 'hex'))).toEqual({ length: n, size: hex.length / 2 });
  });

  it('rejects lengths that cannot be encoded', () => {
    expect(() => encodeLength(-1)).toThrow(RangeError);
    expect(() => encodeLength(2 ** 32)).toThrow(RangeError);
    expect(() => encodeLength(1.5)).toThrow(RangeError);
  });

  it('reports an incomplete length as undefined, not as a short one', () => {
    for (const [, hex] of BOUNDARIES) {
      const full = Buffer.from(hex, 'hex');
      for (let cut = 0; cut < full.length; cut++) expect(decodeLength(full.subarray(0, cut))).toBeUndefined();
    }
  });

  it('refuses control bytes (0xF8 and up) and the unused 0xF1–0xF7', () => {
    for (const b of [0xf1, 0xf7, 0xf8, 0xff]) expect(() => decodeLength(Buffer.from([b, 0, 0, 0, 0]))).toThrow(ApiFramingError);
  });
});

describe('words and sentences', () => {
  it('encodes a word as its length then its UTF-8 bytes', () => {
    expect(encodeWord('/login').toString('hex')).toBe('062f6c6f67696e');
    expect(encodeWord('=name=Zoë').toString('hex')).toBe('0a' + Buffer.from('=name=Zoë').toString('hex'));
    const long = 'x'.repeat(0x80);
    expect(encodeWord(long).subarray(0, 2).toString('hex')).toBe('8080');
  });

  it('ends a sentence with a zero-length word', () => {
    expect(encodeSentence(['!done', '.tag=7']).toString('hex')).toBe('05' + Buffer.from('!done').toString('hex') + '06' + Buffer.from('.tag=7').toString('hex') + '00');
  });

  it('reassembles sentences cut at every byte, including inside multi-byte lengths', () => {
    // Words of each length size that fits in memory here: 1, 2 and 3 length bytes.
    const sentences = [['!re', '=name=' + 'q'.repeat(0x7f - 6), '=comment=' + 'c'.repeat(0x3fff), '.tag=1'], ['!re', '=x=' + 'y'.repeat(0x4000)], ['!done', '.tag=1']];
    const stream = Buffer.concat(sentences.map(encodeSentence));
    for (const step of [1, 2, 3, 7, 127, 128, 16_385]) {
      const reader = new SentenceReader();
      const got: string[][] = [];
      for (let at = 0; at < stream.length; at += step) got.push(...reader.push(stream.subarray(at, at + step)));
      expect(got).toEqual(sentences);
      expect(reader.partial).toBe(false);
    }
  });

  it('reads a 4-byte length (0x200000) and a 5-byte one', () => {
    const big = 'z'.repeat(0x200000);
    const reader = new SentenceReader();
    const bytes = encodeSentence(['!re', `=b=${big.slice(3)}`]);
    expect(bytes.subarray(4, 8).toString('hex')).toBe('e0200000');
    expect(reader.push(bytes)).toEqual([['!re', `=b=${big.slice(3)}`]]);
    // A 5-byte length (0x10000000) is above the cap: refused at once instead of buffering 256 MiB.
    const five = new SentenceReader();
    expect(() => five.push(Buffer.from('f010000000', 'hex'))).toThrow(/exceeds/);
  });

  it('ignores empty sentences and keeps a cut sentence as partial', () => {
    const reader = new SentenceReader();
    expect(reader.push(Buffer.from([0, 0]))).toEqual([]);
    expect(reader.push(encodeSentence(['!re', '=a=1']).subarray(0, 6))).toEqual([]);
    expect(reader.partial).toBe(true);
  });

  it('throws on a control byte in the stream', () => {
    expect(() => new SentenceReader().push(Buffer.from([0x03, 0x21, 0x72, 0x65, 0xf8]))).toThrow(ApiFramingError);
  });

  it('splits attributes at the second "=" only, and finds the tag', () => {
    const words = ['!re', '=.id=*1A', '=comment=a=b', '=disabled=', '.tag=42'];
    expect(attributes(words)).toEqual({ '.id': '*1A', comment: 'a=b', disabled: '' });
    expect(tagOf(words)).toBe('42');
    expect(tagOf(['!done'])).toBeUndefined();
  });
});
