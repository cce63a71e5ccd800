// Fills a dashboard's PromQL the way Grafana's Prometheus data source does: $__rate_interval, $__interval, variables.
import type { DashboardVariable } from './dashboard-structure.js';
import { formatInterval, type Selection } from './render-influxql.js';

export interface PromRenderInput {
  /** The query step Grafana picked ($__interval). */
  stepMs: number;
  /** The data source's scrape interval (its "timeInterval" setting). */
  scrapeMs: number;
  variables: readonly DashboardVariable[];
  selection: Selection;
  options: Record<string, readonly string[]>;
}

/** Grafana: $__rate_interval = max($__interval + scrape interval, 4 × scrape interval). */
export function rateIntervalMs(stepMs: number, scrapeMs: number): number {
  return Math.max(stepMs + scrapeMs, 4 * scrapeMs);
}

/**
 * Grafana's prometheusSpecialRegexEscape: the value goes inside a PromQL string literal, where a lone backslash
 * is an invalid escape, so each regex escape is written with two (127\\.0 in the query text).
 */
export function promRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/** A variable's text: regex-escaped and joined as (a|b) for multi-value and "All" variables; allValue as it is. */
export function renderPromVariable(v: DashboardVariable, picked: string | string[], options: readonly string[]): string {
  let values = Array.isArray(picked) ? picked : [picked];
  if (values.includes('$__all')) {
    if (v.allValue !== undefined && v.allValue !== null && v.allValue !== '') return v.allValue;
    values = [...options];
  }
  // Grafana escapes a single-value variable only for the string literal (quotes and backslashes).
  if (v.multi !== true && v.includeAll !== true) return values.join(',').replace(/[\\']/g, '\\$&');
  const escaped = values.map(promRegexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Fills $__rate_interval, $__interval, $__interval_ms and the dashboard's variables. */
export function renderPromQL(expr: string, input: PromRenderInput): string {
  const builtins: Record<string, string> = {
    __interval: formatInterval(input.stepMs),
    __rate_interval: formatInterval(rateIntervalMs(input.stepMs, input.scrapeMs)),
    __interval_ms: String(input.stepMs),
  };
  return expr.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name in builtins) return builtins[name]!;
    const v = input.variables.find((x) => x.name === name);
    if (!v) throw new Error(`expression uses $${name}, which is neither a dashboard variable nor a Grafana built-in: ${expr}`);
    const picked = input.selection[name];
    if (picked === undefined) throw new Error(`no value chosen for $${name}`);
    return renderPromVariable(v, picked, input.options[name] ?? []);
  });
}
