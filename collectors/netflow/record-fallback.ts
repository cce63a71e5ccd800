// Why a data record with octets was kept with a repaired time or field instead of dropped: a closed set, metric labels.

/**
 * A record that carries octets is never dropped for a time or field we cannot interpret (every byte is money): its
 * value falls back and the fallback is counted here, by exporter (wispmeter_netflow_record_fallbacks_total).
 */
export type RecordFallback =
  /** IPFIX flowStart/EndSysUpTime without systemInitTimeMilliseconds in the record or options: init estimated from the export time. */
  | 'uptime_estimated'
  /** A time field that could not be read (wrong length, not finite): the export time. */
  | 'time_unreadable'
  /** The flow ended more than a minute after its datagram was exported: clamped to the export time. */
  | 'future_clamped'
  /** The flow started over an hour before its exporter's system init time: clamped to the init time. */
  | 'before_boot_clamped'
  /** The flow ended (or started) more than 30 days before the export time: clamped to the export time (or its end). */
  | 'too_old_clamped'
  /** The end was before the start: the start is taken as the end. */
  | 'end_before_start'
  /** No source/destination address pair of one family: kept as unattributed usage with 0.0.0.0 ends. */
  | 'no_addresses'
  /** More packets than octets (a corrupt or mis-templated counter): the octets are kept as sent. */
  | 'packets_exceed_octets';

export const RECORD_FALLBACKS: readonly RecordFallback[] = [
  'uptime_estimated', 'time_unreadable', 'future_clamped', 'before_boot_clamped', 'too_old_clamped', 'end_before_start', 'no_addresses', 'packets_exceed_octets',
];
