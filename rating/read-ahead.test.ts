import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

describe('readAhead', () => {
  it('yields in order with at most `ahead` reads in flight, whatever order they finish in', async () => {
    let inFlight = 0;
    let most = 0;
    const read = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, (10 - n) % 4));
      inFlight--;
      return n * 10;
    };
    const out: [number, number][] = [];
    for await (const pair of readAhead([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, read)) out.push(pair);
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [n, n * 10]));
    expect(most).toBe(3);
  });

  it('surfaces a failed read at its turn and leaves no unhandled rejection behind', async () => {
    const seen: number[] = [];
    const read = async (n: number) => (n === 2 ? Promise.reject(new Error('read 2 failed')) : n);
    await expect((async () => {
      for await (const [n] of readAhead([1, 2, 3], 3, read)) seen.push(n);
    })()).rejects.toThrow('read 2 failed');
    expect(seen).toEqual([1]);
  });
});
