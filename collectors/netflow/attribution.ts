// Which subscriber a flow belongs to: destination = down, source = up; by RADIUS leases or static prefixes.
import type { Lease } from '../pipeline/lease.js';
import { AddressMemo } from './address-memo.js';
import type { FlowAddress } from './flow-record.js';
import { PrefixTable } from './prefix-table.js';

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
  | { kind: 'subscriber'; subscriber: string; direction: 'down' | 'up'; /** The far end, for the class lookup. */ remote: FlowAddress }
  | { kind: 'internal'; down: string; up: string }
  | { kind: 'unattributed' };

/** Static prefixes plus leases indexed by prefix; build once per lease refresh, query per flow. */
export class SubscriberMap {
  private readonly statics = new PrefixTable<string>();
  private readonly leases = new PrefixTable<Lease[]>();
  /**
   * IPv4 answers of subscriberAt() with the time range each holds over: a flow's two ends are asked per flow, and
   * a datagram's addresses recur (a subscriber's many flows, popular remote hosts). It needs no invalidation: the
   * map is immutable and the collector builds a new one (with an empty memo) whenever the leases change.
   */
  private readonly memo = new AddressMemo<string | undefined>();

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
  subscriberAt(address: FlowAddress, at: number): string | undefined {
    if (typeof address !== 'number') return this.lookup(address, at);
    const slot = this.memo.find(address, at);
    return slot >= 0 ? this.memo.answer(slot) : this.remember(address, at);
  }

  /** Looks up an IPv4 address and memoizes the answer; apart from subscriberAt() so that V8 inlines that. */
  private remember(address: number, at: number): string | undefined {
    const subscriber = this.lookup(address, at);
    // The answer can change only where a lease covering the address starts or ends: it holds from the last such
    // moment at or before `at` until the next one after it (for ever when no lease covers the address).
    let from = Number.NEGATIVE_INFINITY;
    let until = Number.POSITIVE_INFINITY;
    if (!this.leases.empty) {
      for (const m of this.leases.matches4(address)) {
        for (const l of m.value) {
          for (const edge of [l.from, l.to]) {
            if (edge === undefined) continue;
            if (edge <= at) from = Math.max(from, edge);
            else until = Math.min(until, edge);
          }
        }
      }
    }
    this.memo.set(address, subscriber, from, until);
    return subscriber;
  }

  private lookup(address: FlowAddress, at: number): string | undefined {
    const lease = this.leases.empty ? undefined : this.leases.lookup(address, anyValidAt, at);
    const fixed = this.statics.empty ? undefined : this.statics.lookup(address);
    if (lease && (!fixed || lease.bits >= fixed.bits)) {
      // Newest valid lease: an address handed from one session to the next overlaps by a moment at most.
      let best: Lease | undefined;
      for (const l of lease.value) if (validAt(l, at) && (!best || l.from > best.from)) best = l;
      return best?.subscriber;
    }
    return fixed?.value;
  }

  /**
   * The subscriber of one end of a flow: at its end time, or at its start when no lease covered the end (a
   * session that closed while its last flow was still being exported). FlowAccounting calls it per flow end.
   */
  subscriberOf(address: FlowAddress, start: number, end: number): string | undefined {
    const atEnd = this.subscriberAt(address, end);
    if (atEnd !== undefined || start === end || this.leases.empty) return atEnd;
    // Static entries do not change with time: only a lease prefix covering the address can answer differently at
    // the start. For IPv4 the memo knows (its answer then holds for ever); text addresses are checked.
    if (typeof address !== 'number' && !this.leases.lookup(address)) return atEnd;
    return this.subscriberAt(address, start);
  }

  /** Attributes a flow by both of its ends (see subscriberOf). */
  attribute(flow: { srcAddr: FlowAddress; dstAddr: FlowAddress; start: number; end: number }): Attribution {
    const down = this.subscriberOf(flow.dstAddr, flow.start, flow.end);
    const up = this.subscriberOf(flow.srcAddr, flow.start, flow.end);
    if (down !== undefined && up !== undefined) return { kind: 'internal', down, up };
    if (down !== undefined) return { kind: 'subscriber', subscriber: down, direction: 'down', remote: flow.srcAddr };
    if (up !== undefined) return { kind: 'subscriber', subscriber: up, direction: 'up', remote: flow.dstAddr };
    return { kind: 'unattributed' };
  }
}

const validAt = (l: Lease, at: number): boolean => l.from <= at && (l.to === undefined || at < l.to);
function anyValidAt(list: Lease[], at: number): boolean {
  for (const l of list) if (validAt(l, at)) return true;
  return false;
}
