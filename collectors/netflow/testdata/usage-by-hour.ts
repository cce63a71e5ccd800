// Test pipeline: datagrams → FlowDecoder → FlowAccounting (static prefixes) → hourly sums per subscriber and UTC hour.
import type { UsageRecord } from '../../pipeline/usage-record.js';
import { SubscriberMap } from '../attribution.js';
import { FlowAccounting } from '../flow-accounting.js';
import { FlowDecoder } from '../flow-decoder.js';
import type { RecordFallback } from '../record-fallback.js';
import { TotalCounters } from '../total-counters.js';
import { TrafficClassifier } from '../traffic-class.js';
import { UsageAggregator } from '../usage-aggregator.js';
import type { DecodeErrorReason } from '../decode-error.js';

/** 100.64.0.2 is alice and 100.64.0.3 bob (static), as in every hand-written packet of testdata/packets.ts. */
export const SUBSCRIBERS = [{ prefix: '100.64.0.2', subscriber: 'alice' }, { prefix: '100.64.0.3', subscriber: 'bob' }];

export interface HourlyUsage {
  /** `subscriber@YYYY-MM-DDTHH` → octets down and up (sampled up), as numbers for readable expectations. */
  usage: Record<string, { down: number; up: number }>;
  errors: DecodeErrorReason[];
  fallbacks: RecordFallback[];
  records: UsageRecord[];
}

/** Decodes `datagrams` in order (each from `exporter`, one ms apart) and sums the usage per subscriber and hour. */
export function usageByHour(datagrams: readonly Buffer[], opts: { decoder?: FlowDecoder; exporter?: string; samplingInterval?: number } = {}): HourlyUsage {
  const decoder = opts.decoder ?? new FlowDecoder();
  const aggregator = new UsageAggregator({ bucketMs: 3_600_000, maxOpenKeys: 100_000, runId: 1 });
  const subs = new SubscriberMap(SUBSCRIBERS, []);
  const acc = new FlowAccounting({ subscribers: () => subs, classifier: new TrafficClassifier([]), totals: new TotalCounters(), aggregator });
  const records: UsageRecord[] = [];
  const errors: DecodeErrorReason[] = [];
  const fallbacks: RecordFallback[] = [];
  const info = opts.samplingInterval === undefined ? { name: 'r1' } : { name: 'r1', samplingInterval: opts.samplingInterval };
  datagrams.forEach((d, i) => {
    const out = decoder.visit(d, opts.exporter ?? '10.0.0.1', i, { flow: (f) => void records.push(...acc.add(f, info)) });
    errors.push(...out.errors);
    fallbacks.push(...out.fallbacks);
  });
  records.push(...aggregator.flush(Number.POSITIVE_INFINITY, 0));
  const usage: HourlyUsage['usage'] = {};
  for (const r of records) {
    const key = `${r.subscriber}@${new Date(r.start).toISOString().slice(0, 13)}`;
    const u = (usage[key] ??= { down: 0, up: 0 });
    u.down += Number(r.bytesDown);
    u.up += Number(r.bytesUp);
  }
  return { usage, errors, fallbacks, records };
}
