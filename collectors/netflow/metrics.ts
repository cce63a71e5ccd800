// Prometheus metrics of the NetFlow collector, registered on the registry the daemon passes in.
import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DECODE_ERROR_REASONS } from './decode-error.js';
import { RECORD_FALLBACKS, type RecordFallback } from './record-fallback.js';
import type { AttributionKind, AttributionTotals } from './flow-accounting.js';
import { udpSockets } from '../pipeline/proc-net-udp.js';

/** Datagrams or records dropped outside the decoder. A closed set, each a label of wispmeter_netflow_dropped_total. */
export type DropReason = 'unknown_exporter' | 'shutting_down' | 'receive_queue_full' | 'spool_full' | 'spool_error';
export const DROP_REASONS: readonly DropReason[] = ['unknown_exporter', 'shutting_down', 'receive_queue_full', 'spool_full', 'spool_error'];

/** What one exporter sent: datagrams by header version (NO_VERSION: shorter than one), and flows decoded. */
export interface ExporterTraffic {
  packets: Map<number, number>;
  flows: number;
  /** Records kept with a repaired time or field, by reason. */
  fallbacks: Map<RecordFallback, number>;
}

export const NO_VERSION = -1;

/** Collector state read when the registry is scraped. */
export interface NetflowState {
  heldSets: number;
  templates: number;
  ports: number[];
  /** By exporter name. */
  traffic: ReadonlyMap<string, ExporterTraffic>;
  /** FlowAccounting.octets: by class, then attribution. */
  octets: ReadonlyMap<string, AttributionTotals>;
  /** Template domains evicted to make room, and new templates refused, by exporter name (TemplateCache). */
  templateEvictions: ReadonlyMap<string, number>;
  templateRefusals: ReadonlyMap<string, number>;
}

const ATTRIBUTIONS: readonly AttributionKind[] = ['subscriber', 'internal', 'unattributed'];

export interface NetflowMetrics {
  packets: Counter<'exporter' | 'version'>;
  flows: Counter<'exporter'>;
  fallbacks: Counter<'exporter' | 'reason'>;
  decodeErrors: Counter<'reason'>;
  dropped: Counter<'reason'>;
  droppedRecords: Counter;
  receiveThreadFailures: Counter;
  receiveQueueWaits: Counter;
  octets: Counter<'attribution' | 'class'>;
  records: Counter;
}

/**
 * The per-datagram and per-flow counters (packets, flows, octets) are kept in plain numbers by the collector and
 * copied into prom-client when scraped (reset, then the running totals): a labelled inc() per datagram or flow hashes
 * its labels every time, which cost an eighth of the collector's time at 200k flows/s. `exporterNames`: the
 * configured exporters, whose series start at 0 (a series first scraped at its total shows no rate).
 */
