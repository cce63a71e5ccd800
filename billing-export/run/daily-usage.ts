// Daily usage of a billing period for the invoice's small chart, in the customer's zone, from the rows rating read.
import { localParts } from '../../rating/calendar.js';
import { ALL_SOURCES, type CustomerUsage, type UsageRow } from '../../rating/usage.js';
import type { DailyUsage } from '../document.js';

/**
 * Sums the rows per local day. Rows read once per source (source precedence) would count a subscriber's traffic
 * once per source, so for each subscriber only the first source with rows (radius, netflow, snmp, routeros) counts.
 */
export function dailyUsage(usage: CustomerUsage, timezone: string): DailyUsage[] {
  const chosen = new Map<string, UsageRow['source']>();
  for (const source of ALL_SOURCES) {
    for (const r of usage.rows) if (r.source === source && !chosen.has(r.subscriber)) chosen.set(r.subscriber, source);
  }
  const days = new Map<string, { down: bigint; up: bigint }>();
  for (const r of usage.rows) {
    if (r.source !== undefined && chosen.get(r.subscriber) !== r.source) continue;
    const p = localParts(r.time, timezone);
    const date = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
    const d = days.get(date);
    if (d) {
      d.down += r.bytesDown;
      d.up += r.bytesUp;
    } else days.set(date, { down: r.bytesDown, up: r.bytesUp });
  }
  return [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, d]) => ({ date, bytesDown: d.down, bytesUp: d.up }));
}
