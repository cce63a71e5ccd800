// Bytes down and up summed per key over usage records: how tests compare what a collector stored with a truth.
import type { UsageRecord } from '../collectors/pipeline/usage-record.js';

export function sumUsage(records: readonly UsageRecord[], key: (r: UsageRecord) => string): Map<string, { down: bigint; up: bigint }> {
  const m = new Map<string, { down: bigint; up: bigint }>();
  for (const r of records) {
    const t = m.get(key(r)) ?? { down: 0n, up: 0n };
    t.down += r.bytesDown;
    t.up += r.bytesUp;
    m.set(key(r), t);
  }
  return m;
}
