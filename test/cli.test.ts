// The command-line contract users script against: config check, demo, usage JSON, flag errors, data-dir lock.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../collectors/pipeline/usage-record.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { ROOT, startCollector } from './wispmeter/collector-process.js';
import { runCli, usageJson } from './wispmeter/cli-run.js';

describe('wispmeter CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('config check: the sample passes; a broken file lists every problem as FILE:LINE KEY: what (expected …) and exits 2', async () => {
    const ok = await runCli(['config', 'check', join(ROOT, 'config/wispmeter.sample.yaml')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/wispmeter\.sample\.yaml: ok \(/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, ['radius:', '  clients:', '    - name: a', '      address: 10.0.0.0/33', '      secret: hunter2hunter2', 'spool:', '  maxBytes: lots', ''].join('\n'));
    const r = await runCli(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}:4 radius.clients[0].address: not an IP address or CIDR prefix: "10.0.0.0/33" (expected e.g. "10.0.0.1", "10.0.0.0/24", "2001:db8::/32")`,
      `${bad}:7 spool.maxBytes: not a byte size: "lots" (expected e.g. 1048576, "512MiB", "1GB")`,
    ]);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('collect: a bad flag is named, with no secret echoed, and exits 2', async () => {
    const r = await runCli(['collect', '--data-dir', join(dir, 'd'), '--radius-client', 'not-a-cidr=topsecret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--radius-client: not an IP address or CIDR prefix/);
    expect(r.stderr).not.toContain('topsecret');
    const none = await runCli(['collect', '--data-dir', join(dir, 'd')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing to collect/);
  });

  it('demo: runs the pipeline over the bundled fixtures and prints the expected totals', async () => {
    const data = join(dir, 'demo');
    const r = await runCli(['demo', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/31 acknowledged/);
    const flows = JSON.parse(readFileSync(join(ROOT, 'fixtures/netflow/demo.expected.json'), 'utf8')) as {
      subscribers: Record<string, { bytesDown: string; bytesUp: string; zeroRatedDown: string; zeroRatedUp: string }>; unattributed: { bytes: string; addresses: Record<string, string> }; flows: number;
    };
    expect(r.stderr).toMatch(new RegExp(`exported ${flows.flows} flows .* ${flows.flows} decoded`));
    expect(r.stderr).toMatch(/every subscriber's NetFlow total, zero-rated part and the unattributed total equal .*demo\.expected\.json/);
    expect(r.stderr).toMatch(/every subscriber's total equals .*demo\.expected\.json/);
    const expected = JSON.parse(readFileSync(join(ROOT, 'fixtures/radius/demo.expected.json'), 'utf8')) as { subscribers: Record<string, { bytesDown: string; bytesUp: string }> };
    for (const [who, t] of Object.entries(expected.subscribers)) expect(r.stdout).toMatch(new RegExp(`^${who}\\s+${t.bytesDown}\\s+${t.bytesUp}\\s`, 'm'));

    // The store it left behind answers `usage`, as JSON with exact integers, whole or in hourly buckets.
    const all = await usageJson(['--data-dir', data, '--from', '2026-01-01', '--to', '2026-01-02', '--source', 'radius']);
    expect(Object.fromEntries([...all].map(([k, v]) => [k, { bytesDown: String(v.bytesDown), bytesUp: String(v.bytesUp) }]))).toEqual(
      Object.fromEntries(Object.entries(expected.subscribers).map(([k, v]) => [k, { bytesDown: v.bytesDown, bytesUp: v.bytesUp }])),
    );
    const hourly = await runCli(['usage', '--data-dir', data, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T06:00:00Z', '--step', '1h', '--format', 'json', '--subscriber', 'alice01', '--source', 'radius']);
    expect(hourly.code, hourly.stderr).toBe(0);
    const rows = JSON.parse(hourly.stdout) as { subscriber: string; time: string; bytesDown: number; bytesUp: number }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.subscriber === 'alice01' && /^2026-01-01T0\d:00:00\.000Z$/.test(row.time))).toBe(true);
    expect(rows.reduce((n, row) => n + BigInt(row.bytesDown), 0n)).toBe(BigInt(expected.subscribers.alice01!.bytesDown));

    // It billed the month from that usage: alice01 used 6.946 GB on a 5 GB plan, so two 1 GB blocks at 2.00 on
    // top of 29.00, plus Texas sales tax 6.25 %: 33.00 × 1.0625 = 35.06.
    expect(r.stderr).toMatch(/^INV-2026-000001 {2}D-1001 {2}35\.06 USD/m);
    // bob01 is on the metered plan, billed from NetFlow without the zero-rated CDN class: 0.50 per GB on top of 15.00.
    const bob = flows.subscribers.bob01!;
    const charged = BigInt(bob.bytesDown) + BigInt(bob.bytesUp) - BigInt(bob.zeroRatedDown) - BigInt(bob.zeroRatedUp);
    expect(charged).toBe(785_470_944n); // 0.785 GB × 0.50 = 0.39; (15.00 + 0.39) × 1.0625 = 16.35
    expect(r.stderr).toMatch(/^INV-2026-000002 {2}D-1002 {2}16\.35 USD/m);
    expect(r.stderr).toMatch(/5 invoice\(s\) finalized, 0 already there/);
    // RADIUS and NetFlow agree for every subscriber; the traffic to addresses nobody held is the one finding.
    expect(r.stderr).toMatch(/reconciliation for 2026-01: 5 subscriber\(s\) compared, 1 finding\(s\) flagged/);
    const byClass = await runCli(['usage', '--data-dir', data, '--from', '2026-01-01', '--to', '2026-01-02', '--source', 'netflow', '--by', 'class', '--format', 'json']);
    expect(byClass.code, byClass.stderr).toBe(0);
    const classRows = JSON.parse(byClass.stdout) as { subscriber: string; class: string; bytesDown: number; bytesUp: number }[];
    const zero = (who: string) => classRows.filter((x) => x.subscriber === who && x.class === 'zero-rated').reduce((n, x) => n + BigInt(x.bytesDown), 0n);
    for (const [who, t] of Object.entries(flows.subscribers)) expect(zero(who), who).toBe(BigInt(t.zeroRatedDown));
    expect(classRows.filter((x) => x.subscriber === '(unattributed)').reduce((n, x) => n + BigInt(x.bytesDown), 0n)).toBe(BigInt(flows.unattributed.bytes));
    // The reconciliation names the pool addresses behind that unattributed traffic, to the byte, biggest first.
    const rec = await runCli(['reconcile', '--period', '2026-01', '--config', join(data, 'wispmeter.yaml')]);
    const listed = [...rec.stdout.matchAll(/^unattributed_address\s+(\S+)\s+(\d+)\s+down (\d+)/gm)].map((m) => [m[1], m[3]]);
    expect(listed.slice(0, 3)).toEqual(Object.entries(flows.unattributed.addresses).sort((a, b) => Number(BigInt(b[1]) - BigInt(a[1]))));
    expect(readFileSync(join(data, 'reconcile.html'), 'utf8')).toMatch(/<h1>Reconciliation 2026-01<\/h1>/);
    for (let i = 1; i <= 5; i++) for (const ext of ['html', 'pdf', 'xml']) expect(existsSync(join(data, 'invoices', `INV-2026-00000${i}.${ext}`))).toBe(true);
    expect(readFileSync(join(data, 'invoices', 'INV-2026-000001.xml'), 'utf8')).toMatch(/<cbc:PayableAmount currencyID="USD">35\.06<\/cbc:PayableAmount>/);
    // The config it left works with the other commands, and a second demo in the same dir bills nothing twice.
    const list = await runCli(['invoices', 'list', '--config', join(data, 'wispmeter.yaml'), '--format', 'json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.match(/INV-2026-00000\d/g)?.length).toBe(5);
    // It ends with a customer portal link that the config it left signs, the same one `portal link` prints.
    const link = /^(http:\/\/127\.0\.0\.1:8080\/c\/D-1001\?exp=\d+&sig=[0-9a-f]{64}&period=2026-01)$/m.exec(r.stderr)?.[1];
    expect(link, r.stderr).toBeDefined();
    expect(r.stderr.trimEnd().endsWith(link!)).toBe(true);
    const printed = await runCli(['portal', 'link', '--config', join(data, 'wispmeter.yaml'), '--customer', 'D-1001']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.replace(/exp=\d+&sig=\w+/, '')).toBe(link!.replace(/exp=\d+&sig=\w+&period=2026-01/, '') + '\n');
    const again = await runCli(['demo', '--data-dir', data]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 invoice\(s\) finalized, 5 already there/);
    expect(again.stderr).toMatch(/already exported into this data dir: not replayed/);
    // A second demo keeps the portal secret: the first link still verifies.
    const { checkLink } = await import('../portal/link.js');
    const secret = /secret: "([0-9a-f]+)"/.exec(readFileSync(join(data, 'wispmeter.yaml'), 'utf8'))?.[1];
    const url = new URL(link!);
    expect(checkLink(secret!, 'D-1001', url.searchParams.get('exp'), url.searchParams.get('sig'), Date.now())).toMatchObject({ ok: true });
  });

  it('collect: a second daemon on the same data dir is refused, naming the process that holds it', async () => {
    const first = await startCollector({
      dir,
      config: `dataDir: {DATA_DIR}\nmetrics: { listen: "127.0.0.1:{METRICS_PORT}" }\nradius: { listen: ["127.0.0.1:{RADIUS_PORT}"], clients: [{ name: n, address: 127.0.0.1, secret: s }] }\n`,
    });
    try {
      const second = await runCli(['collect', '--data-dir', join(dir, 'data'), '--radius-listen', '127.0.0.1:0', '--radius-client', '127.0.0.1=s']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`data dir is in use by process ${first.proc.pid}`));
    } finally {
      await first.proc.stop();
    }
    expect(first.proc.exit()?.code).toBe(0);
  });

  it('usage: --source filters and --by class splits, in JSON and in the table', async () => {
    const data = join(dir, 'classes');
    mkdirSync(data);
    const store = EmbeddedStore.open(join(data, 'usage.sqlite'), pino({ level: 'silent' }));
    const at = Date.UTC(2026, 0, 5, 12);
    const rec = (id: string, source: UsageRecord['source'], cls: string | undefined, down: bigint): UsageRecord => ({
      id, source, device: 'r1', subscriber: 'alice', ...(cls ? { class: cls } : {}), start: at - 60_000, end: at, bytesDown: down, bytesUp: 1n,
    });
    expect(await store.sink.write([rec('a', 'netflow', 'zero-rated', 9_007_199_254_740_993n), rec('b', 'netflow', undefined, 20n), rec('c', 'radius', undefined, 300n)], 1000)).toEqual({ status: 'ok' });
    await store.close();
    const day = ['--data-dir', data, '--from', '2026-01-05', '--to', '2026-01-06'];

    const json = await runCli(['usage', ...day, '--source', 'netflow', '--by', 'class', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe('[\n  {"subscriber":"alice","class":"","bytesDown":20,"bytesUp":1},\n  {"subscriber":"alice","class":"zero-rated","bytesDown":9007199254740993,"bytesUp":1}\n]\n');
    const both = await usageJson([...day, '--source', 'radius,netflow']);
    expect(both.get('alice')?.bytesDown).toBe(9_007_199_254_740_993n + 320n);
    const table = await runCli(['usage', ...day, '--by', 'class']);
    expect(table.stdout).toMatch(/^alice\s+\(none\)\s+320\s/m);
    expect(table.stdout).toMatch(/^alice\s+zero-rated\s+9007199254740993\s/m);
    const bad = await runCli(['usage', ...day, '--source', 'sflow']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--source: unknown source "sflow" \(expected one of radius, netflow, snmp, routeros\)/);
  });

  it('usage: a missing store or a bad instant is a clear error', async () => {
    const missing = await runCli(['usage', '--data-dir', join(dir, 'nowhere'), '--from', '2026-01-01', '--to', '2026-01-02']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no embedded store at .*nowhere/);
    const bad = await runCli(['usage', '--data-dir', dir, '--from', 'yesterday', '--to', '2026-01-02']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--from: not an ISO 8601 instant: "yesterday"/);
  });
});
