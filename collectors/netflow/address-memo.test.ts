// The direct-mapped per-address memo: misses when empty, answers only inside their time range, bounded by overwrite.
import { describe, expect, it } from 'vitest';
import { AddressMemo } from './address-memo.js';
import { ipv4 } from './testdata/packets.js';

/** The memo's answer, or 'miss'. */
const lookup = <T>(m: AddressMemo<T>, address: number, at: number): T | 'miss' => {
  const slot = m.find(address, at);
  return slot < 0 ? 'miss' : m.answer(slot);
};

describe('AddressMemo', () => {
  it('misses on an empty slot, 0.0.0.0 included', () => {
    const m = new AddressMemo<string>(4);
    expect(lookup(m, 0, 0)).toBe('miss');
    expect(lookup(m, ipv4('255.255.255.255'), 0)).toBe('miss');
  });

  it('answers inside [from, until) only; undefined is an answer, not a miss; addresses above 2^31 too', () => {
    const m = new AddressMemo<string | undefined>(8);
    const a = ipv4('198.51.100.7');
    m.set(a, 'alice', 1000, 5000);
    expect([999, 1000, 4999, 5000].map((t) => lookup(m, a, t))).toEqual(['miss', 'alice', 'alice', 'miss']);
    m.set(a, undefined);
    expect(lookup(m, a, -1e15)).toBeUndefined();
    expect(lookup(m, a, Number.NaN)).toBe('miss');
  });

  it('a slot holds one address: a colliding address replaces it, and the other then misses', () => {
    const m = new AddressMemo<number>(1); // two slots: among three addresses two must share one
    const addrs = [ipv4('10.0.0.1'), ipv4('10.0.0.2'), ipv4('10.0.0.3')];
    for (const a of addrs) m.set(a, a);
    const hits = addrs.filter((a) => lookup(m, a, 0) === a);
    expect(hits.length).toBeLessThanOrEqual(2);
    expect(hits).toContain(addrs[2]);
    for (const a of addrs) expect([a, 'miss']).toContain(lookup(m, a, 0));
  });
});
