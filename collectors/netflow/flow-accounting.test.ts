// From flows to usage records: softflowd captures end to end through attribution, sampling, classes and buckets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../pipeline/usage-record.js';
import { SubscriberMap } from './attribution.js';
import { FlowAccounting, sampledOctets } from './flow-accounting.js';
import { FlowDecoder } from './flow-decoder.js';
import type { FlowRecord } from './flow-record.js';
import { TotalCounters } from './total-counters.js';
import { DEFAULT_CLASS, TrafficClassifier } from './traffic-class.js';
import { UNATTRIBUTED, UsageAggregator } from './usage-aggregator.js';
import { mulberry32 } from '../../scripts/prng.js';
import { sumUsage } from '../../test/usage-sums.js';

const dir = new URL('./testdata/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, { in: number; out: number }>;
const addresses = Object.keys(truth);

function pipeline(subs: SubscriberMap, classes: TrafficClassifier = new TrafficClassifier([]), maxOpenKeys = 100_000) {
  const aggregator = new UsageAggregator({ bucketMs: 60_000, maxOpenKeys, runId: 1 });
  return { aggregator, acc: new FlowAccounting({ subscribers: () => subs, classifier: classes, totals: new TotalCounters(), aggregator }) };
}

describe.each([5, 9, 10])('softflowd -v %i through attribution', (version) => {
  it('per-subscriber down/up equal mkpcap truth; half by leases, half by static entries; classes split it', () => {
    // Even addresses hold RADIUS leases (valid all day), odd ones are static customers.
    const leases = addresses.filter((_, i) => i % 2 === 0).map((a) => ({ subscriber: `sub-${a}`, prefix: a, kind: 'framed-ip' as const, device: 'nas', session: a, from: 0 }));
    const statics = addresses.filter((_, i) => i % 2 === 1).map((a) => ({ prefix: a, subscriber: `sub-${a}` }));
    const { acc, aggregator } = pipeline(new SubscriberMap(statics, leases), new TrafficClassifier([{ name: 'zero-rated', prefixes: ['203.0.113.0/24'] }]));
    const decoder = new FlowDecoder();
    const records: UsageRecord[] = [];
    for (const line of readFileSync(new URL(`softflowd-v${version}.hex`, dir), 'utf8').split('\n').filter(Boolean)) {
      for (const f of decoder.decode(Buffer.from(line, 'hex'), '127.0.0.1', 0).flows) records.push(...acc.add(f, { name: 'softflowd' }));
    }
    records.push(...aggregator.flush(Number.POSITIVE_INFINITY, 0));
    const got = sumUsage(records, (r) => r.subscriber);
    const want = new Map(addresses.map((a) => [`sub-${a}`, { down: BigInt(truth[a]!.in), up: BigInt(truth[a]!.out) }]));
    expect(got).toEqual(want);
    expect(acc.flows.unattributed + acc.flows.internal).toBe(0);
    const byClass = sumUsage(records, (r) => r.class ?? '');
    expect([...byClass.keys()].sort()).toEqual(['', 'zero-rated']);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(records.every((r) => r.end - r.start === 60_000 && r.start % 60_000 === 0 && r.device === 'softflowd')).toBe(true);
  });
});

const flow = (over: Partial<FlowRecord>): FlowRecord => ({
  version: 9, exporter: '10.0.0.1', domain: 0, family: 4, srcAddr: '198.51.100.1', dstAddr: '100.64.0.10', protocol: 6, srcPort: 443, dstPort: 5000,
  bytes: 1000n, packets: 2n, counter: 'delta', start: 119_000, end: 120_500, samplingInterval: 1, ...over,
});

describe('FlowAccounting', () => {
  const subs = new SubscriberMap([{ prefix: '100.64.0.0/24', subscriber: 'alice' }], []);

  it('multiplies by the sampling interval; a configured override wins', () => {
    const { acc, aggregator } = pipeline(subs);
    acc.add(flow({ samplingInterval: 100 }), { name: 'r1' });
    acc.add(flow({ samplingInterval: 100 }), { name: 'r2', samplingInterval: 10 });
    const r = aggregator.flush(Number.POSITIVE_INFINITY, 0);
    expect(r.map((x) => [x.device, x.bytesDown])).toEqual([['r1', 100_000n], ['r2', 10_000n]]);
  });

  it('counts a flow whole in the bucket of its end; diffs repeated total counters', () => {
    const { acc, aggregator } = pipeline(subs);
    acc.add(flow({ counter: 'total', bytes: 1000n }), { name: 'r' });
    acc.add(flow({ counter: 'total', bytes: 1500n, end: 130_000 }), { name: 'r' });
    const r = aggregator.flush(Number.POSITIVE_INFINITY, 0);
    expect(r).toMatchObject([{ start: 120_000, end: 180_000, bytesDown: 1500n, bytesUp: 0n, subscriber: 'alice' }]);
  });

  it('keeps unattributed traffic under its own subscriber and counts it', () => {
    const { acc, aggregator } = pipeline(subs);
    acc.add(flow({ dstAddr: '192.0.2.1' }), { name: 'r' });
    expect(acc.octets.get(DEFAULT_CLASS)).toEqual({ subscriber: 0, internal: 0, unattributed: 1000 });
    expect(aggregator.flush(Number.POSITIVE_INFINITY, 0)).toMatchObject([{ subscriber: UNATTRIBUTED, bytesDown: 1000n }]);
  });

  it('flushes only buckets past the grace time, and the oldest early at the key cap', () => {
    const { acc, aggregator } = pipeline(subs, undefined, 2);
    acc.add(flow({ end: 60_000 }), { name: 'r' });
    acc.add(flow({ end: 120_000 }), { name: 'r' });
    expect(aggregator.flush(125_000, 5000)).toMatchObject([{ start: 60_000 }]);
    acc.add(flow({ end: 180_000 }), { name: 'r' });
    expect(acc.add(flow({ end: 240_000 }), { name: 'r' })).toMatchObject([{ start: 120_000 }]);
    expect(aggregator.openKeys).toBe(2);
  });
});

describe('exact octets past 2^53 (sums in doubles, bigint carry)', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  const aggregator = () => new UsageAggregator({ bucketMs: 60_000, maxOpenKeys: 10, runId: 1 });

  it('a sum that would pass 2^53 − 1 spills into the carry; bigint counts go there directly', () => {
    const a = aggregator();
    a.add('alice', 'down', '', 'r', 1000, MAX);
    a.add('alice', 'down', '', 'r', 1000, MAX);
    a.add('alice', 'down', '', 'r', 1000, 3);
    a.add('alice', 'up', '', 'r', 1000, 2n ** 64n - 1n);
    a.add('alice', 'up', '', 'r', 1000, 1);
    expect(a.flush(Number.POSITIVE_INFINITY, 0)).toMatchObject([{ bytesDown: 2n * BigInt(MAX) + 3n, bytesUp: 2n ** 64n }]);
  });

  it('equals a bigint reference over random counts near the boundary', () => {
    const r = mulberry32(53);
    const a = aggregator();
    let want = 0n;
    for (let i = 0; i < 10_000; i++) {
      const pick = r();
      const n = pick < 0.4 ? Math.floor(r() * 2 ** 20) : pick < 0.8 ? MAX - Math.floor(r() * 2 ** 20) : pick < 0.9 ? 2 ** 52 + Math.floor(r() * 2 ** 30) : 2n ** 53n + BigInt(Math.floor(r() * 2 ** 30));
      want += BigInt(n);
      a.add('alice', 'down', '', 'r', 1000, n);
    }
    expect(a.flush(Number.POSITIVE_INFINITY, 0)).toMatchObject([{ bytesDown: want, bytesUp: 0n }]);
  });

  it('sampledOctets is a double while the product is exact, a bigint beyond', () => {
    expect(sampledOctets(2 ** 40, 2 ** 12)).toBe(2 ** 52);
    expect(sampledOctets(MAX, 1)).toBe(MAX);
    expect(sampledOctets(2 ** 40 + 1, 2 ** 13)).toBe(2n ** 53n + 2n ** 13n);
    expect(sampledOctets(MAX, 3)).toBe(3n * BigInt(MAX));
    expect(sampledOctets(2n ** 60n, 2)).toBe(2n ** 61n);
  });
});
