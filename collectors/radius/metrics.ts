// Prometheus metrics of the RADIUS collector, registered on the registry the daemon passes in.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AcctStatus } from './accounting-event.js';

/** Why a packet got no reply. A closed set: each is a label value of wispmeter_radius_dropped_total. */
export type DropReason =
  | 'unknown_client'
  | 'bad_authenticator'
  | 'bad_message_authenticator'
  | 'too_short'
  | 'bad_length'
  | 'bad_attribute'
  | 'bad_code'
  | 'missing_attribute'
  | 'spool_full'
  | 'spool_error'
  | 'shutting_down'
  /** A bug of ours, caught so that no input can crash the daemon. */
  | 'internal_error';

export const DROP_REASONS: readonly DropReason[] = [
  'unknown_client', 'bad_authenticator', 'bad_message_authenticator', 'too_short', 'bad_length', 'bad_attribute',
  'bad_code', 'missing_attribute', 'spool_full', 'spool_error', 'shutting_down', 'internal_error',
];

export interface RadiusMetrics {
  requests: Counter<'nas' | 'status'>;
  responses: Counter<'nas'>;
  statusServer: Counter<'nas'>;
  duplicates: Counter<'nas' | 'outcome'>;
  dropped: Counter<'reason'>;
  sessionEvents: Counter<'nas' | 'outcome'>;
  openSessions: Gauge<'nas'>;
  latency: Histogram<'status'>;
}

/** The Acct-Status-Type label values of wispmeter_radius_requests_total ("other" for types we ignore). */
const STATUSES: readonly (AcctStatus | 'other')[] = ['start', 'interim', 'stop', 'accounting-on', 'accounting-off', 'other'];

/** `nasNames`: the configured clients, whose series start at 0 (see below). */
export function createRadiusMetrics(registry: Registry, openCounts: () => ReadonlyMap<string, number>, nasNames: readonly string[] = []): RadiusMetrics {
  const dropped = new Counter({ name: 'wispmeter_radius_dropped_total', help: 'RADIUS packets dropped without a reply, by reason', labelNames: ['reason'], registers: [registry] });
  // Zero-initialise so dashboards and alerts see every reason before the first drop.
  for (const r of DROP_REASONS) dropped.inc({ reason: r }, 0);
  const requests = new Counter({ name: 'wispmeter_radius_requests_total', help: 'Authenticated Accounting-Requests by NAS and Acct-Status-Type', labelNames: ['nas', 'status'], registers: [registry] });
  const responses = new Counter({ name: 'wispmeter_radius_responses_total', help: 'Accounting-Responses sent to Accounting-Requests (including cached responses to retransmits)', labelNames: ['nas'], registers: [registry] });
  // A series first scraped at its total shows no rate for that first burst: start each NAS's series at 0.
  for (const nas of new Set(nasNames)) {
    responses.inc({ nas }, 0);
    for (const status of STATUSES) requests.inc({ nas, status }, 0);
  }
  const latency = new Histogram({
    name: 'wispmeter_radius_processing_seconds',
    help: 'From datagram arrival to Accounting-Response sent (includes the spool fsync)',
    labelNames: ['status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  for (const status of STATUSES) latency.zero({ status });
  return {
    requests,
    responses,
    statusServer: new Counter({ name: 'wispmeter_radius_status_server_total', help: 'Status-Server probes (RFC 5997) verified and answered, by NAS; not in requests/responses_total', labelNames: ['nas'], registers: [registry] }),
    duplicates: new Counter({ name: 'wispmeter_radius_duplicates_total', help: 'Retransmitted requests (RFC 5080 §2.2.2): answered from cache, or ignored while the first copy is in flight', labelNames: ['nas', 'outcome'], registers: [registry] }),
    dropped,
    sessionEvents: new Counter({ name: 'wispmeter_radius_session_events_total', help: 'What accepted packets did to sessions (counted, zero_delta, counter_regression, ...)', labelNames: ['nas', 'outcome'], registers: [registry] }),
    openSessions: new Gauge({
      name: 'wispmeter_radius_open_sessions',
      help: 'Open RADIUS accounting sessions by NAS',
      labelNames: ['nas'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [nas, n] of openCounts()) this.set({ nas }, n);
      },
    }),
    latency,
  };
}
