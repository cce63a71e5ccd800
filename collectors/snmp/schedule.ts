// Poll timing: each target on a fixed grid (interval, phase from its name) and a bound on polls in flight.
import { hash } from 'node:crypto';

/**
 * The target's phase within the interval, from its name: stable across restarts (intervals line up with the
 * stored ones) and spread evenly enough that 200 targets at 60 s do not all fire in the same second.
 */
export function phaseOf(name: string, intervalMs: number): number {
  return Number(BigInt('0x' + hash('sha256', name, 'hex').slice(0, 12)) % BigInt(intervalMs));
}

/** The first grid point at or after `now`. */
export function firstDue(name: string, intervalMs: number, now: number): number {
  const phase = phaseOf(name, intervalMs);
  const base = now - (((now - phase) % intervalMs) + intervalMs) % intervalMs;
  return base >= now ? base : base + intervalMs;
}

/** The grid point after `due` that is still ahead of `now` (slots already past are skipped). */
export function nextDue(due: number, intervalMs: number, now: number): number {
  let next = due + intervalMs;
  if (next <= now) next += Math.ceil((now - next + 1) / intervalMs) * intervalMs;
  return next;
}

/** A counting semaphore with a FIFO queue. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves once a slot is free, with its release function and whether it had to wait for it. */
  async acquire(): Promise<{ release: () => void; queued: boolean }> {
    const queued = this.free === 0;
    if (queued) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.free--;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
    return { release, queued };
  }
}
