// Turns octetTotalCount reports into deltas per flow: an exporter may report one long flow several times.
import type { FlowRecord } from './flow-record.js';

export class TotalCounters {
  private readonly last = new Map<string, { bytes: bigint; packets: bigint }>();

  constructor(private readonly maxFlows = 200_000) {}

  /** The flow's octets/packets since its previous report (the whole total the first time). */
  delta(f: FlowRecord): { bytes: bigint; packets: bigint } {
    if (f.counter === 'delta') return { bytes: f.bytes, packets: f.packets };
    const key = `${f.exporter}|${f.version}|${f.domain}|${f.srcAddr}|${f.dstAddr}|${f.protocol}|${f.srcPort}|${f.dstPort}|${f.start}`;
    const prev = this.last.get(key);
    this.last.delete(key); // re-insert: Map order is then least-recently-reported first
    if (this.last.size >= this.maxFlows) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    this.last.set(key, { bytes: f.bytes, packets: f.packets });
    // Lower than before: the exporter restarted the flow (same key, counters reset), so all of it is new.
    if (!prev || f.bytes < prev.bytes || f.packets < prev.packets) return { bytes: f.bytes, packets: f.packets };
    return { bytes: f.bytes - prev.bytes, packets: f.packets - prev.packets };
  }
}
