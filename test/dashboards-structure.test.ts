// The Grafana dashboards and provisioning files are what Grafana's file provisioning loads: checked without Grafana.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { dashboardProblems, provisionedDataSources, type Dashboard } from './grafana/dashboard-structure.js';
import { ROOT } from './wispmeter/collector-process.js';

const DIR = join(ROOT, 'dashboards');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Dashboard;
const dataSources = provisionedDataSources(join(DIR, 'provisioning', 'datasources'));

describe('dashboards/', () => {
  it('has the usage and radio-health dashboards and provisions an InfluxDB data source for them', () => {
    expect(files).toEqual(expect.arrayContaining(['wispmeter-network.json', 'wispmeter-subscriber.json', 'wispmeter-radio.json']));
    expect(dataSources.get('wispmeter-influx')?.type).toBe('influxdb');
  });

  it.each(files)('%s has no structural problem', (f) => {
    expect(dashboardProblems(load(f), dataSources)).toEqual([]);
  });

  it('gives every dashboard its own uid', () => {
    const uids = files.map((f) => load(f).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('provisions the dashboards from a file provider', () => {
    const doc = parse(readFileSync(join(DIR, 'provisioning', 'dashboards', 'wispmeter.yaml'), 'utf8')) as {
      apiVersion: number;
      providers: { name: string; type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]).toMatchObject({ name: 'wispmeter', type: 'file' });
    expect(doc.providers[0]!.options.path).toMatch(/^\//);
  });
});

describe('dashboardProblems finds what Grafana would trip on', () => {
  const base = () => load('wispmeter-subscriber.json');
  const cases: { name: string; mutate: (d: Dashboard) => void; want: RegExp }[] = [
    { name: 'a repeated panel id', mutate: (d) => (d.panels[1]!.id = d.panels[0]!.id), want: /id 1 used twice/ },
    { name: 'a uid Grafana refuses', mutate: (d) => (d.uid = 'has spaces in it'), want: /uid "has spaces in it"/ },
    { name: 'an old schemaVersion', mutate: (d) => (d.schemaVersion = 16), want: /schemaVersion 16/ },
    { name: 'a datasource that is not provisioned', mutate: (d) => (d.panels[0]!.datasource = { type: 'influxdb', uid: 'elsewhere' }), want: /uid elsewhere is not provisioned/ },
    { name: 'a datasource of the wrong type', mutate: (d) => (d.panels[0]!.targets![0]!.datasource = { type: 'prometheus', uid: 'wispmeter-influx' }), want: /is of type influxdb, not prometheus/ },
    { name: 'a query built by the editor', mutate: (d) => (d.panels[0]!.targets![0]!.rawQuery = false), want: /rawQuery: true/ },
    { name: 'an undeclared variable', mutate: (d) => (d.panels[0]!.targets![0]!.query += ' AND "device" =~ /^$nas$/'), want: /uses \$nas/ },
    { name: 'overlapping panels', mutate: (d) => (d.panels[1]!.gridPos = { ...d.panels[0]!.gridPos }), want: /overlaps panel 1/ },
    { name: 'a panel wider than the grid', mutate: (d) => (d.panels[0]!.gridPos.x = 20), want: /outside the 24-column grid/ },
    { name: 'a variable declared twice', mutate: (d) => d.templating.list.push({ ...d.templating.list[0]! }), want: /variable subscriber declared twice/ },
  ];
  it.each(cases)('$name', ({ mutate, want }) => {
    const d = base();
    mutate(d);
    expect(dashboardProblems(d, dataSources).join('\n')).toMatch(want);
  });
});
