// Fills a dashboard's InfluxQL the way Grafana's InfluxDB data source does, so tests can run it against a real influxd.
import type { DashboardVariable } from './dashboard-structure.js';

export interface RenderRange {
  from: Date;
  to: Date;
  /** Grafana's max data points (the panel's width in pixels); $__interval = range / this, rounded. */
  maxDataPoints: number;
}

/** What the user picked for each variable: one value, several, or "$__all". */
export type Selection = Record<string, string | string[]>;

/** Grafana's interval rounding table (kbn.roundInterval), enough of it for ranges from minutes to months. */
const ROUNDED: [upToMs: number, ms: number][] = [
  [1_500, 1_000], [3_500, 2_000], [7_500, 5_000], [12_500, 10_000], [17_500, 15_000], [25_000, 20_000],
  [45_000, 30_000], [90_000, 60_000], [210_000, 120_000], [450_000, 300_000], [750_000, 600_000],
  [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000], [5_400_000, 3_600_000],
  [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000], [86_400_000, 43_200_000],
  [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [Infinity, 2_592_000_000],
];

export function roundInterval(ms: number): number {
  return ROUNDED.find(([upTo]) => ms < upTo)![1];
}

/** 300000 → "5m", as Grafana writes $__interval. */
export function formatInterval(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Grafana's influxRegularEscape: a value inside /.../ matches itself only. */
export function influxRegexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/**
 * One variable's text in a query. Grafana escapes values for a regex when the variable is multi-value or has
 * "All", joins several as (a|b), and uses allValue (raw) or every option for "All". Others go in raw.
 */
export function renderVariable(v: DashboardVariable, picked: string | string[], options: readonly string[]): string {
  const regexFormat = v.multi === true || v.includeAll === true;
  let values = Array.isArray(picked) ? picked : [picked];
  if (values.includes('$__all')) {
    if (v.allValue !== undefined && v.allValue !== null && v.allValue !== '') return v.allValue;
    values = [...options];
  }
  if (!regexFormat) return values.join(',');
  const escaped = values.map(influxRegexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

export interface RenderInput {
  range: RenderRange;
  /** Panel's own minimum interval ("1d"), which Grafana applies to $__interval when larger. */
  minInterval?: string;
  variables: readonly DashboardVariable[];
  selection: Selection;
  /** Options of query variables (what their own query answered), for "All". */
  options: Record<string, readonly string[]>;
}

export function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(s);
  if (!m) throw new Error(`not a Grafana interval: ${s}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export function intervalMs(range: RenderRange, minInterval?: string): number {
  const raw = roundInterval((range.to.getTime() - range.from.getTime()) / range.maxDataPoints);
  return Math.max(raw, minInterval ? parseDuration(minInterval) : 0);
}

/** The query text Grafana would send for this selection and range. Unknown variables are an error, not left in. */
export function renderQuery(query: string, input: RenderInput): string {
  const ms = intervalMs(input.range, input.minInterval);
  const builtins: Record<string, string> = {
    timeFilter: `time >= ${input.range.from.getTime()}ms and time <= ${input.range.to.getTime()}ms`,
    __interval: formatInterval(ms),
    interval: formatInterval(ms),
    __interval_ms: String(ms),
  };
  return query.replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name in builtins) return builtins[name]!;
    const v = input.variables.find((x) => x.name === name);
    if (!v) throw new Error(`query uses $${name}, which is neither a dashboard variable nor a Grafana built-in: ${query}`);
    const picked = input.selection[name];
    if (picked === undefined) throw new Error(`no value chosen for $${name}`);
    return renderVariable(v, picked, input.options[name] ?? []);
  });
}
