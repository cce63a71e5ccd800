// Checks a dashboard JSON file against what Grafana's file provisioning and the provisioned data sources need.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface DataSourceRef {
  type: string;
  uid: string;
}

export interface DashboardVariable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

export interface DashboardTarget {
  refId: string;
  datasource?: DataSourceRef;
  rawQuery?: boolean;
  query?: string;
  expr?: string;
  resultFormat?: string;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  gridPos: { h: number; w: number; x: number; y: number };
  interval?: string;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: DashboardVariable[] };
  panels: DashboardPanel[];
}

/** The data sources provisioned by dashboards/provisioning/datasources/*.yaml, by uid. */
export function provisionedDataSources(dir: string): Map<string, DataSourceRef> {
  const out = new Map<string, DataSourceRef>();
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as { apiVersion?: number; datasources?: { uid?: string; type?: string; name?: string }[] };
    if (doc.apiVersion !== 1) throw new Error(`${file}: apiVersion must be 1`);
    for (const ds of doc.datasources ?? []) {
      if (!ds.uid || !ds.type || !ds.name) throw new Error(`${file}: every data source needs name, type and uid (${JSON.stringify(ds)})`);
      if (out.has(ds.uid)) throw new Error(`${file}: data source uid ${ds.uid} given twice`);
      out.set(ds.uid, { uid: ds.uid, type: ds.type });
    }
  }
  return out;
}

/** Panels, rows' nested panels included. */
export function allPanels(d: Dashboard): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

const BUILTINS = new Set(['timeFilter', '__interval', '__interval_ms', 'interval', '__range', '__range_s', '__range_ms', '__rate_interval', '__timeFilter', '__dashboard', '__org', '__user']);
const PANELS_WITHOUT_QUERIES = new Set(['row', 'text', 'news', 'dashlist']);
const VARIABLE_TYPES = new Set(['query', 'custom', 'textbox', 'constant', 'interval', 'datasource', 'adhoc']);

/** Every problem found, one line each; empty when the dashboard is fine. */
export function dashboardProblems(value: unknown, dataSources: ReadonlyMap<string, DataSourceRef>): string[] {
  const problems: string[] = [];
  const d = value as Partial<Dashboard>;
  const fail = (s: string) => problems.push(s);
  if (typeof d !== 'object' || d === null) return ['not a JSON object'];
  if (typeof d.uid !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) fail(`uid ${JSON.stringify(d.uid)}: 1 to 40 letters, digits, - or _`);
  if (typeof d.title !== 'string' || d.title === '') fail('title missing');
  // Grafana migrates older dashboards on load; 36 is where datasource refs by uid became the norm.
  if (!Number.isInteger(d.schemaVersion) || d.schemaVersion! < 36) fail(`schemaVersion ${d.schemaVersion}: an integer ≥ 36`);
  if ('id' in d && d.id !== null) fail('a provisioned dashboard carries no database id (set "id": null or leave it out)');
  if (!Array.isArray(d.templating?.list)) fail('templating.list missing');
  if (!Array.isArray(d.panels) || d.panels.length === 0) return [...problems, 'panels missing'];

  const variables = d.templating?.list ?? [];
  const names = new Set<string>();
  for (const v of variables) {
    if (!/^\w+$/.test(v.name ?? '')) fail(`variable ${JSON.stringify(v.name)}: name of letters, digits and _`);
    if (names.has(v.name)) fail(`variable ${v.name} declared twice`);
    names.add(v.name);
    if (!VARIABLE_TYPES.has(v.type)) fail(`variable ${v.name}: unknown type ${v.type}`);
    if (v.type === 'query') {
      checkRef(`variable ${v.name}`, v.datasource);
      if (!v.query) fail(`variable ${v.name}: query variable without a query`);
      else checkVariables(`variable ${v.name}`, v.query);
    }
  }

  const ids = new Set<number>();
  const cells = new Map<string, string>();
  for (const p of allPanels(d as Dashboard)) {
    const where = `panel ${p.id} "${p.title}"`;
    if (!Number.isInteger(p.id) || p.id <= 0) fail(`${where}: id must be a positive integer`);
    if (ids.has(p.id)) fail(`${where}: id ${p.id} used twice`);
    ids.add(p.id);
    if (typeof p.title !== 'string') fail(`${where}: title missing`);
    checkGrid(where, p.gridPos, cells);
    if (PANELS_WITHOUT_QUERIES.has(p.type)) continue;
    checkRef(where, p.datasource);
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      fail(`${where}: no targets`);
      continue;
    }
    const refIds = new Set<string>();
    for (const t of p.targets) {
      const at = `${where} target ${t.refId}`;
      if (!t.refId || refIds.has(t.refId)) fail(`${at}: refId missing or repeated`);
      refIds.add(t.refId);
      checkRef(at, t.datasource);
      if (t.datasource && p.datasource && t.datasource.uid !== p.datasource.uid) fail(`${at}: datasource ${t.datasource.uid} differs from the panel's ${p.datasource.uid}`);
      const type = t.datasource?.type ?? p.datasource?.type;
      if (type === 'influxdb') {
        if (t.rawQuery !== true) fail(`${at}: InfluxQL targets must be raw queries (rawQuery: true) so the text is what runs`);
        if (!t.query?.trim()) fail(`${at}: empty query`);
        else checkVariables(at, t.query);
        if (t.resultFormat !== 'time_series' && t.resultFormat !== 'table') fail(`${at}: resultFormat ${t.resultFormat}: time_series or table`);
      } else if (type === 'prometheus') {
        if (!t.expr?.trim()) fail(`${at}: empty expr`);
        else checkVariables(at, t.expr);
      }
    }
  }
  return problems;

  function checkRef(where: string, ref: DataSourceRef | undefined): void {
    if (!ref || typeof ref !== 'object') return void fail(`${where}: datasource must be a {type, uid} reference`);
    const ds = dataSources.get(ref.uid);
    if (!ds) return void fail(`${where}: datasource uid ${ref.uid} is not provisioned (have ${[...dataSources.keys()].join(', ')})`);
    if (ds.type !== ref.type) fail(`${where}: datasource ${ref.uid} is of type ${ds.type}, not ${ref.type}`);
  }

  function checkVariables(where: string, text: string): void {
    for (const m of text.matchAll(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g)) {
      const name = (m[1] ?? m[2])!;
      if (!BUILTINS.has(name) && !names.has(name)) fail(`${where}: uses $${name}, which is not a variable of this dashboard`);
    }
  }

  function checkGrid(where: string, g: DashboardPanel['gridPos'] | undefined, taken: Map<string, string>): void {
    if (!g || ![g.h, g.w, g.x, g.y].every((n) => Number.isInteger(n) && n >= 0)) return void fail(`${where}: gridPos needs integer h, w, x, y`);
    if (g.w < 1 || g.h < 1 || g.x + g.w > 24) return void fail(`${where}: gridPos ${JSON.stringify(g)} outside the 24-column grid`);
    for (let y = g.y; y < g.y + g.h; y++) {
      for (let x = g.x; x < g.x + g.w; x++) {
        const other = taken.get(`${x},${y}`);
        if (other) return void fail(`${where}: overlaps ${other}`);
        taken.set(`${x},${y}`, where);
      }
    }
  }
}
