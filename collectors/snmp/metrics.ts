// Prometheus metrics of the SNMP poller. Labels are bounded: target names come from the config, reasons and
// profiles are closed sets; nothing per row, per subscriber or per station.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PROFILE_IDS } from './config.js';
import { SNMP_ERROR_REASONS } from './snmp-client.js';

export interface SnmpMetrics {
  polls: Counter<'target' | 'result'>;
  pollErrors: Counter<'target' | 'reason'>;
  skipped: Counter<'target' | 'reason'>;
  duration: Gauge<'target'>;
  lag: Histogram;
  up: Gauge<'target'>;
  rows: Gauge<'target' | 'profile'>;
  unmappedRows: Gauge<'target' | 'profile'>;
  unmappedOctets: Counter<'target' | 'profile'>;
  counterReadings: Counter<'target' | 'kind'>;
  restarts: Counter<'target'>;
  malformed: Counter<'target' | 'reason'>;
  records: Counter;
  spoolErrors: Counter<'reason'>;
  interfacesUp: Gauge<'target'>;
  stations: Gauge<'target'>;
  stationSignalMin: Gauge<'target'>;
  stationCcqMin: Gauge<'target'>;
  healthPoints: Counter<'result'>;
}

export function createSnmpMetrics(registry: Registry, targets: readonly string[]): SnmpMetrics {
  const registers = [registry];
  const m: SnmpMetrics = {
    polls: new Counter({ name: 'wispmeter_snmp_polls_total', help: 'Polls by target and result (ok, error)', labelNames: ['target', 'result'], registers }),
    pollErrors: new Counter({ name: 'wispmeter_snmp_poll_errors_total', help: 'Failed polls by target and reason (timeout: no answer, or a wrong v2c community; auth: SNMPv3 user, keys or protocols rejected; agent_error; malformed; network; aborted: past the poll deadline or at stop; spool: the spool refused the records)', labelNames: ['target', 'reason'], registers }),
    skipped: new Counter({ name: 'wispmeter_snmp_polls_skipped_total', help: 'Scheduled polls not started because the previous poll of the target was still running (overrun)', labelNames: ['target', 'reason'], registers }),
    duration: new Gauge({ name: 'wispmeter_snmp_poll_duration_seconds', help: 'Duration of the last poll of each target (its latency)', labelNames: ['target'], registers }),
    lag: new Histogram({ name: 'wispmeter_snmp_poll_start_lag_seconds', help: 'How late polls started against their schedule (waiting for a concurrency slot included)', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers }),
    up: new Gauge({ name: 'wispmeter_snmp_target_up', help: '1 when the last poll of the target succeeded, else 0', labelNames: ['target'], registers }),
    rows: new Gauge({ name: 'wispmeter_snmp_rows', help: 'Counter rows read at the last poll, by target and profile', labelNames: ['target', 'profile'], registers }),
    unmappedRows: new Gauge({ name: 'wispmeter_snmp_unmapped_rows', help: 'Rows at the last poll that map to no subscriber (their usage is not billed), by target and profile', labelNames: ['target', 'profile'], registers }),
    unmappedOctets: new Counter({ name: 'wispmeter_snmp_unmapped_octets_total', help: 'Octets counted on rows that map to no subscriber', labelNames: ['target', 'profile'], registers }),
    counterReadings: new Counter({ name: 'wispmeter_snmp_counter_readings_total', help: 'Counter readings by how their delta was taken (first, advance, wrap, reset, new)', labelNames: ['target', 'kind'], registers }),
    restarts: new Counter({ name: 'wispmeter_snmp_device_restarts_total', help: 'Device restarts seen from its uptime (hrSystemUptime, else sysUpTime): every counter taken as restarted from 0', labelNames: ['target'], registers }),
    malformed: new Counter({ name: 'wispmeter_snmp_malformed_total', help: 'Odd answers by target and reason: undecodable datagrams, rows without counters, values of the wrong type', labelNames: ['target', 'reason'], registers }),
    records: new Counter({ name: 'wispmeter_snmp_records_total', help: 'Usage records appended to the spool', registers }),
    spoolErrors: new Counter({ name: 'wispmeter_snmp_spool_errors_total', help: 'Polls whose records and readings the spool refused (full or failing); the next poll covers their interval', labelNames: ['reason'], registers }),
    interfacesUp: new Gauge({ name: 'wispmeter_snmp_interfaces_oper_up', help: 'Interfaces with ifOperStatus up at the last poll', labelNames: ['target'], registers }),
    stations: new Gauge({ name: 'wispmeter_snmp_stations', help: 'airMAX stations associated at the last poll', labelNames: ['target'], registers }),
    stationSignalMin: new Gauge({ name: 'wispmeter_snmp_station_signal_min_dbm', help: 'Weakest station signal at the last poll (per station: device_health in Influx)', labelNames: ['target'], registers }),
    stationCcqMin: new Gauge({ name: 'wispmeter_snmp_station_ccq_min_percent', help: 'Lowest station CCQ at the last poll (per station: device_health in Influx)', labelNames: ['target'], registers }),
    healthPoints: new Counter({ name: 'wispmeter_snmp_health_points_total', help: 'device_health points by result: written, dropped (Influx down or the queue full; best effort)', labelNames: ['result'], registers }),
  };
  // Zero series up front, so a dashboard or alert sees 0 instead of nothing before the first event.
  for (const target of targets) {
    for (const reason of SNMP_ERROR_REASONS) m.pollErrors.inc({ target, reason }, 0);
    for (const result of ['ok', 'error']) m.polls.inc({ target, result }, 0);
    m.skipped.inc({ target, reason: 'overrun' }, 0);
    m.restarts.inc({ target }, 0);
    for (const profile of PROFILE_IDS) m.unmappedOctets.inc({ target, profile }, 0);
  }
  for (const result of ['written', 'dropped']) m.healthPoints.inc({ result }, 0);
  return m;
}
