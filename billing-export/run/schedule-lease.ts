// The scheduler's lease: a row in the ledger that one scheduler holds and renews, so two never bill at once.
import { hostname } from 'node:os';
import type { Ledger } from '../ledger/ledger.js';

export interface LeaseHolder {
  holder: string;
  expiresAt: number;
}

const NAME = 'billing-scheduler';

/** "host:pid": who holds the lease, readable in an error message. */
export function leaseHolderId(): string {
  return `${hostname()}:${process.pid}`;
}

export class SchedulerLease {
  constructor(private readonly ledger: Ledger, private readonly holder: string, private readonly leaseMs: number) {}

  /**
   * Takes the lease when free, expired, ours, or held by a process of this host that no longer exists (a scheduler
   * killed with -9 need not wait out its lease). Returns the other holder when refused.
   */
  acquire(now: number): { ok: true } | { ok: false; held: LeaseHolder } {
    return this.ledger.write(() => {
      const row = this.ledger.db.prepare('SELECT holder, expires_at FROM scheduler_lease WHERE name = ?').get(NAME) as { holder: string; expires_at: number } | undefined;
      if (row && row.holder !== this.holder && row.expires_at > now && !deadOnThisHost(row.holder)) {
        return { ok: false as const, held: { holder: row.holder, expiresAt: row.expires_at } };
      }
      this.ledger.db.prepare(`
        INSERT INTO scheduler_lease (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`)
        .run(NAME, this.holder, now, now + this.leaseMs);
      return { ok: true as const };
    });
  }

  /** Extends our lease; false when it was lost (expired and taken over), and the caller must stop billing. */
  renew(now: number): boolean {
    const r = this.ledger.write(() => this.ledger.db.prepare('UPDATE scheduler_lease SET expires_at = ? WHERE name = ? AND holder = ?').run(now + this.leaseMs, NAME, this.holder));
    return r.changes === 1;
  }

  release(): void {
    this.ledger.write(() => this.ledger.db.prepare('DELETE FROM scheduler_lease WHERE name = ? AND holder = ?').run(NAME, this.holder));
  }
}

function deadOnThisHost(holder: string): boolean {
  const i = holder.lastIndexOf(':');
  if (i < 0 || holder.slice(0, i) !== hostname()) return false;
  const pid = Number(holder.slice(i + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
