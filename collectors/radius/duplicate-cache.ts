// Duplicate detection (RFC 5080 §2.2.2): same source IP/port, Identifier and Request Authenticator.

export type DuplicateCheck =
  | { kind: 'new' }
  /** The first copy is still being processed (awaiting the spool fsync): ignore this one. */
  | { kind: 'in_flight' }
  | { kind: 'answered'; response: Buffer };

type Entry = { state: 'in_flight' } | { state: 'answered'; response: Buffer; expires: number };

export class DuplicateCache {
  // Insertion-ordered, and every answered entry lives for the same window, so expiry is pruned from the front.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly windowMs: number) {}

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('hex')}`;
  }

  /** Looks the request up; a new one is marked in flight. */
  check(key: string, now: number): DuplicateCheck {
    this.prune(now);
    const e = this.entries.get(key);
    if (!e) {
      this.entries.set(key, { state: 'in_flight' });
      return { kind: 'new' };
    }
    return e.state === 'in_flight' ? { kind: 'in_flight' } : { kind: 'answered', response: e.response };
  }

  answered(key: string, response: Buffer, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { state: 'answered', response, expires: now + this.windowMs });
  }

  /** Processing failed without a response: forget it so the NAS's retransmit is processed afresh. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.state === 'in_flight') continue;
      if (e.expires > now) break;
      this.entries.delete(k);
    }
  }
}
