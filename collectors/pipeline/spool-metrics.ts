// Prometheus metrics of the spool (wispmeter_spool_*).
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

/** Reuses a metric already in the registry, so two spools (or a reopen in tests) can share one registry. */
function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createSpoolMetrics(registry: Registry) {
  const registers = [registry];
  return {
    appendedEntries: reuse(registry, 'wispmeter_spool_appended_entries_total', () =>
      new Counter({ name: 'wispmeter_spool_appended_entries_total', help: 'Entries made durable in the spool.', registers })),
    appendedBytes: reuse(registry, 'wispmeter_spool_appended_bytes_total', () =>
      new Counter({ name: 'wispmeter_spool_appended_bytes_total', help: 'Bytes (frames) made durable in the spool.', registers })),
    fsyncBatches: reuse(registry, 'wispmeter_spool_fsync_batches_total', () =>
      new Counter({ name: 'wispmeter_spool_fsync_batches_total', help: 'Group commits: one write and one fdatasync each.', registers })),
    fsyncDuration: reuse(registry, 'wispmeter_spool_fsync_duration_seconds', () =>
      new Histogram({
        name: 'wispmeter_spool_fsync_duration_seconds',
        help: 'Time of one group commit (write + fdatasync).',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers,
      })),
    writeErrors: reuse(registry, 'wispmeter_spool_write_errors_total', () =>
      new Counter({ name: 'wispmeter_spool_write_errors_total', help: 'Group commits that failed; their appends were rejected.', registers })),
    unconsumedBytes: reuse(registry, 'wispmeter_spool_unconsumed_bytes', () =>
      new Gauge({ name: 'wispmeter_spool_unconsumed_bytes', help: 'Bytes between the slowest consumer and the end of the spool.', registers })),
    maxBytes: reuse(registry, 'wispmeter_spool_max_bytes', () =>
      new Gauge({ name: 'wispmeter_spool_max_bytes', help: 'The cap on unconsumed bytes (spool.maxBytes): at it, RADIUS stops acknowledging and NetFlow drops.', registers })),
    fullRejections: reuse(registry, 'wispmeter_spool_full_rejections_total', () =>
      new Counter({ name: 'wispmeter_spool_full_rejections_total', help: 'Appends rejected because the spool was at its size cap.', registers })),
    tornTailCuts: reuse(registry, 'wispmeter_spool_torn_tail_cuts_total', () =>
      new Counter({ name: 'wispmeter_spool_torn_tail_cuts_total', help: 'Torn tails cut from the last segment on open.', registers })),
    tornTailBytes: reuse(registry, 'wispmeter_spool_torn_tail_bytes_total', () =>
      new Counter({ name: 'wispmeter_spool_torn_tail_bytes_total', help: 'Bytes cut as torn tails on open.', registers })),
    corruptRanges: reuse(registry, 'wispmeter_spool_corrupt_ranges_total', () =>
      new Counter({ name: 'wispmeter_spool_corrupt_ranges_total', help: 'Corrupt ranges inside segments, skipped to the next valid frame.', registers })),
    segments: reuse(registry, 'wispmeter_spool_segments', () =>
      new Gauge({ name: 'wispmeter_spool_segments', help: 'Segment files on disk.', registers })),
    consumerLag: reuse(registry, 'wispmeter_spool_consumer_lag_bytes', () =>
      new Gauge({ name: 'wispmeter_spool_consumer_lag_bytes', help: 'Bytes a consumer has yet to commit.', labelNames: ['consumer'], registers })),
  };
}

export type SpoolMetrics = ReturnType<typeof createSpoolMetrics>;
