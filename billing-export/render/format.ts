// Text forms shared by the renderers: local dates of a period, money with digit grouping, quantities and byte counts.
import { localParts } from '../../rating/calendar.js';
import { type Dec, dec, formatMoney, minorUnits, roundTo, ZERO } from '../../rating/money.js';

/** The local calendar day of an instant in a zone, YYYY-MM-DD. */
export function localDate(instant: string | number, timezone: string): string {
  const p = localParts(typeof instant === 'number' ? instant : Date.parse(instant), timezone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/**
 * First and last local day of a [from, to) span: UBL and printed periods name inclusive days, so the last day is
 * the day of the last instant before `to`. A point in time (a one-off, from = to) is that one day.
 */
export function periodDays(span: { from: string; to: string }, timezone: string): { start: string; end: string } {
  const from = Date.parse(span.from);
  const to = Date.parse(span.to);
  return { start: localDate(from, timezone), end: localDate(to > from ? to - 1 : from, timezone) };
}

/** "1,234.56", "−8.37", "13,240": the currency's digits, comma-grouped thousands, a real minus sign. */
export function formatAmount(amount: Dec, currency: string): string {
  const text = formatMoney(amount, currency);
  const negative = text.startsWith('-');
  const [int, frac] = (negative ? text.slice(1) : text).split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // A minus only on what still shows a non-zero digit: −0.001 EUR prints 0.00.
  return `${negative && /[1-9]/.test(text) ? '−' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** A unit price for reading: at least the currency's digits, more when rating priced finer ("2.50", "0.023603", "12.5" JPY). */
export function formatPrice(price: Dec, currency: string): string {
  const exact = price.abs().toFixed();
  const dot = exact.indexOf('.');
  const dp = Math.max(minorUnits(currency), dot < 0 ? 0 : exact.length - dot - 1);
  const [int, frac] = price.abs().toFixed(dp).split('.') as [string, string | undefined];
  return `${price.lt(ZERO) ? '−' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac !== undefined ? `.${frac}` : ''}`;
}

/** A quantity for reading: at most `dp` decimals (the exact value stays in JSON and UBL). */
export function formatQuantity(q: Dec, dp = 6): string {
  return roundTo(q, dp, 'HALF_UP').toFixed();
}

/** A decimal price or rate as rating kept it, without exponent: "0.0395", "12.5". */
export function formatDecimal(d: Dec): string {
  return d.toFixed();
}

/** A tax rate as a percentage: "19", "6.25", "9.975". */
export function percentOf(rate: Dec): string {
  return rate.times(dec('100')).toFixed();
}

const BYTE_STEPS: [bigint, string][] = [[10n ** 12n, 'TB'], [10n ** 9n, 'GB'], [10n ** 6n, 'MB'], [10n ** 3n, 'kB']];

/** Decimal units, two decimals: "684.42 GB" (GB = 10^9 bytes, as the catalog's units). */
export function formatBytes(bytes: bigint): string {
  for (const [size, name] of BYTE_STEPS) {
    if (bytes >= size) return `${dec(bytes).div(dec(size)).round(2).toFixed(2)} ${name}`;
  }
  return `${bytes.toString()} B`;
}

/** 684424066706 → "684,424,066,706" (exact bytes in an appendix). */
export function groupDigits(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A tax's label with its rate, unless the name already states it: "GST 5 %", "Umsatzsteuer 19 %". */
export function taxLabel(name: string, rate: Dec): string {
  const pct = percentOf(rate);
  return new RegExp(`(^|[^\\d.])${pct.replace('.', '\\.')}\\s?%`).test(name) ? name : `${name} ${pct} %`;
}

/** 1, 2, 2.5, 5 × 10^n at or above the value, so a chart axis has round labels. */
export function niceCeiling(v: Dec): Dec {
  if (v.lte(ZERO)) return ZERO;
  let scale = dec('1');
  while (scale.times(dec('10')).lt(v)) scale = scale.times(dec('10'));
  while (scale.gt(v)) scale = scale.div(dec('10'));
  for (const m of ['1', '2', '2.5', '5']) {
    const c = scale.times(dec(m));
    if (c.gte(v)) return c;
  }
  return scale.times(dec('10'));
}
