// Prometheus metrics of the RouterOS poller, registered on the registry the daemon passes in.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiErrorKind } from './api-error.js';
import type { Table } from './config.js';
import type { RowEvent } from './usage-deltas.js';

/** Why a poll failed: the API session's reasons, the spool refusing the entry, or a bug of ours. */
export type PollErrorKind = ApiErrorKind | 'spool_full' | 'spool_error' | 'internal';

export interface RouterosMetrics {
  polls: Counter<'device' | 'result'>;
  pollErrors: Counter<'device' | 'kind'>;
  lastSuccess: Gauge<'device'>;
  connected: Gauge<'device'>;
  rows: Gauge<'device' | 'table'>;
  unmappedRows: Gauge<'device' | 'table'>;
  unmappedBytes: Counter<'device' | 'table'>;
  malformedRows: Counter<'device' | 'table'>;
  rowEvents: Counter<'device' | 'event'>;
  reboots: Counter<'device'>;
  records: Counter<'device'>;
}

export function createRouterosMetrics(registry: Registry): RouterosMetrics {
  const registers = [registry];
  return {
    polls: new Counter({ name: 'wispmeter_routeros_polls_total', help: 'Polls by device and result (ok, error)', labelNames: ['device', 'result'], registers }),
    pollErrors: new Counter({ name: 'wispmeter_routeros_poll_errors_total', help: 'Failed polls by device and kind (connect, tls, auth, timeout, closed, fatal, trap, protocol, unsupported, spool_full, spool_error, internal)', labelNames: ['device', 'kind'], registers }),
    lastSuccess: new Gauge({ name: 'wispmeter_routeros_last_success_timestamp_seconds', help: 'When each device was last polled and its usage stored', labelNames: ['device'], registers }),
    connected: new Gauge({ name: 'wispmeter_routeros_connected', help: '1 while an API session to the device is open', labelNames: ['device'], registers }),
    rows: new Gauge({ name: 'wispmeter_routeros_rows', help: 'Rows read at the last poll by device and table', labelNames: ['device', 'table'], registers }),
    unmappedRows: new Gauge({ name: 'wispmeter_routeros_unmapped_rows', help: 'Rows of the last poll that map to no subscriber, by device and table', labelNames: ['device', 'table'], registers }),
    unmappedBytes: new Counter({ name: 'wispmeter_routeros_unmapped_bytes_total', help: 'Bytes (up + down) of rows that map to no subscriber: metered by nobody', labelNames: ['device', 'table'], registers }),
    malformedRows: new Counter({ name: 'wispmeter_routeros_malformed_rows_total', help: 'Rows that could not be read (no .id, counters that are not numbers), skipped', labelNames: ['device', 'table'], registers }),
    rowEvents: new Counter({ name: 'wispmeter_routeros_counter_events_total', help: 'Rows whose counters were seen first, wrapped, reset or began since the last poll (new-session)', labelNames: ['device', 'event'], registers }),
    reboots: new Counter({ name: 'wispmeter_routeros_reboots_total', help: 'Device reboots seen from /system/resource uptime', labelNames: ['device'], registers }),
    records: new Counter({ name: 'wispmeter_routeros_records_total', help: 'Usage records appended to the spool', labelNames: ['device'], registers }),
  };
}

export function recordTableMetrics(m: RouterosMetrics, device: string, tables: readonly Table[], rows: Partial<Record<Table, number>>, unmapped: Map<Table, { rows: number; bytes: bigint }>, malformed: Partial<Record<Table, number>>, events: Record<RowEvent, number>): void {
  for (const table of tables) {
    m.rows.set({ device, table }, rows[table] ?? 0);
    const u = unmapped.get(table);
    m.unmappedRows.set({ device, table }, u?.rows ?? 0);
    // A double is exact to 2^53 bytes (8 PiB): ample for a metric; the records keep bigints.
    if (u?.bytes) m.unmappedBytes.inc({ device, table }, Number(u.bytes));
    if (malformed[table]) m.malformedRows.inc({ device, table }, malformed[table]);
  }
  for (const [event, n] of Object.entries(events) as [RowEvent, number][]) if (n && event !== 'advance') m.rowEvents.inc({ device, event }, n);
}
