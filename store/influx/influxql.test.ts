// InfluxQL building (escaping, bounds, buckets) and the lossless reading of /query answers.
import { describe, expect, it } from 'vitest';
import { parseJsonLossless, JsonNumber } from './lossless-json.js';
import { parseUsageAnswer, quoteStringLiteral, usageInfluxQL } from './influxql.js';

describe('usageInfluxQL', () => {
  it('sums per subscriber over [from, to) in ms', () => {
    expect(usageInfluxQL({ from: 1000, to: 2000 })).toBe(
      'SELECT sum("bytes_down") AS "bytes_down", sum("bytes_up") AS "bytes_up" FROM "usage" WHERE time >= 1000ms AND time < 2000ms GROUP BY "subscriber"',
    );
  });

  it('adds an escaped subscriber filter, a time bucket and a retention policy', () => {
    const q = usageInfluxQL({ from: 0, to: 1, subscriber: "o'b\\x", step: '1h' }, 'one year');
    expect(q).toContain(`FROM "one year"."usage"`);
    expect(q).toContain(`AND "subscriber" = 'o\\'b\\\\x'`);
    expect(q).toMatch(/GROUP BY "subscriber", time\(1h\) fill\(none\)$/);
  });

  it('quotes string literals with backslash escapes and no raw newline', () => {
    expect(quoteStringLiteral("a'b\nc")).toBe("'a\\'b\\nc'");
  });

  it('refuses non-integer bounds', () => {
    expect(() => usageInfluxQL({ from: 1.5, to: 2 })).toThrow(RangeError);
  });
});

describe('parseJsonLossless', () => {
  it('keeps integers above 2^53 digit for digit', () => {
    const v = parseJsonLossless('{"a":[9007199254740993, -1.5e3, "x\\"y", true, null, {}]}');
    expect(v).toEqual({ a: [new JsonNumber('9007199254740993'), new JsonNumber('-1.5e3'), 'x"y', true, null, {}] });
  });

  it('rejects broken JSON with the offset', () => {
    expect(() => parseJsonLossless('{"a":1,}')).toThrow(/offset 7/);
    expect(() => parseJsonLossless('[1] x')).toThrow(/trailing/);
  });
});

describe('parseUsageAnswer', () => {
  const body =
    '{"results":[{"statement_id":0,"series":[' +
    '{"name":"usage","tags":{"subscriber":"a,b \\"c\\""},"columns":["time","bytes_down","bytes_up"],"values":[[0,18014398509481986,null]]},' +
    '{"name":"usage","tags":{"subscriber":""},"columns":["time","bytes_down","bytes_up"],"values":[[0,1,2]]}]}]}';

  it('reads sums above 2^53 exactly and null sums as zero; without a step, time is `from`', () => {
    expect(parseUsageAnswer(body, { from: 42, to: 50 })).toEqual([
      { subscriber: 'a,b "c"', time: 42, bytesDown: 18014398509481986n, bytesUp: 0n },
      { subscriber: '', time: 42, bytesDown: 1n, bytesUp: 2n },
    ]);
  });

  it('takes bucket times from the answer when a step was asked for', () => {
    const b = '{"results":[{"series":[{"name":"usage","tags":{"subscriber":"x"},"columns":["time","bytes_down","bytes_up"],"values":[[300000,1,1],[600000,2,2]]}]}]}';
    expect(parseUsageAnswer(b, { from: 0, to: 1e6, step: '5m' }).map((r) => r.time)).toEqual([300000, 600000]);
  });

  it('reports query errors and float sums', () => {
    expect(() => parseUsageAnswer('{"results":[{"error":"database not found: x"}]}', { from: 0, to: 1 })).toThrow(/database not found/);
    const floats = '{"results":[{"series":[{"name":"usage","tags":{"subscriber":"x"},"columns":["time","bytes_down","bytes_up"],"values":[[0,1.5,1]]}]}]}';
    expect(() => parseUsageAnswer(floats, { from: 0, to: 1 })).toThrow(/not an integer \(1.5\)/);
  });

  it('answers no rows for an empty result', () => {
    expect(parseUsageAnswer('{"results":[{"statement_id":0}]}', { from: 0, to: 1 })).toEqual([]);
  });
});
