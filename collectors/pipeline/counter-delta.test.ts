import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterTracker, counterDelta } from './counter-delta.js';

const M32 = 2n ** 32n;

describe('counterDelta', () => {
  it('gives no usage on the first reading', () => {
    expect(counterDelta(undefined, 123_456n, 64)).toEqual({ delta: 0n, kind: 'first' });
  });

  it('subtracts when the counter advanced', () => {
    expect(counterDelta(1_000n, 1_500n, 32)).toEqual({ delta: 500n, kind: 'advance' });
  });

  it('wraps a 32-bit counter once: 2^32 − 100 → 50 is 150 bytes', () => {
    expect(counterDelta(M32 - 100n, 50n, 32)).toEqual({ delta: 150n, kind: 'wrap' });
  });

  it('treats a 64-bit counter that went down as a reset, never a 2^64 spike', () => {
    expect(counterDelta(5_000_000n, 700n, 64)).toEqual({ delta: 700n, kind: 'reset' });
  });

  it('takes the whole value after a signalled reset, even above the previous reading', () => {
    expect(counterDelta(1_000n, 4_000n, 32, true)).toEqual({ delta: 4_000n, kind: 'reset' });
  });

  it('treats a 32-bit reading that is not a 32-bit value as a reset', () => {
    expect(counterDelta(M32 + 10n, 5n, 32).kind).toBe('reset');
  });

  it('rejects negative readings', () => {
    expect(() => counterDelta(0n, -1n, 64)).toThrow(RangeError);
  });

  it('sums the deltas of a 32-bit counter to the true traffic across any number of wraps (one per interval)', () => {
    fc.assert(fc.property(fc.bigInt(0n, M32 - 1n), fc.array(fc.bigInt(0n, M32 - 1n), { maxLength: 50 }), (start, steps) => {
      let value = start;
      let prev: bigint | undefined = start;
      let sum = 0n;
      for (const s of steps) {
        value = (value + s) % M32;
        sum += counterDelta(prev, value, 32).delta;
        prev = value;
      }
      return sum === steps.reduce((a, b) => a + b, 0n);
    }));
  });
});

describe('CounterTracker', () => {
  it('remembers readings per key and survives a snapshot round trip', () => {
    const t = new CounterTracker();
    expect(t.observe('q1:in', 10n, 64).kind).toBe('first');
    expect(t.observe('q1:in', 25n, 64).delta).toBe(15n);
    const restored = new CounterTracker(t.snapshot());
    expect(restored.observe('q1:in', 40n, 64).delta).toBe(15n);
  });

  it('peek does not remember; forget makes the next reading a first sight', () => {
    const t = new CounterTracker({ a: '100' });
    expect(t.peek('a', 150n, 64).delta).toBe(50n);
    expect(t.observe('a', 160n, 64).delta).toBe(60n);
    t.forget('a');
    expect(t.observe('a', 5n, 64).kind).toBe('first');
  });
});
