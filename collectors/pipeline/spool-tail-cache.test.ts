import { describe, expect, it } from 'vitest';
import { TailCache } from './spool-tail-cache.js';
import type { UsageRecord } from './usage-record.js';

const rec = (id: string): UsageRecord => ({ id, source: 'radius', device: 'd', subscriber: 's', start: 0, end: 1, bytesDown: 1n, bytesUp: 2n });
const frame = (n: number) => ({ frame: Buffer.alloc(n), records: [rec(`r${n}`)] });

describe('TailCache', () => {
  it('serves contiguous entries from an entry boundary, within the entry and byte limits', () => {
    const c = new TailCache(1000);
    c.add(100, [frame(10), frame(20), frame(30)]);
    expect(c.read(100, 10, 1000)?.map((e) => [e.offset, e.next])).toEqual([[100, 110], [110, 130], [130, 160]]);
    expect(c.read(110, 1, 1000)?.map((e) => e.offset)).toEqual([110]);
    expect(c.read(100, 10, 25)?.map((e) => e.offset)).toEqual([100]); // 10 + 20 > 25
    expect(c.read(160, 10, 1000)).toEqual([]); // caught up
    expect(c.read(99, 10, 1000)).toBeUndefined(); // before the cache: read the disk
    expect(c.read(105, 10, 1000)).toBeUndefined(); // not a boundary: the disk path reports it
  });

  it('drops the oldest past its byte budget and what every consumer is past', () => {
    const c = new TailCache(50);
    c.add(0, [frame(20), frame(20)]);
    c.add(40, [frame(20)]); // 60 > 50: the first goes
    expect(c.read(0, 10, 1000)).toBeUndefined();
    expect(c.read(20, 10, 1000)?.length).toBe(2);
    c.trimBefore(40);
    expect(c.read(20, 10, 1000)).toBeUndefined();
    expect(c.read(40, 10, 1000)?.length).toBe(1);
  });

  it('starts over when a group does not follow the last one', () => {
    const c = new TailCache(1000);
    c.add(0, [frame(10)]);
    c.add(50, [frame(10)]);
    expect(c.read(0, 10, 1000)).toBeUndefined();
    expect(c.read(50, 10, 1000)?.map((e) => e.next)).toEqual([60]);
  });
});
