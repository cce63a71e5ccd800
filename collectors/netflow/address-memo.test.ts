// The direct-mapped per-address memo: misses when empty, answers only inside their time range, bounded by overwrite.
import { describe, expect, it } from 'vitest';
import { AddressMemo, MISS } from './address-memo.js';
import { ipv4 } from './testdata/packets.js';

describe('AddressMemo', () => {
  it('misses on an empty slot, 0.0.0.0 included', () => {
    const m = new AddressMemo<string>(4);
    expect(m.get(0, 0)).toBe(MISS);
    expect(m.get(ipv4('255.255.255.255'), 0)).toBe(MISS);
  });

  it('answers inside [from, until) only; undefined is an answer, not a miss; addresses above 2^31 too', () => {
    const m = new AddressMemo<string | undefined>(8);
    const a = ipv4('198.51.100.7');
    m.set(a, 'alice', 1000, 5000);
    expect([m.get(a, 999), m.get(a, 1000), m.get(a, 4999), m.get(a, 5000)]).toEqual([MISS, 'alice', 'alice', MISS]);
    m.set(a, undefined);
    expect(m.get(a, -1e15)).toBeUndefined();
    expect(m.get(a, Number.NaN)).toBe(MISS);
  });

  it('a slot holds one address: a colliding address replaces it, and the other then misses', () => {
    const m = new AddressMemo<number>(1); // two slots: among three addresses two must share one
    const addrs = [ipv4('10.0.0.1'), ipv4('10.0.0.2'), ipv4('10.0.0.3')];
    for (const a of addrs) m.set(a, a);
    const hits = addrs.filter((a) => m.get(a, 0) === a);
    expect(hits.length).toBeLessThanOrEqual(2);
    expect(hits).toContain(addrs[2]);
    for (const a of addrs) expect([a, MISS]).toContain(m.get(a, 0));
  });
});
