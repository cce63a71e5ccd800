// One ordering for usage rows in every store: subscriber, then class (by UTF-16 code units), then bucket time.
import type { UsageTotal } from './usage-store.js';

export function compareUsageTotals(a: UsageTotal, b: UsageTotal): number {
  if (a.subscriber !== b.subscriber) return a.subscriber < b.subscriber ? -1 : 1;
  const ac = a.class ?? '';
  const bc = b.class ?? '';
  if (ac !== bc) return ac < bc ? -1 : 1;
  return a.time - b.time;
}
