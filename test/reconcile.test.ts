// `wispmeter reconcile` over usage written through the embedded sink and a ledger made by `wispmeter bill run`:
// it finds every discrepancy planted (a leaked subscriber, usage nobody claims, unattributed flows, an idle
// subscription, usage after the service ended, an invoice the store no longer agrees with) and nothing on clean data.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId, type UsageRecord, type UsageSource } from '../collectors/pipeline/usage-record.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { runCli } from './wispmeter/cli-run.js';
import { ROOT } from './wispmeter/collector-process.js';

const GB = 1_000_000_000n;
const DAY = 86_400_000;
const JAN = Date.UTC(2026, 0, 1);

const CUSTOMERS = `customers:
  - { id: A, legalName: A, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [a1] }, subscriptions: [{ id: SA, plan: metered, start: 2025-11-01 }] }
  - { id: B, legalName: B, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [b1] }, subscriptions: [{ id: SB, plan: metered, start: 2025-11-01 }] }
  - { id: C, legalName: C, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [c1] }, subscriptions: [{ id: SC, plan: metered, start: 2025-11-01 }] }
  - { id: D, legalName: D, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [d1] }, subscriptions: [{ id: SD, plan: metered, start: 2025-06-01, end: 2025-12-01 }] }
`;

let seq = 0;
const rec = (source: UsageSource, subscriber: string, day: number, bytes: bigint): UsageRecord => {
  const end = JAN + day * DAY + 3_600_000;
  return { id: recordId(source, 'dev', subscriber, end, seq++), source, device: 'dev', subscriber, start: end - 3_600_000, end, bytesDown: bytes, bytesUp: 0n };
};

/** Sources that agree (RADIUS and NetFlow within 2 %) and every subscription with usage. */
const CLEAN: UsageRecord[] = [
  rec('radius', 'a1', 1, 10n * GB), rec('netflow', 'a1', 1, 10_200_000_000n),
  rec('radius', 'b1', 2, 5n * GB), rec('snmp', 'b1', 2, 4_900_000_000n),
  rec('radius', 'c1', 3, 1n * GB),
];

/** The same month with discrepancies planted. */
const PLANTED: UsageRecord[] = [
  rec('radius', 'a1', 1, 10n * GB), rec('netflow', 'a1', 1, 10_200_000_000n),
  // A leaked subscriber: the router's counters see 60 % more than RADIUS accounting bills.
  rec('radius', 'b1', 2, 5n * GB), rec('snmp', 'b1', 2, 8n * GB),
  // c1 has no usage at all: an idle subscription. d1's service ended in November, yet it uses the network.
  rec('radius', 'd1', 4, 2n * GB),
  // Usage no customer claims, and flows tied to no subscriber.
  rec('radius', 'ghost', 5, 3n * GB), rec('netflow', '(unattributed)', 6, 1n * GB),
];

describe('wispmeter reconcile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-reconcile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function world(name: string, records: UsageRecord[], extraCustomers = ''): Promise<string> {
    const data = join(dir, name);
    mkdirSync(data);
    writeFileSync(join(data, 'customers.yaml'), CUSTOMERS + extraCustomers);
    const config = join(data, 'wispmeter.yaml');
    writeFileSync(config, [
      'dataDir: .',
      `catalog: { plans: ${JSON.stringify(join(ROOT, 'fixtures/demo/plans.yaml'))}, customers: customers.yaml }`,
      readFileSync(join(ROOT, 'fixtures/demo/billing.yaml'), 'utf8'),
    ].join('\n'));
    const store = EmbeddedStore.open(join(data, 'usage.sqlite'), pino({ level: 'silent' }));
    try {
      expect(await store.sink.write(records, 10_000)).toEqual({ status: 'ok' });
    } finally {
      await store.close();
    }
    return config;
  }

  /** The CSV report as rows keyed by column name. */
  async function report(config: string, ...extra: string[]): Promise<Record<string, string>[]> {
    const r = await runCli(['reconcile', '--config', config, '--period', '2026-01', '--format', 'csv', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\r\n').map((l) => l.split(','));
    return rows.map((row) => Object.fromEntries(head!.map((h, i) => [h, row[i] ?? ''])));
  }

  it('flags nothing on clean data, billed and unbilled', async () => {
    // E starts in the middle of an hour and has usage in that hour: billing reads hourly buckets (for the daily
    // chart), so the reconciliation must read them too, or it would count bytes the invoice rightly left out.
    const startsMidHour = '  - { id: E, legalName: E, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [e1] }, subscriptions: [{ id: SE, plan: metered, start: "2026-01-07T00:30:00Z" }] }\n';
    const e1 = [rec('radius', 'e1', 6, 1n * GB), rec('radius', 'e1', 7, 2n * GB)];
    e1[0]!.end = JAN + 6 * DAY + 45 * 60_000;
    const config = await world('clean', [...CLEAN, ...e1], startsMidHour);
    const billed = await runCli(['bill', 'run', '--config', config, '--period', '2026-01']);
    expect(billed.code, billed.stderr).toBe(0);
    const rows = await report(config);
    expect(rows.filter((r) => r.flagged === 'yes')).toEqual([]);
    expect(rows.map((r) => `${r.kind}:${r.subject}`)).toEqual(['sources:a1', 'sources:b1', 'sources:c1', 'sources:e1']);
    expect(rows.find((r) => r.subject === 'a1')).toMatchObject({ radius: String(10n * GB), netflow: '10200000000', detail: 'deviation 1.96 %' });
  });

  it('finds every planted discrepancy, and an invoice whose usage changed after it was finalized', async () => {
    const config = await world('planted', PLANTED);
    const billed = await runCli(['bill', 'run', '--config', config, '--period', '2026-01']);
    expect(billed.code, billed.stderr).toBe(0);
    // Late usage for A after its invoice was finalized: the store no longer agrees with the invoice's evidence.
    const store = EmbeddedStore.open(join(dir, 'planted', 'usage.sqlite'), pino({ level: 'silent' }));
    try {
      expect(await store.sink.write([rec('netflow', 'a1', 20, 100_000_000n)], 1000)).toEqual({ status: 'ok' });
    } finally {
      await store.close();
    }
    const flagged = (await report(config)).filter((r) => r.flagged === 'yes').map((r) => `${r.kind} ${r.customer} ${r.subject}`);
    expect(flagged.sort()).toEqual([
      'idle_subscription C SC',
      'invoice_mismatch A INV-2026-000001',
      'sources B b1',
      'unattributed  (unattributed)',
      'unknown_usage  ghost',
      'usage_without_service D ',
    ]);
    const rows = await report(config, '--threshold', '70');
    expect(rows.find((r) => r.subject === 'b1')).toMatchObject({ flagged: '', detail: 'deviation 37.50 %' });

    const html = await runCli(['reconcile', '--config', config, '--period', '2026-01', '--format', 'html', '--out', join(dir, 'planted', 'report.html')]);
    expect(html.code, html.stderr).toBe(0);
    const page = readFileSync(join(dir, 'planted', 'report.html'), 'utf8');
    expect(page).toMatch(/<html lang="en">/);
    expect(page.match(/<tr class="flag">/g)).toHaveLength(6);
  });
});
