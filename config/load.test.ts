// Table tests of the config loader: broken files and their exact error lines, the sample's round trip, secrets kept out.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './load.js';
import { billingSchema } from '../billing-export/config.js';
import { configSchema } from './schema.js';

const F = 'wispmeter.yaml';
const SAMPLE = readFileSync(new URL('./wispmeter.sample.yaml', import.meta.url), 'utf8');

/** The error lines parseConfig throws for `text`, or a failure if it does not throw a ConfigError. */
function errorLines(text: string): string[] {
  try {
    parseConfig(text, F);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

// One valid radius.clients entry (4-space indent), so a case shows only the problem it is about.
const client = (name: string, address: string, secret = 's3cret') => `    - name: ${name}\n      address: ${address}\n      secret: ${secret}\n`;

const broken: { name: string; yaml: string; want: string[] }[] = [
  {
    name: 'empty file',
    yaml: '',
    want: [`${F}:1 (top level): the file is empty (expected a mapping of settings, see config/wispmeter.sample.yaml)`],
  },
  {
    name: 'only comments',
    yaml: '# nothing here\n# at all\n',
    want: [`${F}:1 (top level): the file is empty (expected a mapping of settings, see config/wispmeter.sample.yaml)`],
  },
  {
    name: 'a list instead of a mapping',
    yaml: '- radius\n- spool\n',
    want: [`${F}:1 (top level): not a mapping: the document is a list (expected a mapping of settings such as radius:, spool:, stores:)`],
  },
  {
    name: 'a scalar instead of a mapping',
    yaml: 'hello\n',
    want: [`${F}:1 (top level): not a mapping: the document is a string (expected a mapping of settings such as radius:, spool:, stores:)`],
  },
  {
    name: 'missing secret names the parent mapping line',
    yaml: `radius:\n  clients:\n${client('a', '10.0.0.1')}    - name: b\n      address: 10.0.0.2\n`,
    want: [`${F}:6 radius.clients[1].secret: missing (expected a non-empty string)`],
  },
  {
    name: 'byte size that is not one',
    yaml: 'log:\n  level: info\nspool:\n  maxBytes: lots\n',
    want: [`${F}:4 spool.maxBytes: not a byte size: "lots" (expected e.g. 1048576, "512MiB", "1GB")`],
  },
  {
    name: 'influx version outside the discriminated union',
    yaml: 'stores:\n  influx:\n    url: http://127.0.0.1:8086\n    database: w\n    version: 3\n',
    want: [`${F}:5 stores.influx.version: invalid value 3 (expected 1 or 2)`],
  },
  {
    name: 'influx without a version',
    yaml: 'stores:\n  influx:\n    url: http://127.0.0.1:8086\n',
    want: [`${F}:2 stores.influx.version: missing (expected 1 or 2)`],
  },
  {
    name: 'misspelt key, with a suggestion',
    yaml: 'radius:\n  listen: ["127.0.0.1:1813"]\n  listne: ["127.0.0.1:1814"]\n',
    want: [`${F}:3 radius.listne: unknown key, did you mean listen? (expected one of listen, clients, identity, duplicateWindow, closedSessionRetention, staleSessionTimeout, unstoppedSessionRetention)`],
  },
  {
    name: 'unknown top-level key',
    yaml: 'collectors:\n  radius: {}\n',
    want: [`${F}:1 collectors: unknown key (expected one of dataDir, log, metrics, spool, radius, netflow, snmp, routeros, catalog, stores, billing, portal)`],
  },
  {
    name: 'enum value',
    yaml: 'log:\n  level: verbose\n',
    want: [`${F}:2 log.level: invalid value "verbose" (expected one of fatal, error, warn, info, debug, trace)`],
  },
  {
    name: 'boolean written as yes (YAML 1.2 reads a string)',
    yaml: 'log:\n  pretty: yes\n',
    want: [`${F}:2 log.pretty: wrong type: got "yes" (expected true or false)`],
  },
  {
    name: 'empty value',
    yaml: 'dataDir:\n',
    want: [`${F}:1 dataDir: empty value (expected a non-empty string)`],
  },
  {
    name: 'empty list',
    yaml: 'radius:\n  listen: []\n',
    want: [`${F}:2 radius.listen: empty list (expected a non-empty list of HOST:PORT, e.g. "0.0.0.0:1813" or "[::]:1813")`],
  },
  {
    name: 'listen address, CIDR and duration from custom checks',
    yaml: `metrics:\n  listen: localhost\nradius:\n  duplicateWindow: 3 weeks\n  clients:\n${client('a', '10.0.0.300')}`,
    want: [
      `${F}:2 metrics.listen: not a listen address: "localhost" (expected HOST:PORT, e.g. "0.0.0.0:1813" or "[::]:1813")`,
      `${F}:4 radius.duplicateWindow: not a duration: "3 weeks" (expected e.g. 500ms, 30s, 5m, 24h)`,
      `${F}:7 radius.clients[0].address: not an IP address or CIDR prefix: "10.0.0.300" (expected e.g. "10.0.0.1", "10.0.0.0/24", "2001:db8::/32")`,
    ],
  },
  {
    name: 'wrong types: number range, mapping, union of mapping or false',
    yaml: 'stores:\n  embedded: true\n  influx:\n    version: 1\n    url: not a url\n    database: w\n    batchSize: 0\nlog: info\n',
    want: [
      `${F}:2 stores.embedded: wrong type: got true (expected a mapping or false)`,
      `${F}:5 stores.influx.url: not a URL: "not a url" (expected a URL, e.g. http://127.0.0.1:8086)`,
      `${F}:7 stores.influx.batchSize: too small: 0 (expected an integer from 1 to 100000)`,
      `${F}:8 log: wrong type: got "info" (expected a mapping)`,
    ],
  },
  {
    name: 'influx v2 missing keys and a v1-only key',
    yaml: 'stores:\n  influx:\n    version: 2\n    url: http://127.0.0.1:8086\n    org: o\n    username: u\n',
    want: [
      `${F}:2 stores.influx.bucket: missing (expected a non-empty string)`,
      `${F}:2 stores.influx.token: missing (expected a non-empty string)`,
      `${F}:6 stores.influx.username: unknown key (expected one of version, url, batchSize, timeout, org, bucket, token, database)`,
    ],
  },
  {
    name: 'duplicate client name and the same prefix twice',
    yaml: `radius:\n  clients:\n${client('a', '10.0.0.1')}${client('a', '10.0.0.1/32')}${client('b', '10.1.0.0/16')}${client('c', '10.1.255.255/16')}`,
    want: [
      `${F}:6 radius.clients[1].name: duplicate client name "a" (expected unique names; first used by radius.clients[0] at line 3)`,
      `${F}:7 radius.clients[1].address: "10.0.0.1/32" is the same prefix as radius.clients[0] at line 4 (expected each address or prefix once)`,
      `${F}:13 radius.clients[3].address: "10.1.255.255/16" is the same prefix as radius.clients[2] at line 10 (expected each address or prefix once)`,
    ],
  },
  {
    name: 'the same IPv6 prefix written two ways',
    yaml: `radius:\n  clients:\n${client('a', '2001:db8::/32')}${client('b', '2001:0db8:0:0::1/32')}`,
    want: [`${F}:7 radius.clients[1].address: "2001:0db8:0:0::1/32" is the same prefix as radius.clients[0] at line 4 (expected each address or prefix once)`],
  },
  {
    name: 'the scheduler told to deliver over channels that are not set up',
    yaml: [
      'billing:', '  seller: { legalName: Mesa, address: { lines: ["1 Rd"], countryCode: US } }',
      '  schedule:', '    deliver:', '      email: true', '      webhooks: true', '      retryEveryMs: 10', '',
    ].join('\n'),
    want: [
      `${F}:5 billing.schedule.deliver.email: nothing to send with, no billing.email section: true (expected billing.email with smtp, from and subject, or email: false)`,
      `${F}:6 billing.schedule.deliver.webhooks: nothing to push to, no billing.webhooks section: true (expected billing.webhooks with endpoints, or webhooks: false)`,
      `${F}:7 billing.schedule.deliver.retryEveryMs: too small: 10 (expected an integer from 1000 to 86400000)`,
    ],
  },
  {
    name: 'duplicate key',
    yaml: 'log:\n  level: info\n  level: debug\n',
    want: [`${F}:3 log.level: duplicate key (expected each key once per mapping)`],
  },
  {
    name: 'tab indentation',
    yaml: 'log:\n\tlevel: info\n',
    want: [
      `${F}:1 log: empty value (expected a mapping)`,
      `${F}:2 level: unknown key (expected one of dataDir, log, metrics, spool, radius, netflow, snmp, routeros, catalog, stores, billing, portal)`,
      `${F}:2 log: tab used for indentation (expected spaces)`,
    ],
  },
  {
    name: 'segment larger than the spool cap',
    yaml: 'spool:\n  maxBytes: 1MiB\n  segmentBytes: 64MiB\n',
    want: [`${F}:3 spool.segmentBytes: 67108864 bytes is larger than spool.maxBytes (1048576 bytes) (expected at most spool.maxBytes)`],
  },
  {
    name: 'no store left',
    yaml: 'stores:\n  embedded: false\n',
    want: [`${F}:2 stores.embedded: no store left: embedded is off and no influx is set (expected stores.embedded or stores.influx)`],
  },
  {
    name: 'influx v1 username without password',
    yaml: 'stores:\n  influx:\n    version: 1\n    url: http://127.0.0.1:8086\n    database: w\n    username: u\n',
    want: [`${F}:2 stores.influx.password: missing while username is set (expected both username and password, or neither)`],
  },
  {
    name: 'several problems at once, in line order',
    yaml: 'spool:\n  maxBytes: -1\nradius:\n  listen: ["0.0.0.0:1813", "0.0.0.0:1813"]\n  identity:\n    attribute: NAS-Port\nbogus: 1\n',
    want: [
      `${F}:2 spool.maxBytes: too small: -1 (expected a byte size, e.g. 1048576, "512MiB", "1GB")`,
      `${F}:4 radius.listen[1]: "0.0.0.0:1813" is listed twice (expected each listen address once)`,
      `${F}:6 radius.identity.attribute: invalid value "NAS-Port" (expected one of User-Name, Calling-Station-Id, Class)`,
      `${F}:7 bogus: unknown key (expected one of dataDir, log, metrics, spool, radius, netflow, snmp, routeros, catalog, stores, billing, portal)`,
    ],
  },
  {
    name: 'snmp targets: unknown version, missing community, authPriv without privacy, short passphrase, bad regex, same name twice',
    yaml: [
      'snmp:',
      '  subscribers:',
      '    if-mib:',
      '      pattern: "cust:(["',
      '  targets:',
      '    - { name: a, version: 1, address: 10.0.0.1, community: c }',
      '    - { name: b, version: 2c, address: 10.0.0.2 }',
      '    - { name: c, version: 3, address: 10.0.0.3, user: u, level: authPriv, authPassword: longenough }',
      '    - { name: d, version: 3, address: 10.0.0.4, user: u, level: authNoPriv, authPassword: short }',
      '    - { name: d, version: 2c, address: 10.0.0.5, community: c, profiles: [queues] }',
      '',
    ].join('\n'),
    want: [
      `${F}:4 snmp.subscribers.if-mib.pattern: not a regular expression: "cust:([" (expected a JavaScript regular expression, e.g. "^cust:(\\S+)$")`,
      `${F}:6 snmp.targets[0].version: invalid value 1 (expected "2c" or 3)`,
      `${F}:7 snmp.targets[1].community: missing (expected a non-empty string)`,
      `${F}:8 snmp.targets[2].privPassword: missing while level is authPriv (expected a passphrase of at least 8 characters)`,
      `${F}:8 snmp.targets[2].privProtocol: missing while level is authPriv (expected aes, aes256b or aes256r)`,
      `${F}:9 snmp.targets[3].authPassword: too small: a string (expected a string of at least 8 characters)`,
      `${F}:10 snmp.targets[4].name: target name "d" is used twice (expected unique names; first used by snmp.targets[3])`,
      `${F}:10 snmp.targets[4].profiles[0]: invalid value "queues" (expected one of auto, if-mib, mikrotik-queue, airmax-station)`,
    ],
  },
];

describe('parseConfig: broken configs', () => {
  it.each(broken)('$name', ({ yaml, want }) => {
    expect(errorLines(yaml)).toEqual(want);
  });
});

describe('parseConfig: valid configs', () => {
  it('round-trips the sample with every key', () => {
    const config = parseConfig(SAMPLE, '/etc/wispmeter/wispmeter.yaml');
    expect(config.dataDir).toBe('/etc/wispmeter/data');
    expect(config.spool).toEqual({ maxBytes: 1024 ** 3, segmentBytes: 64 * 1024 ** 2 });
    expect(config.metrics.listen).toBe('127.0.0.1:9464');
    expect(config.radius?.clients.map((c) => c.name)).toEqual(['tower-north', 'pppoe-concentrators', 'core-v6']);
    expect(config.radius?.duplicateWindow).toBe(30_000);
    expect(config.radius?.staleSessionTimeout).toBe(2 * 86_400_000);
    expect(config.stores).toEqual({ embedded: { path: 'usage.sqlite' } });
    // Catalog paths are relative to the config file, like dataDir.
    expect(config.catalog).toEqual({ plans: '/etc/fixtures/catalog/plans.yaml', customers: '/etc/fixtures/catalog/customers.yaml' });
    // The sample states the defaults: parsing the sample equals the defaults plus its own radius, metrics and catalog.
    const defaults = configSchema.parse({});
    expect({ ...config, dataDir: defaults.dataDir, radius: undefined, metrics: {}, catalog: undefined, snmp: undefined, routeros: undefined, billing: undefined }).toEqual({ ...defaults, radius: undefined, catalog: undefined });
    // The snmp section states its defaults too: the sample equals them plus its own targets.
    expect(config.snmp?.targets.map((t) => `${t.name}/${t.version}`)).toEqual(['core-ccr/2c', 'tower-north-ap1/3']);
    const snmpDefaults = configSchema.parse({ snmp: {} }).snmp;
    expect({ ...config.snmp, targets: [] }).toEqual(snmpDefaults);
    const ap = config.snmp?.targets[1];
    expect(ap?.version === 3 && ap.subscribers?.['airmax-station']?.map).toEqual({ '04:18:d6:aa:bb:01': 'C-1001', '04:18:d6:aa:bb:02': 'C-1002' });
    // And the routeros section: its defaults plus its own devices and subscriber rules.
    expect(config.routeros?.devices.map((d) => `${d.name}@${d.host}`)).toEqual(['tower-north@10.10.0.1', 'tower-south@10.10.0.2']);
    const routerosDefaults = configSchema.parse({ routeros: { devices: [{ name: 'x', host: 'h', username: 'u', password: 'p' }] } }).routeros;
    expect({ ...config.routeros, devices: [], subscribers: undefined }).toEqual({ ...routerosDefaults, devices: [], subscribers: undefined });
    // Billing: every default stated, beside its own seller, payment instructions and zone.
    const billing = config.billing!;
    expect({ ...billing, timezone: 'UTC' }).toEqual(billingSchema.parse({ seller: billing.seller, branding: { paymentInstructions: billing.branding.paymentInstructions } }));
  });

  it.each([1, 2])('parses the sample\'s commented influx v%i alternative', (version) => {
    const block = commentedInflux(version);
    const config = parseConfig(SAMPLE.replace('  # InfluxDB, for Grafana', `${block}\n  # InfluxDB, for Grafana`), F);
    expect(config.stores.influx?.version).toBe(version);
    expect(config.stores.influx?.timeout).toBe(10_000);
  });

  it('applies every default to a minimal file', () => {
    const config = parseConfig('radius:\n  clients: []\n', F, { baseDir: '/srv/w' });
    expect(config).toEqual({
      dataDir: '/srv/w/data',
      log: { level: 'info', pretty: false },
      metrics: {},
      spool: { maxBytes: 1024 ** 3, segmentBytes: 64 * 1024 ** 2 },
      radius: {
        listen: ['0.0.0.0:1813', '[::]:1813'],
        clients: [],
        identity: { attribute: 'User-Name', stripRealm: false, lowercase: false },
        duplicateWindow: 30_000,
        closedSessionRetention: 86_400_000,
        staleSessionTimeout: 2 * 86_400_000,
        unstoppedSessionRetention: 62 * 86_400_000,
      },
      stores: { embedded: { path: 'usage.sqlite' } },
    });
  });

  it('keeps an absolute dataDir', () => {
    expect(parseConfig('dataDir: /var/lib/wispmeter\n', '/etc/w.yaml').dataDir).toBe('/var/lib/wispmeter');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wispmeter-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a relative dataDir against the file\'s directory', () => {
    const file = join(dir, 'w.yaml');
    writeFileSync(file, 'dataDir: ./spool-here\n');
    expect(loadConfig(file).dataDir).toBe(join(dir, 'spool-here'));
  });

  it('names a missing file', () => {
    const file = join(dir, 'nope.yaml');
    expect(() => loadConfig(file)).toThrow(new ConfigError([
      { file, line: undefined, key: '(file)', message: 'cannot read: no such file (expected a readable YAML file)' },
    ]));
  });
});

describe('secrets', () => {
  // Each case puts a recognisable secret where it is wrong; the value must not appear in any message.
  const SECRET = 'Hunter2-Sup3rSecret';
  const leaks = [
    `radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: ${SECRET}\n      secret: ${SECRET}\n`,
    `radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: [${SECRET}]\n`,
    `radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: "${SECRET}\n`,
    `radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: ${SECRET}: x\n`,
    `radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: {v: ${SECRET}}\n`,
    'radius:\n  clients:\n    - name: a\n      address: 10.0.0.1\n      secret: 918273645546372819\n',
    `stores:\n  influx:\n    version: 2\n    url: http://x:8086\n    org: o\n    bucket: b\n    token: ${SECRET}\n    tokne: ${SECRET}\n`,
    `stores:\n  influx:\n    version: 3\n    url: http://x:8086\n    password: ${SECRET}\n`,
    `stores:\n  influx:\n    version: 1\n    url: ${SECRET}\n    database: d\n    password: ${SECRET}\n`.replace(`url: ${SECRET}`, 'url: http://x:8086'),
    `snmp:\n  targets:\n    - { name: a, version: 2c, address: 10.0.0.1, community: [${SECRET}] }\n`,
    `snmp:\n  targets:\n    - { name: a, version: 2c, address: 10.0.0.1, community: ${SECRET}, comunity: ${SECRET} }\n`,
    `snmp:\n  targets:\n    - { name: a, version: 3, address: 10.0.0.1, user: u, level: authPriv, authPassword: ${SECRET.slice(0, 7)}, privProtocol: des, privPassword: ${SECRET} }\n`,
    `snmp:\n  targets:\n    - { name: a, version: 3, address: 10.0.0.1, user: u, level: authPriv, authPassword: {k: ${SECRET}}, privProtocol: aes, privPassword: 918273645546372819 }\n`,
  ];

  it.each(leaks.map((yaml, i) => ({ i, yaml })))('case $i reports without echoing the secret', ({ yaml }) => {
    const lines = errorLines(yaml);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain('918273645546372819');
    }
  });
});

/** The sample's commented `influx:` block for a version, uncommented. */
function commentedInflux(version: number): string {
  const lines = SAMPLE.split('\n');
  const start = lines.findIndex((l, i) => l.trim() === '# influx:' && lines[i + 1]?.trim() === `#   version: ${version}`);
  expect(start).toBeGreaterThan(0);
  const block = [lines[start]!];
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('  #   '); i++) block.push(lines[i]!);
  return block.map((l) => l.replace(/^ {2}# /, '  ')).join('\n');
}
