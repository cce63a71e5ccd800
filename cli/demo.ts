// `wispmeter demo`: the whole pipeline on loopback and the embedded store, fed the bundled RADIUS and NetFlow fixtures.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendIpfix } from '../collectors/netflow/exporter.js';
import { parseFlowCsv } from '../collectors/netflow/flow-csv.js';
import { UNATTRIBUTED } from '../collectors/netflow/usage-aggregator.js';
import { readSpoolState } from '../collectors/pipeline/spool-state-reader.js';
import { sendAccounting } from '../collectors/radius/client.js';
import { parseRadclientInput } from '../collectors/radius/radclient-format.js';
import { Ledger } from '../billing-export/ledger/ledger.js';
import { renderHtml, renderPdf, renderUbl } from '../billing-export/render/index.js';
import { runBilling } from '../billing-export/run/billing-run.js';
import { loadCatalog } from '../config/catalog-load.js';
import { loadConfig } from '../config/load.js';
import { configSchema, type Config } from '../config/schema.js';
import { customerLink } from '../portal/link.js';
import { formatMoney } from '../rating/money.js';
import { flaggedFindings, reconcileHtml } from '../reconcile/format.js';
import { reconcile } from '../reconcile/reconcile.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import type { UsageTotal } from '../store/usage-store.js';
import { ledgerPath } from './bill.js';
import { createLogger } from './logger.js';
import type { CommonFlags } from './options.js';
import { Pipeline } from './pipeline.js';
import { embeddedStorePath, spoolPath } from './stores.js';
import { usageJson, usageTable } from './usage-format.js';

export interface DemoFlags extends CommonFlags {
  fixtures: string;
  flows: string;
  format: 'table' | 'json';
}

const DEMO_SECRET = 'demo-secret';
/** The CDN cache whose traffic the demo zero-rates; scripts/gen-netflow-fixtures.ts sends that share to it. */
const DEMO_CDN = '203.0.113.0/24';
/** The fixtures' accounting is dated 2026-01-01 (UTC), the demo customers are billed in UTC from the 1st. */
const DEMO_PERIOD = '2026-01';
const PLAIN = { stepped: false, byClass: false };
const BY_CLASS = { stepped: false, byClass: true };
/** The package root (the folder above cli/, or above dist/ when built), so the demo finds its fixtures from any working directory. */
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/dist\/?$/, '');