export function createNetflowMetrics(registry: Registry, state: () => NetflowState, exporterNames: readonly string[] = []): NetflowMetrics {
  const exporters = [...new Set(exporterNames)];
  const decodeErrors = new Counter({ name: 'wispmeter_netflow_decode_errors_total', help: 'Bad datagrams, sets and records by reason (no_template: data whose template never came in the hold time)', labelNames: ['reason'], registers: [registry] });
  for (const reason of DECODE_ERROR_REASONS) decodeErrors.inc({ reason }, 0);
  const dropped = new Counter({ name: 'wispmeter_netflow_dropped_total', help: 'Datagrams (unknown_exporter, shutting_down, receive_queue_full: the receive thread\'s queue was full at shutdown) or spool appends (spool_full, spool_error) dropped', labelNames: ['reason'], registers: [registry] });
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  new Gauge({ name: 'wispmeter_netflow_held_sets', help: 'Data sets waiting for their template', registers: [registry], collect() { this.set(state().heldSets); } });
  const byExporter = (name: string, help: string, pick: (s: NetflowState) => ReadonlyMap<string, number>) => new Counter({
    name, help, labelNames: ['exporter'], registers: [registry],
    collect() {
      this.reset();
      for (const exporter of exporters) this.inc({ exporter }, 0);
      for (const [exporter, n] of pick(state())) this.inc({ exporter }, n);
    },
  });
  byExporter('wispmeter_netflow_template_evictions_total', 'Observation domains (with their templates and options) evicted to make room for new templates, least recently used first, by exporter', (s) => s.templateEvictions);
  byExporter('wispmeter_netflow_template_refusals_total', 'New templates refused because one domain alone filled its exporter\'s bound (also counted as decode_errors template_limit), by exporter', (s) => s.templateRefusals);
  new Gauge({ name: 'wispmeter_netflow_templates', help: 'Templates and options templates cached', registers: [registry], collect() { this.set(state().templates); } });
  new Gauge({
    name: 'wispmeter_netflow_socket_drops',
    help: 'Datagrams the kernel dropped on our sockets since they opened (receive buffer full; /proc/net/udp drops)',
    registers: [registry],
    collect() { this.set(socketDrops(state().ports)); },
  });
  return {
    packets: new Counter({
      name: 'wispmeter_netflow_packets_total', help: 'Datagrams received by exporter and version', labelNames: ['exporter', 'version'], registers: [registry],
      collect() {
        this.reset();
        for (const exporter of exporters) for (const version of ['5', '9', '10']) this.inc({ exporter, version }, 0);
        for (const [exporter, t] of state().traffic) for (const [v, n] of t.packets) this.inc({ exporter, version: v === NO_VERSION ? 'none' : String(v) }, n);
      },
    }),
    flows: new Counter({
      name: 'wispmeter_netflow_flows_total', help: 'Flow records decoded by exporter', labelNames: ['exporter'], registers: [registry],
      collect() {
        this.reset();
        for (const exporter of exporters) this.inc({ exporter }, 0);
        for (const [exporter, t] of state().traffic) if (t.flows) this.inc({ exporter }, t.flows);
      },
    }),
    fallbacks: new Counter({
      name: 'wispmeter_netflow_record_fallbacks_total', help: 'Records with octets kept with a repaired time or field (uptime_estimated, future_clamped, no_addresses, ...), by exporter and reason', labelNames: ['exporter', 'reason'], registers: [registry],
      collect() {
        this.reset();
        for (const exporter of exporters) for (const reason of RECORD_FALLBACKS) this.inc({ exporter, reason }, 0);
        for (const [exporter, t] of state().traffic) for (const [reason, n] of t.fallbacks) this.inc({ exporter, reason }, n);
      },
    }),
    decodeErrors,
    dropped,
    receiveQueueWaits: new Counter({ name: 'wispmeter_netflow_receive_queue_waits_total', help: 'Datagrams that found the receive queue full: the receive thread waited for room while the kernel buffer held what came (its overflow is wispmeter_netflow_socket_drops)', registers: [registry] }),
    receiveThreadFailures: new Counter({ name: 'wispmeter_netflow_receive_thread_failures_total', help: 'Times the receive thread died (it is restarted; with recvmmsg on the same sockets, whose buffers hold what comes meanwhile; with dgram on the same ports, and datagrams in between are lost)', registers: [registry] }),
    droppedRecords: new Counter({ name: 'wispmeter_netflow_dropped_records_total', help: 'Usage records lost because the spool refused them (full or failing)', registers: [registry] }),
    octets: new Counter({
      name: 'wispmeter_netflow_octets_total', help: 'Octets (after sampling) by attribution (subscriber, internal, unattributed) and class', labelNames: ['attribution', 'class'], registers: [registry],
      collect() {
        this.reset();
        // Doubles: exact to 2^53 octets (8 PB) per label set, ample for a metric (the store keeps bigints).
        for (const [cls, t] of state().octets) for (const a of ATTRIBUTIONS) if (t[a]) this.inc({ attribution: a, class: cls || 'default' }, t[a]);
      },
    }),
    records: new Counter({ name: 'wispmeter_netflow_records_total', help: 'Usage records appended to the spool', registers: [registry] }),
  };
}

/** Kernel drops (receive buffer full) summed over the sockets bound to these local ports (Linux only). */
export function socketDrops(ports: readonly number[]): number {
  return udpSockets(ports, (f) => readFileSync(f, 'utf8')).reduce((n, r) => n + r.drops, 0);
}
