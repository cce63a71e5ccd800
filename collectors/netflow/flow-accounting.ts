// From decoded flows to usage: per-flow total→delta, sampling, attribution, class, then the aggregator.
import type { UsageRecord } from '../pipeline/usage-record.js';
import type { SubscriberMap } from './attribution.js';
import type { FlowCount, FlowRecord } from './flow-record.js';
import type { FlowQuarantine } from './quarantine.js';
import type { TotalCounters } from './total-counters.js';
import type { TrafficClassifier } from './traffic-class.js';
import { INTERNAL, UNATTRIBUTED, type UsageAggregator } from './usage-aggregator.js';

/** Which exporter a datagram came from, as config names it. */
export interface ExporterInfo {
  /** The `device` of its records. */
  name: string;
  /** A configured 1-in-N that wins over what the exporter announces. */
  samplingInterval?: number;
}

export type AttributionKind = 'subscriber' | 'internal' | 'unattributed';

/** Sampled-up octets by attribution outcome, of one class. Doubles, like the Prometheus counter they feed. */
export type AttributionTotals = Record<AttributionKind, number>;

export interface FlowAccountingDeps {
  /** Current map of leases and static prefixes; rebuilt by the collector when leases change. */
  subscribers: () => SubscriberMap;
  classifier: TrafficClassifier;
  totals: TotalCounters;
  aggregator: UsageAggregator;
  /** Told of each unattributed flow, to keep its addresses (unattributed-addresses.ts). */
  unattributed?: { add(src: FlowRecord['srcAddr'], dst: FlowRecord['dstAddr'], octets: FlowCount, at: number): void };
  /** Takes implausible flows (2^63 octets or more, above the line rate) instead of the aggregator (quarantine.ts). */
  quarantine?: FlowQuarantine;
}

const NONE: readonly UsageRecord[] = Object.freeze([]);

export class FlowAccounting {
  /** Sampled-up octets since start by class (DEFAULT_CLASS '' for none) and attribution, for the metrics. */
  readonly octets = new Map<string, AttributionTotals>();
  readonly flows: Record<AttributionKind, number> = { subscriber: 0, internal: 0, unattributed: 0 };

  /** The class totalsOf() answered last: nearly all traffic is of one class, and a Map get per flow showed. */
  private last: { cls: string; totals: AttributionTotals } | undefined;

  constructor(private readonly deps: FlowAccountingDeps) {}

  private totalsOf(cls: string): AttributionTotals {
    if (this.last?.cls === cls) return this.last.totals;
    let totals = this.octets.get(cls);
    if (!totals) this.octets.set(cls, (totals = { subscriber: 0, internal: 0, unattributed: 0 }));
    this.last = { cls, totals };
    return totals;
  }

  /**
   * Adds one flow; returns records the aggregator had to flush early (its key cap), usually none. Runs per flow:
   * it asks the subscriber map for each end directly rather than building an Attribution object.
   */
  add(flow: FlowRecord, exporter: ExporterInfo): readonly UsageRecord[] {
    const sampled = sampledOctets(this.deps.totals.octets(flow), exporter.samplingInterval ?? flow.samplingInterval);
    // One comparison per flow: only a count above the quarantine's floor (or a bigint, above 2^53) is looked at.
    const quarantine = this.deps.quarantine;
    if (quarantine !== undefined && (typeof sampled !== 'number' || sampled > quarantine.floor)) {
      const reason = quarantine.check(flow, sampled);
      if (reason !== undefined) {
        quarantine.add(flow, exporter.name, sampled, reason);
        return NONE;
      }
    }
    const subscribers = this.deps.subscribers();
    const down = subscribers.subscriberOf(flow.dstAddr, flow.start, flow.end);
    const up = subscribers.subscriberOf(flow.srcAddr, flow.start, flow.end);
    // The class follows the far end; traffic with no subscriber end is classed by its destination. Neither
    // internal nor unattributed traffic has a direction from a subscriber's side: their octets are kept down.
    let kind: AttributionKind;
    let subscriber: string;
    let direction: 'down' | 'up' = 'down';
    let cls: string;
    // The aggregator's cache hint: the address the subscriber was found by (any number is correct).
    let hint = flow.dstAddr;
    if (down !== undefined && up !== undefined) {
      kind = 'internal';
      subscriber = INTERNAL;
      cls = this.deps.classifier.classify(flow.dstAddr);
    } else if (down !== undefined) {
      kind = 'subscriber';
      subscriber = down;
      cls = this.deps.classifier.classify(flow.srcAddr);
    } else if (up !== undefined) {
      kind = 'subscriber';
      subscriber = up;
      direction = 'up';
      hint = flow.srcAddr;
      cls = this.deps.classifier.classify(flow.dstAddr);
    } else {
      kind = 'unattributed';
      subscriber = UNATTRIBUTED;
      cls = this.deps.classifier.classify(flow.dstAddr);
      this.deps.unattributed?.add(flow.srcAddr, flow.dstAddr, sampled, flow.end);
    }
    const totals = this.totalsOf(cls);
    totals[kind] += Number(sampled);
    this.flows[kind]++;
    return this.deps.aggregator.add(subscriber, direction, cls, exporter.name, flow.end, sampled, typeof hint === 'number' ? hint : 0);
  }
}

/**
 * Octets × sampling interval, exactly. A double while the product is at most 2^53 − 1 (both are safe integers and
 * IEEE multiplication rounds the true product, monotonically, so the check is exact); a bigint beyond.
 */
export function sampledOctets(octets: FlowCount, interval: number): FlowCount {
  if (typeof octets === 'number') {
    const product = octets * interval;
    if (product <= Number.MAX_SAFE_INTEGER) return product;
  }
  return BigInt(octets) * BigInt(interval);
}