export async function runDemo(flags: DemoFlags): Promise<void> {
  const fixtures = resolveFixture(flags.fixtures);
  const flowsFile = resolveFixture(flags.flows);
  const requests = parseRadclientInput(readFileSync(fixtures, 'utf8'));
  const flows = parseFlowCsv(readFileSync(flowsFile, 'utf8'), flowsFile);
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : mkdtempSync(join(tmpdir(), 'wispmeter-demo-'));
  const config = configSchema.parse({
    dataDir,
    log: { level: flags.logLevel ?? 'warn', pretty: flags.logPretty ?? false },
    radius: {
      listen: ['127.0.0.1:0'],
      clients: [{ name: 'demo-nas', address: '127.0.0.1/32', secret: DEMO_SECRET }],
      // The fixtures' user names carry realms and mixed case, as PPPoE logins often do.
      identity: { attribute: 'User-Name', stripRealm: true, lowercase: true },
    },
    // The flows are attributed through the RADIUS sessions' Framed-IP-Address leases; CDN traffic is zero-rated.
    netflow: { listen: ['127.0.0.1:0'], exporters: [{ name: 'demo-router', address: '127.0.0.1/32' }], classes: [{ name: 'zero-rated', prefixes: [DEMO_CDN] }] },
  });
  const logger = createLogger(config.log);
  let demo: { config: Config; customers: string[] } | undefined;
  const pipeline = new Pipeline(config, logger);
  await pipeline.start();
  try {
    const port = pipeline.radius!.addresses()[0]!.port;
    const started = performance.now();
    const results = await sendAccounting(requests, { host: '127.0.0.1', port, secret: DEMO_SECRET, concurrency: 16, timeoutMs: 2000, retries: 3 });
    const acked = results.filter((r) => r.status === 'ack').length;
    if (acked !== requests.length) throw new Error(`only ${acked} of ${requests.length} accounting requests were acknowledged`);
    process.stderr.write(`sent ${requests.length} accounting requests from ${fixtures} to 127.0.0.1:${port}: ${acked} acknowledged in ${(performance.now() - started).toFixed(0)} ms\n`);

    // After the sessions: the router exports the flows of those sessions, which the leases attribute. Unlike
    // RADIUS (whose session state makes a resent Interim-Update change nothing), NetFlow has no way to know a flow
    // was already counted, so a demo run again in the same data dir does not replay them.
    const sentMarker = join(dataDir, 'demo-flows.exported');
    if (existsSync(sentMarker)) {
      process.stderr.write(`flows from ${flowsFile} were already exported into this data dir: not replayed (NetFlow cannot tell a replay from new traffic)\n`);
    } else {
      const flowPort = pipeline.netflow!.addresses()[0]!.port;
      const flowStart = performance.now();
      const sent = await sendIpfix(flows, { host: '127.0.0.1', port: flowPort });
      const decoded = await waitForFlows(pipeline, flows.length, 10_000);
      process.stderr.write(`exported ${sent.records} flows from ${flowsFile} as ${sent.messages} IPFIX messages to 127.0.0.1:${flowPort}: ${decoded} decoded in ${(performance.now() - flowStart).toFixed(0)} ms\n`);
      if (decoded !== flows.length) throw new Error(`the NetFlow collector decoded ${decoded} of ${flows.length} flows`);
      writeFileSync(sentMarker, `${new Date().toISOString()} ${flowsFile}\n`);
    }
  } finally {
    // Stopping flushes the NetFlow collector's open buckets and delivers the spool to the store.
    await pipeline.stop();
  }

  const store = EmbeddedStore.open(embeddedStorePath(config)!, logger);
  try {
    // All of time: the fixtures carry their own Event-Timestamps and flow times.
    const radius = await store.queryUsage({ from: 0, to: Date.UTC(2100, 0, 1), sources: ['radius'] });
    const netflow = await store.queryUsage({ from: 0, to: Date.UTC(2100, 0, 1), sources: ['netflow'], byClass: true });
    if (flags.format === 'json') {
      process.stdout.write(JSON.stringify({ radius: JSON.parse(usageJson(radius.rows, PLAIN)) as unknown, netflow: JSON.parse(usageJson(netflow.rows, BY_CLASS)) as unknown }, null, 2) + '\n');
    } else {
      process.stdout.write(`RADIUS\n${usageTable(radius.rows, PLAIN)}\nNetFlow by class\n${usageTable(netflow.rows, BY_CLASS)}`);
    }
    checkExpected(fixtures, radius.rows);
    checkExpectedFlows(flowsFile, netflow.rows);
    demo = await billDemo(dataDir, store, logger);
  } finally {
    await store.close();
  }
  const configFile = join(dataDir, 'wispmeter.yaml');
  process.stderr.write(`everything is in ${dataDir}: the spool, usage.sqlite, ledger.sqlite, invoices/, reconcile.html and wispmeter.yaml (try: wispmeter invoices list --config ${configFile})\n`);
  const customer = demo.customers[0];
  if (customer && demo.config.portal) {
    const portal = demo.config.portal;
    const exp = Math.floor((Date.now() + portal.linkLifetime) / 1000);
    // The demo's usage is dated in DEMO_PERIOD: the link opens that period, not the current one (which is empty).
    process.stderr.write(`customer portal: run \`wispmeter portal --config ${configFile}\`, then open ${customer}'s usage page for ${DEMO_PERIOD}:\n`);
    process.stderr.write(`http://${portal.listen}${customerLink(portal.secret, customer, exp)}&period=${DEMO_PERIOD}\n`);
  }
}

