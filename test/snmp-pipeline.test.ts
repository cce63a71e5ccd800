// End to end: real snmpd agents (a "MikroTik" serving simple queues and the host's IF-MIB over v2c and v3
// authNoPriv, an "airMAX AP" serving stations and 32-bit interfaces over v3 authPriv) polled through the Pipeline
// into the embedded store and a real influxd; per-subscriber totals read back with `wispmeter usage` equal the
// fixture generator's billed bytes over 12 polls with 32-bit wraps, 64-bit counters, a reboot, a counter
// discontinuity, a queue that disappears and returns, an agent restart that is no reboot, and a restart of
// wispmeter in the middle.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../cli/pipeline.js';
import type { PollEvent } from '../collectors/snmp/poller.js';
import { loadConfig } from '../config/load.js';
import type { Expected } from '../scripts/gen-snmp-fixtures.js';
import { findBinary } from './servers/server-process.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { startSnmpd, type Snmpd } from './snmpd.js';
import { runCli, usageJson } from './wispmeter/cli-run.js';
import { metricSum, parsePrometheus, ROOT, startCollector } from './wispmeter/collector-process.js';

const FIXTURES = join(ROOT, 'fixtures/snmp');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
const COMMUNITY = 'ccr-ro-4f9a';
const WRONG_COMMUNITY = 'not-the-community-77';
const AUTH = { user: 'wisp-auth', password: 'auth-only-pass-1' };
const PRIV = { user: 'wisp-priv', auth: 'sha256-auth-pass-2', priv: 'aes128-priv-pass-3' };
const SECRETS = [COMMUNITY, WRONG_COMMUNITY, AUTH.password, PRIV.auth, PRIV.priv];
const MAC_MAP = { '04:18:d6:00:00:01': 'dave', '04:18:d6:00:00:02': 'erin' };
const TARGET_MAP = { '10.0.5.2': 'T-alice', '10.0.5.3': 'T-bob', '10.0.5.4/30': 'T-carol' };
const LO_NAME = 'lo';
const execFileP = promisify(execFile);

