// Turns octetTotalCount reports into deltas per flow: an exporter may report one long flow several times.
import { formatFlowAddress, type FlowCount, type FlowRecord } from './flow-record.js';

export class TotalCounters {
  private readonly last = new Map<string, { bytes: FlowCount; packets: FlowCount }>();

  constructor(private readonly maxFlows = 200_000) {}

  /** The flow's octets since its previous report: all of them for delta counters and for a flow's first report. */
  octets(f: FlowRecord): FlowCount {
    if (f.counter === 'delta') return f.bytes;
    const key = `${f.exporter}|${f.version}|${f.domain}|${formatFlowAddress(f.srcAddr)}|${formatFlowAddress(f.dstAddr)}|${f.protocol}|${f.srcPort}|${f.dstPort}|${f.start}`;
    const prev = this.last.get(key);
    this.last.delete(key); // re-insert: Map order is then least-recently-reported first
    if (this.last.size >= this.maxFlows) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    this.last.set(key, { bytes: f.bytes, packets: f.packets });
    // Lower than before: the exporter restarted the flow (same key, counters reset), so all of it is new.
    if (!prev || f.bytes < prev.bytes || f.packets < prev.packets) return f.bytes;
    // Numbers below 2^53 subtract exactly; a bigint on either side is rare enough for BigInt arithmetic.
    if (typeof f.bytes === 'number' && typeof prev.bytes === 'number') return f.bytes - prev.bytes;
    const d = BigInt(f.bytes) - BigInt(prev.bytes);
    return d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d;
  }
}