/** Waits until the NetFlow collector has decoded `want` flows (its flows counter), or the time is up; returns the count. */
async function waitForFlows(pipeline: Pipeline, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metric = await pipeline.registry.getSingleMetric('wispmeter_netflow_flows_total')?.get();
    const decoded = (metric?.values ?? []).reduce((n, v) => n + v.value, 0);
    if (decoded >= want || Date.now() >= deadline) return decoded;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Bills the demo month from the usage just collected: the demo catalog (fixtures/demo), a billing run into a
 * ledger beside the store, and each finalized invoice rendered as HTML, PDF and UBL under invoices/. It leaves a
 * config file naming all of it, so the other commands work on the demo's data afterwards.
 */
async function billDemo(dataDir: string, store: EmbeddedStore, logger: ReturnType<typeof createLogger>): Promise<{ config: Config; customers: string[] }> {
  const demo = join(ROOT, 'fixtures/demo');
  const configFile = join(dataDir, 'wispmeter.yaml');
  writeFileSync(configFile, [
    '# Written by `wispmeter demo`: its data dir, the demo catalog and seller, and the customer portal.',
    'dataDir: .',
    `catalog: { plans: ${JSON.stringify(join(demo, 'plans.yaml'))}, customers: ${JSON.stringify(join(demo, 'customers.yaml'))} }`,
    // A demo in the same data dir keeps its portal secret, so the links it printed before keep working.
    `portal: { secret: ${JSON.stringify(portalSecret(configFile))}, listen: "127.0.0.1:8080" }`,
    readFileSync(join(demo, 'billing.yaml'), 'utf8'),
  ].join('\n'));
  const config = loadConfig(configFile);
  const catalog = loadCatalog(config.catalog!);
  const ledger = Ledger.open(ledgerPath(config));
  try {
    const report = await runBilling({ store, catalog, billing: config.billing!, log: logger, ledger }, { period: DEMO_PERIOD, trigger: 'cli' });
    const out = join(dataDir, 'invoices');
    mkdirSync(out, { recursive: true });
    for (const ref of report.finalized) {
      const doc = ledger.document(ref.number);
      writeFileSync(join(out, `${ref.number}.html`), renderHtml(doc));
      writeFileSync(join(out, `${ref.number}.pdf`), await renderPdf(doc));
      writeFileSync(join(out, `${ref.number}.xml`), renderUbl(doc));
      process.stderr.write(`${ref.number}  ${ref.customerId}  ${formatMoney(ref.total, ref.currency)} ${ref.currency}  → invoices/${ref.number}.{html,pdf,xml}\n`);
    }
    for (const s of report.skipped) process.stderr.write(`${s.number}  ${s.customerId}  already invoiced for ${DEMO_PERIOD} (an earlier demo in this data dir)\n`);
    process.stderr.write(`billing run for ${DEMO_PERIOD}: ${report.finalized.length} invoice(s) finalized, ${report.skipped.length} already there\n`);
    const spool = await readSpoolState(spoolPath(config));
    const rec = await reconcile(store, catalog, {
      period: DEMO_PERIOD,
      invoiceOf: (id) => ledger.finalizedDocument(id, DEMO_PERIOD),
      ...(spool ? { collectorState: spool.state } : {}),
    });
    writeFileSync(join(dataDir, 'reconcile.html'), reconcileHtml(rec));
    const flagged = flaggedFindings(rec);
    process.stderr.write(`reconciliation for ${DEMO_PERIOD}: ${rec.subscribers.length} subscriber(s) compared, ${flagged} finding(s) flagged → reconcile.html\n`);
    return { config, customers: catalog.customers.map((c) => c.id) };
  } finally {
    ledger.close();
  }
}

/** The portal secret of an earlier demo's config in this data dir, or a new random one. */
function portalSecret(configFile: string): string {
  if (existsSync(configFile)) {
    try {
      const secret = loadConfig(configFile).portal?.secret;
      if (secret) return secret;
    } catch {
      // An unreadable earlier config is replaced whole: a new secret just revokes the old demo links.
    }
  }
  return randomBytes(24).toString('hex');
}

/**
 * The fixture generator writes the totals the requests must produce beside them (FILE.expected.json); the demo
 * checks the store against them, so a wrong pipeline cannot pass for a working one.
 */
function checkExpected(fixtures: string, rows: readonly UsageTotal[]): void {
  const file = fixtures.replace(/\.txt$/, '.expected.json');
  if (file === fixtures || !existsSync(file)) return;
  const expected = (JSON.parse(readFileSync(file, 'utf8')) as { subscribers: Record<string, { bytesDown: string; bytesUp: string }> }).subscribers;
  const got = new Map(rows.map((r) => [r.subscriber, r]));
  const wrong = Object.entries(expected).filter(([sub, e]) => got.get(sub)?.bytesDown !== BigInt(e.bytesDown) || got.get(sub)?.bytesUp !== BigInt(e.bytesUp));
  const extra = rows.filter((r) => !(r.subscriber in expected));
  if (wrong.length || extra.length) {
    throw new Error(`usage differs from ${file} for: ${[...wrong.map(([s]) => s), ...extra.map((r) => r.subscriber)].join(', ')}`);
  }
  process.stderr.write(`every subscriber's total equals ${file}\n`);
}

/**
 * The flow generator writes what the collector must store beside the flows (FILE.expected.json, FILE being the
 * flows file without .flows.csv): per subscriber all octets and the zero-rated part, and the unattributed total.
 */
function checkExpectedFlows(flowsFile: string, rows: readonly UsageTotal[]): void {
  const file = flowsFile.replace(/\.flows\.csv$/, '.expected.json');
  if (file === flowsFile || !existsSync(file)) return;
  const expected = JSON.parse(readFileSync(file, 'utf8')) as {
    subscribers: Record<string, { bytesDown: string; bytesUp: string; zeroRatedDown: string; zeroRatedUp: string }>;
    unattributed: { bytes: string };
  };
  const sum = (pick: (r: UsageTotal) => boolean) => rows.filter(pick).reduce((t, r) => ({ down: t.down + r.bytesDown, up: t.up + r.bytesUp }), { down: 0n, up: 0n });
  const wrong: string[] = [];
  for (const [sub, e] of Object.entries(expected.subscribers)) {
    const all = sum((r) => r.subscriber === sub);
    const zero = sum((r) => r.subscriber === sub && r.class === 'zero-rated');
    if (all.down !== BigInt(e.bytesDown) || all.up !== BigInt(e.bytesUp) || zero.down !== BigInt(e.zeroRatedDown) || zero.up !== BigInt(e.zeroRatedUp)) wrong.push(sub);
  }
  const unattributed = sum((r) => r.subscriber === UNATTRIBUTED);
  if (unattributed.down + unattributed.up !== BigInt(expected.unattributed.bytes)) wrong.push(UNATTRIBUTED);
  const extra = rows.filter((r) => r.subscriber !== UNATTRIBUTED && !(r.subscriber in expected.subscribers));
  if (wrong.length || extra.length) throw new Error(`NetFlow usage differs from ${file} for: ${[...wrong, ...extra.map((r) => r.subscriber)].join(', ')}`);
  process.stderr.write(`every subscriber's NetFlow total, zero-rated part and the unattributed total equal ${file}\n`);
}

/** The file as given when it exists, else the same path inside the package (for `npm run demo` from elsewhere). */
function resolveFixture(file: string): string {
  return existsSync(file) ? resolve(file) : join(ROOT, file);
}
