// The poll grid (phase by name, slots skipped when late) and the concurrency bound.
import { describe, expect, it } from 'vitest';
import { firstDue, nextDue, phaseOf, Slots } from './schedule.js';

describe('schedule', () => {
  it('puts each target on a stable grid with a phase from its name', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0, 123);
    const due = firstDue('tower-7', 60_000, now);
    expect(due).toBeGreaterThanOrEqual(now);
    expect(due - now).toBeLessThan(60_000);
    expect(due % 60_000).toBe(phaseOf('tower-7', 60_000));
    expect(firstDue('tower-7', 60_000, now + 1)).toBe(due === now ? due + 60_000 : due);
  });

  it('spreads 200 targets over the interval', () => {
    const phases = Array.from({ length: 200 }, (_, i) => phaseOf(`t${i}`, 60_000));
    const perTenSeconds = [0, 0, 0, 0, 0, 0];
    for (const p of phases) perTenSeconds[Math.floor(p / 10_000)]!++;
    for (const n of perTenSeconds) expect(n).toBeGreaterThan(15);
  });

  it('skips grid points already past instead of bunching them', () => {
    expect(nextDue(1000, 500, 1200)).toBe(1500);
    expect(nextDue(1000, 500, 1500)).toBe(2000);
    expect(nextDue(1000, 500, 2740)).toBe(3000);
  });

  it('bounds how many run at once and hands slots over in order', async () => {
    const slots = new Slots(2);
    const order: number[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire().then((r) => (order.push(3), r));
    const d = slots.acquire().then((r) => (order.push(4), r));
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]);
    expect([a.queued, b.queued]).toEqual([false, false]);
    a.release();
    a.release(); // a second release of the same slot is ignored
    const third = await c;
    expect(third.queued).toBe(true);
    third.release();
    b.release();
    (await d).release();
    expect(order).toEqual([3, 4]);
    expect((await slots.acquire()).queued).toBe(false);
  });
});
