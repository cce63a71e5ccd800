// Implausible flows kept apart: counted by reason and exporter, written to a JSONL file for inspection, never summed.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { formatFlowAddress, type FlowCount, type FlowRecord } from './flow-record.js';

/**
 * Why a flow was quarantined. A closed set, each a label of wispmeter_netflow_quarantined_flows_total.
 * octets_int64: its (sampled-up) octets are 2^63 or more: no store holds that in a signed 64-bit column, and one
 *   flipped high bit of a 64-bit counter makes it.
 * above_line_rate: more octets than netflow.quarantine.maxLineRate could carry in the flow's duration.
 */
export type QuarantineReason = 'octets_int64' | 'above_line_rate';
export const QUARANTINE_REASONS: readonly QuarantineReason[] = ['octets_int64', 'above_line_rate'];

const INT64_LIMIT = 2n ** 63n;
/** Quarantined flows kept in memory between two writes of the file; more are counted but not kept. */
const MAX_PENDING = 10_000;

export interface QuarantineOptions {
  /** Bits per second no flow can exceed (netflow.quarantine.maxLineRate); undefined: only the int64 check. */
  maxLineRate?: number;
  /** The shortest duration the line-rate ceiling assumes (flows of one packet have none). */
  minDurationMs: number;
  /** Where netflow.jsonl goes; undefined: quarantined flows are counted and logged only. */
  dir?: string;
  registry: Registry;
  /** Configured exporter names, whose series start at 0. */
  exporters?: readonly string[];
}

/** One line of the quarantine file. Octets as decimal strings: they are the numbers no double or int64 holds. */
export interface QuarantinedFlow {
  at: string;
  reason: QuarantineReason;
  exporter: string;
  exporterAddress: string;
  version: FlowRecord['version'];
  domain: number;
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** As exported, and multiplied by the sampling interval (what would have been billed). */
  octets: string;
  sampledOctets: string;
  samplingInterval: number;
  packets: string;
  start: string;
  end: string;
  /** The line-rate ceiling it passed (above_line_rate only). */
  ceiling?: string;
}

export class FlowQuarantine {
  /**
   * Sampled octets at or below this are plausible whatever the flow's duration: the hot path compares one number
   * and only looks closer above it (or at a bigint count). Infinity without a line rate.
   */
  readonly floor: number;
  private readonly bytesPerMs: number;
  private readonly pending: QuarantinedFlow[] = [];
  private readonly flows: Counter<'exporter' | 'reason'>;
  private readonly octets: Counter<'exporter' | 'reason'>;
  private readonly unkept: Counter;

  constructor(private readonly opts: QuarantineOptions) {
    this.bytesPerMs = opts.maxLineRate === undefined ? Number.POSITIVE_INFINITY : opts.maxLineRate / 8 / 1000;
    this.floor = this.bytesPerMs * opts.minDurationMs;
    const registers = [opts.registry];
    this.flows = new Counter({ name: 'wispmeter_netflow_quarantined_flows_total', help: 'Flows kept out of usage as implausible (octets_int64: 2^63 octets or more; above_line_rate: more than netflow.quarantine.maxLineRate carries in the flow\'s duration), by exporter; each is in spool/quarantine/netflow.jsonl', labelNames: ['exporter', 'reason'], registers });
    this.octets = new Counter({ name: 'wispmeter_netflow_quarantined_octets_total', help: 'Octets (after sampling) of the quarantined flows, by exporter and reason (a double: approximate above 2^53)', labelNames: ['exporter', 'reason'], registers });
    this.unkept = new Counter({ name: 'wispmeter_netflow_quarantine_unkept_total', help: 'Quarantined flows counted but not written to the quarantine file (more than 10,000 between two flushes, or the file could not be written)', registers });
    for (const exporter of opts.exporters ?? []) for (const reason of QUARANTINE_REASONS) this.flows.inc({ exporter, reason }, 0);
  }

  /** Why `sampled` octets are implausible for this flow, or undefined. Called only above `floor` or for a bigint. */
  check(flow: FlowRecord, sampled: FlowCount): QuarantineReason | undefined {
    if (typeof sampled === 'bigint' && sampled >= INT64_LIMIT) return 'octets_int64';
    return this.bytesPerMs === Number.POSITIVE_INFINITY || Number(sampled) <= this.ceiling(flow) ? undefined : 'above_line_rate';
  }

  private ceiling(flow: FlowRecord): number {
    return this.bytesPerMs * Math.max(this.opts.minDurationMs, flow.end - flow.start);
  }

  /** Counts the flow and keeps a copy of it (the decoder reuses `flow` after the call). */
  add(flow: FlowRecord, exporter: string, sampled: FlowCount, reason: QuarantineReason): void {
    this.flows.inc({ exporter, reason });
    this.octets.inc({ exporter, reason }, Number(sampled));
    if (this.pending.length >= MAX_PENDING) {
      this.unkept.inc();
      return;
    }
    const q: QuarantinedFlow = {
      at: new Date().toISOString(),
      reason,
      exporter,
      exporterAddress: flow.exporter,
      version: flow.version,
      domain: flow.domain,
      src: formatFlowAddress(flow.srcAddr),
      dst: formatFlowAddress(flow.dstAddr),
      protocol: flow.protocol,
      srcPort: flow.srcPort,
      dstPort: flow.dstPort,
      octets: flow.bytes.toString(),
      sampledOctets: sampled.toString(),
      samplingInterval: flow.samplingInterval,
      packets: flow.packets.toString(),
      start: isoOr(flow.start),
      end: isoOr(flow.end),
    };
    if (reason === 'above_line_rate') q.ceiling = BigInt(Math.floor(this.ceiling(flow))).toString();
    this.pending.push(q);
  }

  get path(): string | undefined {
    return this.opts.dir === undefined ? undefined : quarantinePath(this.opts.dir);
  }

  /** Appends the flows quarantined since the last call to the file and fsyncs; the flows it returns were written. */
  async write(): Promise<QuarantinedFlow[]> {
    const flows = this.pending.splice(0);
    if (!flows.length || this.opts.dir === undefined) return flows;
    try {
      await mkdir(this.opts.dir, { recursive: true });
      const fh = await open(quarantinePath(this.opts.dir), 'a');
      try {
        await fh.writeFile(flows.map((f) => JSON.stringify(f) + '\n').join(''));
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      this.unkept.inc(flows.length);
      throw new Error(`netflow quarantine ${quarantinePath(this.opts.dir)}: ${flows.length} flows not written`, { cause: err });
    }
    return flows;
  }
}

export function quarantinePath(dir: string): string {
  return join(dir, 'netflow.jsonl');
}

/** A flow time as ISO text; times out of Date's range are kept as the number they were. */
function isoOr(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
