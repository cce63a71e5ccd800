// Which subscriber a flow belongs to: destination = down, source = up; by RADIUS leases or static prefixes.
import type { Lease } from '../pipeline/lease.js';
import { PrefixTable, type PrefixMatch } from './prefix-table.js';

export interface StaticAssignment {
  /** "100.64.5.0/24", "203.0.113.7", "2001:db8:100::/48". */
  prefix: string;
  subscriber: string;
}

/**
 * The result for one flow. A closed set: `internal` (both ends are subscribers, e.g. hairpinned traffic
 * between customers) and `unattributed` (neither end is) are counted with their totals, never dropped.
 */
export type Attribution =
  | { kind: 'subscriber'; subscriber: string; direction: 'down' | 'up'; /** The far end, for the class lookup. */ remote: string }
  | { kind: 'internal'; down: string; up: string }
  | { kind: 'unattributed' };

/** Static prefixes plus leases indexed by prefix; build once per lease refresh, query per flow. */
export class SubscriberMap {
  private readonly statics = new PrefixTable<string>();
  private readonly leases = new PrefixTable<Lease[]>();

  /** Entries that are not prefixes are ignored: config validation refuses them before this point. */
  constructor(statics: readonly StaticAssignment[], leases: readonly Lease[]) {
    for (const s of statics) this.statics.add(s.prefix, s.subscriber);
    const grouped = new Map<string, Lease[]>();
    for (const l of leases) {
      const list = grouped.get(l.prefix) ?? [];
      list.push(l);
      grouped.set(l.prefix, list);
    }
    for (const [prefix, list] of grouped) this.leases.add(prefix, list);
  }

  /**
   * The subscriber holding an address at `at` (ms), or undefined. A lease counts when at ∈ [from, to).
   * Longest prefix wins across leases and static entries; on equal length the lease wins (it is what the
   * network actually assigned at that moment).
   */
  subscriberAt(address: string, at: number): string | undefined {
    const valid = (list: Lease[]) => list.some((l) => l.from <= at && (l.to === undefined || at < l.to));
    const lease: PrefixMatch<Lease[]> | undefined = this.leases.lookup(address, valid);
    const fixed = this.statics.lookup(address);
    if (lease && (!fixed || lease.bits >= fixed.bits)) {
      // Newest valid lease: an address handed from one session to the next overlaps by a moment at most.
      let best: Lease | undefined;
      for (const l of lease.value) if (l.from <= at && (l.to === undefined || at < l.to) && (!best || l.from > best.from)) best = l;
      return best?.subscriber;
    }
    return fixed?.value;
  }

  /**
   * Attributes a flow at its end time, or at its start when no lease covered the end (a session that closed
   * while its last flow was still being exported).
   */
  attribute(flow: { srcAddr: string; dstAddr: string; start: number; end: number }): Attribution {
    const who = (a: string) => this.subscriberAt(a, flow.end) ?? (flow.start !== flow.end ? this.subscriberAt(a, flow.start) : undefined);
    const down = who(flow.dstAddr);
    const up = who(flow.srcAddr);
    if (down !== undefined && up !== undefined) return { kind: 'internal', down, up };
    if (down !== undefined) return { kind: 'subscriber', subscriber: down, direction: 'down', remote: flow.srcAddr };
    if (up !== undefined) return { kind: 'subscriber', subscriber: up, direction: 'up', remote: flow.dstAddr };
    return { kind: 'unattributed' };
  }
}
