// Local time in the customer's zone from Intl (the runtime's ICU data; nothing downloaded): parts, local→UTC, billing periods.

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock parts of a UTC instant in `tz`, straight from Intl (slow: a formatToParts call). */
function intlParts(ms: number, tz: string): LocalParts {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(ms)) out[p.type] = p.value;
  return {
    year: Number(out.year), month: Number(out.month), day: Number(out.day),
    hour: Number(out.hour), minute: Number(out.minute), second: Number(out.second),
    weekday: WEEKDAYS[out.weekday!]!,
  };
}

// Offsets change only at transitions on a 15-minute UTC boundary (true of every zone in tzdata today), so one
// Intl call per zone and quarter hour serves every usage row in it; rating a month calls Intl ~3000 times per zone.
const QUARTER_MS = 900_000;
const offsets = new Map<string, number>();

/** Wall-clock parts of a UTC instant in `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  const slot = Math.floor(ms / QUARTER_MS);
  const key = `${tz} ${slot}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = slot * QUARTER_MS;
    const p = intlParts(start, tz);
    offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - start;
    if (offsets.size > 500_000) offsets.clear();
    offsets.set(key, offset);
  }
  const d = new Date(ms + offset);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    weekday: (d.getUTCDay() + 6) % 7,
  };
}

/** Offset of `tz` from UTC at an instant, in ms (east positive). */
export function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in `tz`. A time skipped by a DST jump (02:30 on a spring-forward night)
 * is moved forward by the jump; a repeated time (01:30 on a fall-back night) is the first of the two.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Try both offsets around the instant; the earliest instant whose wall clock matches wins.
  const candidates = [offsetAt(wall - 86_400_000, tz), offsetAt(wall + 86_400_000, tz)].map((o) => wall - o);
  const matching = candidates.filter((t) => wall - offsetAt(t, tz) === t).sort((a, b) => a - b);
  if (matching.length > 0) return matching[0]!;
  // In a gap: keep the offset from before the jump, which lands after it.
  return wall - offsetAt(wall - 86_400_000, tz);
}

/** "2025-12-17" → start of that day in `tz`; an instant with offset ("…T08:30:00Z") as written. */
export function parseInstant(s: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return zonedToUtc(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, tz);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`calendar: not a date or instant: ${JSON.stringify(s)}`);
  return t;
}

/** Days since 1970-01-01 of the local calendar date of an instant: counts a 23- or 25-hour DST day as one day. */
export function localDayNumber(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day) / 86_400_000;
}

export interface Period {
  /** [from, to) in UTC ms. */
  from: number;
  to: number;
}

/**
 * Billing period "YYYY-MM" for a billing day: from local midnight of that day in that month to the same day of the
 * next month, in the customer's zone. Billing days run 1–28 so every month has the day.
 */
export function billingPeriod(period: string, billingDay: number, tz: string): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`calendar: not a billing period: ${JSON.stringify(period)} (expected YYYY-MM)`);
  if (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 28) throw new Error(`calendar: billing day ${billingDay} (expected 1 to 28)`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  return { from: zonedToUtc(year, month, billingDay, 0, 0, tz), to: zonedToUtc(next.year, next.month, billingDay, 0, 0, tz) };
}

/** The billing period label ("YYYY-MM") an instant falls in, for counting periods since a start. */
export function periodIndex(ms: number, billingDay: number, tz: string): number {
  const p = localParts(ms, tz);
  const months = p.year * 12 + (p.month - 1);
  return p.day >= billingDay ? months : months - 1;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
