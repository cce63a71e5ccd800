// From decoded flows to usage: per-flow total→delta, sampling, attribution, class, then the aggregator.
import type { UsageRecord } from '../pipeline/usage-record.js';
import type { SubscriberMap } from './attribution.js';
import type { FlowRecord } from './flow-record.js';
import type { TotalCounters } from './total-counters.js';
import type { TrafficClassifier } from './traffic-class.js';
import type { UsageAggregator } from './usage-aggregator.js';

/** Which exporter a datagram came from, as config names it. */
export interface ExporterInfo {
  /** The `device` of its records. */
  name: string;
  /** A configured 1-in-N that wins over what the exporter announces. */
  samplingInterval?: number;
}

export type AttributionKind = 'subscriber' | 'internal' | 'unattributed';

/** Octets by attribution outcome, for the metrics (sampled-up octets, as stored). */
export type AttributionTotals = Record<AttributionKind, bigint>;

export interface FlowAccountingDeps {
  /** Current map of leases and static prefixes; rebuilt by the collector when leases change. */
  subscribers: () => SubscriberMap;
  classifier: TrafficClassifier;
  totals: TotalCounters;
  aggregator: UsageAggregator;
}

export class FlowAccounting {
  readonly octets: AttributionTotals = { subscriber: 0n, internal: 0n, unattributed: 0n };
  readonly flows: Record<AttributionKind, number> = { subscriber: 0, internal: 0, unattributed: 0 };
  /** Attribution, class and sampled octets of the flow last added, for the metrics. */
  last: { kind: AttributionKind; class: string; octets: bigint } = { kind: 'unattributed', class: '', octets: 0n };

  constructor(private readonly deps: FlowAccountingDeps) {}

  /** Adds one flow; returns records the aggregator had to flush early (its key cap), usually none. */
  add(flow: FlowRecord, exporter: ExporterInfo): UsageRecord[] {
    const { bytes } = this.deps.totals.delta(flow);
    const sampled = bytes * BigInt(exporter.samplingInterval ?? flow.samplingInterval);
    const a = this.deps.subscribers().attribute(flow);
    // The class follows the far end; traffic with no subscriber end is classed by its destination.
    const cls = this.deps.classifier.classify(a.kind === 'subscriber' ? a.remote : flow.dstAddr);
    this.octets[a.kind] += sampled;
    this.flows[a.kind]++;
    this.last = { kind: a.kind, class: cls, octets: sampled };
    return this.deps.aggregator.add(a, cls, exporter.name, flow.end, sampled);
  }
}