describe('SNMP poller end to end (snmpd, influxd)', () => {
  let dir: string;
  let ccr: Snmpd;
  let ap: Snmpd;
  let influx: InfluxdServer;
  let configFile: string;
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _enc, done) { logs.push(...chunk.toString().split('\n').filter(Boolean)); done(); } }));

  beforeAll(async () => {
    findBinary('snmpget', 'apt-get install snmp');
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-snmp-e2e-'));
    [ccr, ap, influx] = await Promise.all([
      startSnmpd({
        communities: [COMMUNITY],
        users: [{ name: AUTH.user, level: 'authNoPriv', auth: 'SHA', authPassword: AUTH.password }],
        sysObjectID: '.1.3.6.1.4.1.14988.1',
        fixture: { walkFile: join(FIXTURES, 'ccr.walk'), subtrees: ['1.3.6.1.4.1.14988.1.1.2.1'] },
      }),
      startSnmpd({
        users: [{ name: PRIV.user, level: 'authPriv', auth: 'SHA-256', authPassword: PRIV.auth, priv: 'AES', privPassword: PRIV.priv }],
        sysObjectID: '.1.3.6.1.4.1.41112.1.4',
        // The simulated AP's uptime is its agent's: restarting its snmpd is the AP rebooting.
        hostIfMib: false,
        hostResources: false,
        fixture: { walkFile: join(FIXTURES, 'ap.walk'), subtrees: ['1.3.6.1.4.1.41112.1.4.7', '1.3.6.1.4.1.41112.1.4.5', '1.3.6.1.2.1.2.2', '1.3.6.1.2.1.31.1.1'] },
      }),
      startInfluxd(),
    ]);
    configFile = join(dir, 'wispmeter.yaml');
    const v3priv = `version: 3, address: 127.0.0.1, port: ${ap.port}, user: ${PRIV.user}, level: authPriv, authProtocol: sha256, privProtocol: aes`;
    writeFileSync(configFile, `
dataDir: ${join(dir, 'data')}
log: { level: warn }
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database} }
snmp:
  # The fixture agents start their pass_persist helpers (node) on the first request: allow for it.
  timeout: 2s
  retries: 1
  subscribers:
    mikrotik-queue: { from: name, pattern: "^cust-(.+)$" }
    airmax-station: { from: mac, map: ${JSON.stringify(MAC_MAP)} }
  targets:
    - name: ccr
      version: 2c
      address: 127.0.0.1
      port: ${ccr.port}
      community: "${COMMUNITY}"
      subscribers:
        if-mib: { from: name, pattern: "^(${LO_NAME})$", map: { ${LO_NAME}: host-lo } }
    - name: ccr-v3
      version: 3
      address: 127.0.0.1
      port: ${ccr.port}
      user: ${AUTH.user}
      level: authNoPriv
      authPassword: "${AUTH.password}"
      profiles: [mikrotik-queue]
      subscribers:
        mikrotik-queue: { from: target, map: ${JSON.stringify(TARGET_MAP)} }
    - { name: ap, ${v3priv}, authPassword: "${PRIV.auth}", privPassword: "${PRIV.priv}" }
    - { name: ccr-wrong-community, version: 2c, address: 127.0.0.1, port: ${ccr.port}, community: "${WRONG_COMMUNITY}", timeout: 300ms, retries: 0 }
    - { name: ap-unknown-user, version: 3, address: 127.0.0.1, port: ${ap.port}, user: nobody, level: authPriv, authPassword: "${PRIV.auth}", privProtocol: aes, privPassword: "${PRIV.priv}" }
    - { name: ap-wrong-key, ${v3priv}, authPassword: "${PRIV.priv}", privPassword: "${PRIV.priv}" }
    - { name: ap-wrong-priv, ${v3priv}, authPassword: "${PRIV.auth}", privPassword: "${PRIV.auth}", timeout: 300ms, retries: 0 }
    - { name: ap-no-priv, version: 3, address: 127.0.0.1, port: ${ap.port}, user: ${PRIV.user}, level: authNoPriv, authProtocol: sha256, authPassword: "${PRIV.auth}" }
`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ccr?.dispose(), ap?.dispose(), influx?.dispose()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every subscriber\'s billed bytes exactly, across wraps, a reboot, a vanished queue and a wispmeter restart', async () => {
    const loIndex = await ifIndexOf(ccr.port, LO_NAME);
    const loBefore = await loOctets(ccr.port, loIndex);
    let pipeline = new Pipeline(loadConfig(configFile), logger, { snmpManual: true });
    await pipeline.start();
    const events: PollEvent[][] = [];
    try {
      for (let step = 0; step < expected.steps; step++) {
        ccr.setStep(step);
        ap.setStep(step);
        if (expected.restarts.ap?.includes(step)) await ap.restart();
        // Only the router's agent restarts (sysUpTime goes back, hrSystemUptime does not): its counters,
        // the host's lo included, carry on and must not be billed whole.
        if (step === 9) await ccr.restart();
        if (step === 6) {
          // wispmeter restarts between two polls: the readings come back from the spool, no interval is lost.
          await pipeline.stop();
          pipeline = new Pipeline(loadConfig(configFile), logger, { snmpManual: true });
          await pipeline.start();
        }
        events.push(await pipeline.snmp!.pollNow());
      }
      expect(await pipeline.waitUntilCaughtUp(20_000)).toBe(true);
      // This run's metrics (the second pipeline polled steps 6 to 11).
      const m = parsePrometheus(await pipeline.registry.metrics());
      const since = expected.steps - 6;
      expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'ccr-wrong-community', reason: 'timeout' })).toBe(since);
      expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'ap-unknown-user', reason: 'auth' })).toBe(since);
      expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'ap-wrong-key', reason: 'auth' })).toBe(since);
      expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'ap' })).toBe(0);
      expect(metricSum(m, 'wispmeter_snmp_device_restarts_total', { target: 'ap' })).toBe(1);
      expect(metricSum(m, 'wispmeter_snmp_device_restarts_total', { target: 'ccr' })).toBe(0);
      // tower-total (a parent queue) and the station nobody's map lists: polled, not billed, counted.
      expect(metricSum(m, 'wispmeter_snmp_unmapped_rows', { target: 'ccr', profile: 'mikrotik-queue' })).toBe(1);
      expect(metricSum(m, 'wispmeter_snmp_unmapped_rows', { target: 'ap', profile: 'airmax-station' })).toBe(1);
      expect(metricSum(m, 'wispmeter_snmp_unmapped_octets_total', { target: 'ccr', profile: 'mikrotik-queue' })).toBeGreaterThan(0);
      expect(metricSum(m, 'wispmeter_snmp_counter_readings_total', { target: 'ap', kind: 'wrap' })).toBeGreaterThan(0);
    } finally {
      await pipeline.stop();
    }
    const loAfter = await loOctets(ccr.port, loIndex);

    const outcome = (name: string) => events.map((e) => { const ev = e.find((x) => x.target === name)!; return ev.ok ? 'ok' : ev.reason; });
    for (const t of ['ccr', 'ccr-v3', 'ap']) expect(outcome(t), t).toEqual(Array(expected.steps).fill('ok'));
    expect(outcome('ccr-wrong-community')).toEqual(Array(expected.steps).fill('timeout'));
    expect(outcome('ap-unknown-user')).toEqual(Array(expected.steps).fill('auth'));
    expect(outcome('ap-wrong-key')).toEqual(Array(expected.steps).fill('auth'));
    // An agent that cannot decrypt a request drops it: a timeout, whose message names the privacy passphrase.
    expect(outcome('ap-wrong-priv')).toEqual(Array(expected.steps).fill('timeout'));
    // Signed but not encrypted, for a user the agent only serves encrypted: refused.
    expect(outcome('ap-no-priv')).toEqual(Array(expected.steps).fill('auth'));

    const want = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
    const add = (who: string, r: { bytesDown: string; bytesUp: string }) => {
      const t = want.get(who) ?? { bytesDown: 0n, bytesUp: 0n };
      want.set(who, { bytesDown: t.bytesDown + BigInt(r.bytesDown), bytesUp: t.bytesUp + BigInt(r.bytesUp) });
    };
    for (const r of expected.rows) {
      if (r.kind === 'queue' && r.name.startsWith('cust-')) add(r.name.slice('cust-'.length), r);
      if (r.kind === 'queue' && r.target && r.target in TARGET_MAP) add(TARGET_MAP[r.target as keyof typeof TARGET_MAP], r);
      if (r.kind === 'station' && r.mac && r.mac in MAC_MAP) add(MAC_MAP[r.mac as keyof typeof MAC_MAP], r);
      if (r.kind === 'if' && r.alias?.startsWith('cust:')) add(r.alias.slice('cust:'.length), r);
    }
    expect(want.size).toBe(10);
    // The fixture's own promises: a 64-bit counter moving more than 2^32 in one interval, 32-bit wraps.
    const alice = expected.rows.find((r) => r.name === 'cust-alice')!;
    expect(alice.intervals.some(([down]) => BigInt(down) > 2n ** 32n)).toBe(true);
    const frank = readFileSync(join(FIXTURES, 'ap.walk'), 'utf8').match(/^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.16\.1 = Counter32: (\d+)$/gm)!.map((l) => BigInt(l.split(': ')[1]!));
    expect(frank.filter((v, i) => i > 0 && v < frank[i - 1]!).length).toBeGreaterThanOrEqual(2);

    const day = ['--from', new Date(Date.now() - 86_400_000).toISOString(), '--to', new Date(Date.now() + 86_400_000).toISOString(), '--source', 'snmp'];
    const embedded = await usageJson(['--config', configFile, '--store', 'embedded', ...day]);
    const hostLo = embedded.get('host-lo');
    embedded.delete('host-lo');
    expect(sorted(embedded)).toEqual(sorted(want));
    const inInflux = await usageJson(['--config', configFile, '--store', 'influx', ...day]);
    inInflux.delete('host-lo');
    expect(sorted(inInflux)).toEqual(sorted(want));

    // Interval by interval, not just in total: each record holds exactly its poll interval's bytes, and each
    // device's intervals follow one another without gap or overlap, across the reboot and the restart.
    const db = new Database(join(dir, 'data', 'usage.sqlite'), { readonly: true });
    try {
      db.defaultSafeIntegers(true);
      const rows = db.prepare("SELECT device, subscriber, start_ms, end_ms, bytes_down, bytes_up FROM usage_record WHERE source = 'snmp' ORDER BY end_ms").all() as
        { device: string; subscriber: string; start_ms: bigint; end_ms: bigint; bytes_down: bigint; bytes_up: bigint }[];
      const perInterval = (device: string, subscriber: string) => rows.filter((r) => r.device === device && r.subscriber === subscriber).map((r) => [r.bytes_down.toString(), r.bytes_up.toString()]);
      const billed = (name: string) => expected.rows.find((r) => r.name === name)!.intervals.filter(([d, u]) => d !== '0' || u !== '0');
      for (const [device, subscriber, row] of [['ccr', 'alice', 'cust-alice'], ['ccr', 'bob', 'cust-bob'], ['ccr', 'carol', 'cust-carol'], ['ap', 'dave', 'dave-lbe'], ['ap', 'erin', 'erin-nsm5'], ['ap', 'frank', 'eth0'], ['ap', 'grace', 'ath0']] as const) {
        expect(perInterval(device, subscriber), `${device} ${subscriber}`).toEqual(billed(row));
      }
      for (const device of ['ccr', 'ccr-v3', 'ap']) {
        const spans = [...new Set(rows.filter((r) => r.device === device).map((r) => `${r.start_ms}-${r.end_ms}`))].map((x) => x.split('-').map(Number));
        expect(spans, device).toHaveLength(expected.steps - 1);
        for (let i = 1; i < spans.length; i++) expect(spans[i]![0], device).toBe(spans[i - 1]![1]);
      }
    } finally {
      db.close();
    }

    // The host's own IF-MIB: lo carried our SNMP traffic. What was billed lies within what snmpget saw
    // before the first and after the last poll (lo's in and out are the same packets).
    expect(hostLo).toBeDefined();
    expect(hostLo!.bytesDown).toBeGreaterThan(0n);
    expect(hostLo!.bytesDown).toBeLessThanOrEqual(loAfter.out - loBefore.out);
    expect(hostLo!.bytesUp).toBeLessThanOrEqual(loAfter.in - loBefore.in);

    // device_health reached Influx: per-station signal and CCQ, interface status, poll latency.
    const health = await influxQuery(`SELECT count(signal_dbm), count(ccq_percent) FROM device_health WHERE device = 'ap' AND profile = 'airmax-station'`);
    expect(health).toMatch(/"values":\[\[[^\]]*,\d+,\d+\]\]/);
    const latency = await influxQuery(`SELECT count(poll_latency_ms) FROM device_health WHERE entity = 'device' GROUP BY device`);
    expect(latency).toContain('"device":"ccr-v3"');
    const tags = await influxQuery('SHOW TAG KEYS FROM device_health');
    expect(tags.match(/"values":\[(.*?)\]\}/)?.[1]).toBe('["device"],["entity"],["profile"],["tower"]');
  });

  it('logs a wrong community or user clearly, once per reason however often it fails, and never a secret', () => {
    const lines = logs.map((l) => JSON.parse(l) as { level: number; msg: string; target?: string; count?: number });
    const errorsOf = (target: string) => lines.filter((l) => l.level >= 50 && l.target === target && l.msg.startsWith('snmp: poll of'));
    // Once per wispmeter run (it was restarted once), not once per poll; the rest is counted in a summary at stop.
    expect(errorsOf('ccr-wrong-community')).toHaveLength(2);
    const counted = lines.filter((l) => l.level >= 50 && l.target === 'ccr-wrong-community').reduce((n, l) => n + (l.count ?? 0), 0);
    expect(counted).toBe(expected.steps);
    expect(errorsOf('ccr-wrong-community')[0]!.msg).toBe(`snmp: poll of ccr-wrong-community failed: no answer from 127.0.0.1:${ccr.port} after 1 try of 300 ms: the agent is down or unreachable, or the community is wrong (a v2c agent does not answer a wrong community)`);
    expect(errorsOf('ap-unknown-user')[0]!.msg).toContain('SNMPv3 user "nobody" rejected by');
    expect(errorsOf('ap-unknown-user')[0]!.msg).toContain('Unknown User Name');
    expect(errorsOf('ap-wrong-key')[0]!.msg).toContain('Wrong Digest');
    expect(errorsOf('ap-wrong-priv')[0]!.msg).toContain('or the privacy passphrase or protocol is wrong');
    expect(errorsOf('ap-no-priv')[0]!.msg).toContain(`refused user "${PRIV.user}" at authNoPriv (AuthorizationError`);
    for (const secret of SECRETS) expect(logs.join('\n')).not.toContain(secret);
  });

  it('passes `wispmeter config check` with a summary and no secret', async () => {
    const r = await runCli(['config', 'check', configFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('snmp polling 8 target(s) every 60 s');
    for (const secret of SECRETS) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('runs under `wispmeter collect` on its own schedule and counts failures in metrics', async () => {
    const cdir = mkdtempSync(join(dir, 'collect-'));
    const collector = await startCollector({
      dir: cdir,
      config: `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
snmp:
  interval: 1s
  timeout: 300ms
  retries: 0
  targets:
    - { name: ap, version: 3, address: 127.0.0.1, port: ${ap.port}, user: ${PRIV.user}, level: authPriv, authProtocol: sha256, authPassword: "${PRIV.auth}", privProtocol: aes, privPassword: "${PRIV.priv}" }
    - { name: bad, version: 2c, address: 127.0.0.1, port: ${ccr.port}, community: "${WRONG_COMMUNITY}" }
`,
    });
    try {
      const deadline = Date.now() + 15_000;
      let m = await collector.metrics();
      while (Date.now() < deadline && (metricSum(m, 'wispmeter_snmp_polls_total', { target: 'ap', result: 'ok' }) < 3 || metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'bad', reason: 'timeout' }) < 3)) {
        await new Promise((r) => setTimeout(r, 250));
        m = await collector.metrics();
      }
      expect(metricSum(m, 'wispmeter_snmp_polls_total', { target: 'ap', result: 'ok' })).toBeGreaterThanOrEqual(3);
      expect(metricSum(m, 'wispmeter_snmp_poll_errors_total', { target: 'bad', reason: 'timeout' })).toBeGreaterThanOrEqual(3);
      expect(metricSum(m, 'wispmeter_snmp_polls_total', { target: 'bad', result: 'ok' })).toBe(0);
      expect(metricSum(m, 'wispmeter_snmp_target_up', { target: 'bad' })).toBe(0);
      expect(metricSum(m, 'wispmeter_snmp_stations', { target: 'ap' })).toBe(3);
      // By default a station's MAC is its subscriber; the AP's lo has no cust: alias.
      expect(metricSum(m, 'wispmeter_snmp_unmapped_rows', { target: 'ap', profile: 'airmax-station' })).toBe(0);
      expect(metricSum(m, 'wispmeter_snmp_unmapped_rows', { target: 'ap', profile: 'if-mib' })).toBe(1);
      await collector.proc.stop(15_000);
      expect(collector.proc.exit()).toEqual({ code: 0, signal: null });
      const out = collector.proc.output();
      expect(out.match(/poll of bad failed/g)).toHaveLength(1);
      for (const secret of SECRETS) expect(out).not.toContain(secret);
      // The fixture stays at its last step: counters do not move, so nothing is billed.
      const r = await runCli(['usage', '--config', join(cdir, 'wispmeter.yaml'), '--from', '2020-01-01', '--to', '2100-01-01', '--format', 'json']);
      expect(r.stdout.trim()).toBe('[]');
    } finally {
      await collector.proc.stop();
    }
  });

  async function influxQuery(q: string): Promise<string> {
    const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: influx.database, q })}`);
    return await res.text();
  }
});

/** ifIndex of the host interface named `name`, with the real snmpwalk. */
async function ifIndexOf(port: number, name: string): Promise<string> {
  const { stdout } = await execFileP('snmpwalk', ['-v2c', '-c', COMMUNITY, '-On', '-Oq', `127.0.0.1:${port}`, '.1.3.6.1.2.1.31.1.1.1.1'], { env: { ...process.env, MIBS: '' } });
  const line = stdout.split('\n').find((l) => l.endsWith(` ${name}`) || l.endsWith(` "${name}"`));
  if (!line) throw new Error(`no interface ${name} in:\n${stdout}`);
  return line.split(' ')[0]!.split('.').at(-1)!;
}

/** ifHCInOctets and ifHCOutOctets of one interface, with the real snmpget. */
async function loOctets(port: number, index: string): Promise<{ in: bigint; out: bigint }> {
  const { stdout } = await execFileP('snmpget', ['-v2c', '-c', COMMUNITY, '-Oqv', `127.0.0.1:${port}`, `.1.3.6.1.2.1.31.1.1.1.6.${index}`, `.1.3.6.1.2.1.31.1.1.1.10.${index}`], { env: { ...process.env, MIBS: '' } });
  const [i, o] = stdout.trim().split('\n').map((v) => BigInt(v.trim()));
  return { in: i!, out: o! };
}

function sorted(m: Map<string, { bytesDown: bigint; bytesUp: bigint }>): [string, { bytesDown: bigint; bytesUp: bigint }][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}
