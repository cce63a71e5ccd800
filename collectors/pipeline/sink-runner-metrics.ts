// Prometheus metrics of the sink runners (wispmeter_sink_*{sink}).
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

/** Reuses a metric already in the registry: every runner (one per sink) shares one set, labelled by sink. */
function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createSinkMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames = ['sink'] as const;
  return {
    recordsWritten: reuse(registry, 'wispmeter_sink_records_written_total', () =>
      new Counter({ name: 'wispmeter_sink_records_written_total', help: 'Records a sink accepted.', labelNames, registers })),
    batches: reuse(registry, 'wispmeter_sink_batches_total', () =>
      new Counter({ name: 'wispmeter_sink_batches_total', help: 'Batches a sink accepted.', labelNames, registers })),
    retries: reuse(registry, 'wispmeter_sink_retries_total', () =>
      new Counter({ name: 'wispmeter_sink_retries_total', help: 'Retryable answers from a sink (each followed by a backoff).', labelNames, registers })),
    failures: reuse(registry, 'wispmeter_sink_failures_total', () =>
      new Counter({ name: 'wispmeter_sink_failures_total', help: 'Batches in which a sink rejected records for good; the batch is split until those stand alone, and only they are parked in its dead-letter file.', labelNames, registers })),
    splits: reuse(registry, 'wispmeter_sink_batch_splits_total', () =>
      new Counter({ name: 'wispmeter_sink_batch_splits_total', help: 'Rejected batches split in halves to isolate the records a sink rejects.', labelNames, registers })),
    deadLetterRecords: reuse(registry, 'wispmeter_sink_dead_letter_records_total', () =>
      new Counter({ name: 'wispmeter_sink_dead_letter_records_total', help: 'Records written to a dead-letter file.', labelNames, registers })),
    lastSuccess: reuse(registry, 'wispmeter_sink_last_success_timestamp_seconds', () =>
      new Gauge({ name: 'wispmeter_sink_last_success_timestamp_seconds', help: 'When a sink last accepted a batch (Unix seconds).', labelNames, registers })),
    failingSince: reuse(registry, 'wispmeter_sink_failing_since_timestamp_seconds', () =>
      new Gauge({ name: 'wispmeter_sink_failing_since_timestamp_seconds', help: 'Since when every write to a sink has been answered retryable (Unix seconds); 0 while writes succeed.', labelNames, registers })),
    lag: reuse(registry, 'wispmeter_sink_lag_bytes', () =>
      new Gauge({ name: 'wispmeter_sink_lag_bytes', help: 'Spool bytes a sink has yet to commit.', labelNames, registers })),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;
