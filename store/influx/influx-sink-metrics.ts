// Prometheus gauges of the influx sink's series cardinality (wispmeter_influx_*), read from its stats().
import { Gauge, type Registry } from 'prom-client';
import type { InfluxSink } from './influx-sink.js';

/** Registers gauges that read the sink's counts at scrape time; past maxSubscribers influxd starts refusing writes. */
export function registerInfluxSinkMetrics(registry: Registry, sink: Pick<InfluxSink, 'stats'>): void {
  new Gauge({
    name: 'wispmeter_influx_subscribers',
    help: 'Distinct subscriber tag values written to Influx since start (capped at maxSubscribers); compare with influxd max-values-per-tag.',
    registers: [registry],
    collect() {
      this.set(sink.stats().subscribers);
    },
  });
  new Gauge({
    name: 'wispmeter_influx_subscriber_overflow_records',
    help: 'Records written for subscribers beyond maxSubscribers since start (still written; influxd may refuse them).',
    registers: [registry],
    collect() {
      this.set(sink.stats().subscriberOverflow);
    },
  });
}
