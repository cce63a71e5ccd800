// The aggregator's recent-sums cache: hints only pick a slot, so colliding, wrong or reused hints never misplace or lose octets.
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../pipeline/usage-record.js';
import { mulberry32 } from '../../scripts/prng.js';
import { UsageAggregator } from './usage-aggregator.js';
import { sumUsage } from '../../test/usage-sums.js';

const key = (r: { subscriber: string; class?: string; device: string; start: number }) => `${r.subscriber}|${r.class ?? ''}|${r.device}|${r.start}`;

const totals = (records: readonly UsageRecord[]) => sumUsage(records, key);

describe('UsageAggregator recent sums (hint-picked cache)', () => {
  it('a sum closed by a flush or by the key cap is never added to again', () => {
    const a = new UsageAggregator({ bucketMs: 60_000, maxOpenKeys: 2, runId: 1 });
    a.add('alice', 'down', '', 'r', 1000, 10, 7);
    const first = a.flush(Number.POSITIVE_INFINITY, 0);
    a.add('alice', 'down', '', 'r', 1000, 5, 7); // same hint, same bucket: a new sum, not the flushed one
    const early = [...a.add('bob', 'up', '', 'r', 61_000, 1, 8), ...a.add('carol', 'up', '', 'r', 121_000, 1, 9)];
    expect(early).toMatchObject([{ subscriber: 'alice', bytesDown: 5n }]); // the cap closed alice's second sum
    const rest = [...a.add('alice', 'down', '', 'r', 1000, 3, 7), ...a.flush(Number.POSITIVE_INFINITY, 0)];
    expect([...first, ...early, ...rest].filter((r) => r.subscriber === 'alice').map((r) => r.bytesDown)).toEqual([10n, 5n, 3n]);
  });

  it('equals a plain sum per (subscriber, class, device, bucket) with colliding hints, flushes and the key cap', () => {
    const r = mulberry32(11);
    const int = (n: number) => Math.floor(r() * n);
    const a = new UsageAggregator({ bucketMs: 60_000, maxOpenKeys: 40, runId: 1 });
    const want = new Map<string, { down: bigint; up: bigint }>();
    const records: UsageRecord[] = [];
    for (let i = 0; i < 20_000; i++) {
      const subscriber = `s${int(30)}`;
      const cls = ['', 'zero-rated'][int(2)]!;
      const device = ['r1', 'r2'][int(2)]!;
      const end = int(5) * 60_000 + int(60_000);
      const octets = 1 + int(1000);
      const direction = r() < 0.5 ? 'down' : 'up';
      // Hints: mostly the subscriber's own number, sometimes another's or one shared by all (collisions).
      const hint = r() < 0.7 ? Number(subscriber.slice(1)) : r() < 0.5 ? int(30) : 0;
      records.push(...a.add(subscriber, direction, cls, device, end, octets, hint));
      const t = want.get(key({ subscriber, class: cls, device, start: end - (end % 60_000) })) ?? { down: 0n, up: 0n };
      if (direction === 'down') t.down += BigInt(octets);
      else t.up += BigInt(octets);
      want.set(key({ subscriber, class: cls, device, start: end - (end % 60_000) }), t);
      if (i % 997 === 0) records.push(...a.flush(int(6) * 60_000, 0));
    }
    records.push(...a.flush(Number.POSITIVE_INFINITY, 0));
    expect(totals(records)).toEqual(want);
  });
});
