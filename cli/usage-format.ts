// Renders usage rows as the table people read or the JSON scripts parse (exact integers, even past 2^53).
import type { UsageTotal } from '../store/usage-store.js';

/** Which optional columns the rows carry: a bucket time (--step) and a traffic class (--by class). */
export interface UsageShape {
  stepped: boolean;
  byClass: boolean;
}

/**
 * JSON array of {"subscriber","bytesDown","bytesUp"}, plus "class" (--by class) and "time" (--step); bigints as
 * bare digits. Traffic no prefix list classed has class "".
 */
export function usageJson(rows: readonly UsageTotal[], shape: UsageShape): string {
  const items = rows.map((r) => {
    const cls = shape.byClass ? `"class":${JSON.stringify(r.class ?? '')},` : '';
    const time = shape.stepped ? `"time":${JSON.stringify(new Date(r.time).toISOString())},` : '';
    return `  {"subscriber":${JSON.stringify(r.subscriber)},${cls}${time}"bytesDown":${r.bytesDown},"bytesUp":${r.bytesUp}}`;
  });
  return items.length ? `[\n${items.join(',\n')}\n]\n` : '[]\n';
}

export function usageTable(rows: readonly UsageTotal[], shape: UsageShape): string {
  const { stepped, byClass } = shape;
  const lead = [...(byClass ? ['class'] : []), ...(stepped ? ['time'] : [])];
  const head = ['subscriber', ...lead, 'bytes down', 'bytes up', 'down', 'up'];
  const body = rows.map((r) => [
    r.subscriber,
    ...(byClass ? [r.class || '(none)'] : []),
    ...(stepped ? [new Date(r.time).toISOString()] : []),
    r.bytesDown.toString(),
    r.bytesUp.toString(),
    humanBytes(r.bytesDown),
    humanBytes(r.bytesUp),
  ]);
  const total = rows.reduce((acc, r) => [acc[0]! + r.bytesDown, acc[1]! + r.bytesUp], [0n, 0n]);
  body.push(['TOTAL', ...lead.map(() => ''), total[0]!.toString(), total[1]!.toString(), humanBytes(total[0]!), humanBytes(total[1]!)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  // Text columns left-aligned, numbers right-aligned.
  const numeric = (i: number) => i > lead.length;
  const line = (row: string[]) => row.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...body.slice(0, -1).map(line), rule, line(body.at(-1)!)].join('\n') + '\n';
}

/** Decimal units (GB = 10^9 bytes), as plans and invoices state them. */
export function humanBytes(n: bigint): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let unit = 0;
  let scaled = n;
  while (scaled >= 1_000_000n && unit < units.length - 2) {
    scaled /= 1000n;
    unit++;
  }
  // Two decimals from the integer: no float rounding of large counts.
  if (scaled >= 1000n) {
    const v = Number(scaled) / 1000;
    return `${v.toFixed(2)} ${units[unit + 1]}`;
  }
  return `${scaled} ${units[unit]}`;
}
