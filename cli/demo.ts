// `wispmeter demo`: the whole pipeline on loopback and the embedded store, fed the bundled RADIUS fixtures.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendAccounting } from '../collectors/radius/client.js';
import { parseRadclientInput } from '../collectors/radius/radclient-format.js';
import { configSchema } from '../config/schema.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import type { UsageTotal } from '../store/usage-store.js';
import { createLogger } from './logger.js';
import type { CommonFlags } from './options.js';
import { Pipeline } from './pipeline.js';
import { embeddedStorePath } from './stores.js';
import { usageJson, usageTable } from './usage-format.js';

export interface DemoFlags extends CommonFlags {
  fixtures: string;
  format: 'table' | 'json';
}

const DEMO_SECRET = 'demo-secret';
const PLAIN = { stepped: false, byClass: false };
/** The package root, so `npm run demo` finds the fixtures from any working directory. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/?$/, '');

export async function runDemo(flags: DemoFlags): Promise<void> {
  const fixtures = resolveFixture(flags.fixtures);
  const requests = parseRadclientInput(readFileSync(fixtures, 'utf8'));
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
  });
  const logger = createLogger(config.log);
  const pipeline = new Pipeline(config, logger);
  await pipeline.start();
  try {
    const port = pipeline.radius!.addresses()[0]!.port;
    const started = performance.now();
    const results = await sendAccounting(requests, { host: '127.0.0.1', port, secret: DEMO_SECRET, concurrency: 16, timeoutMs: 2000, retries: 3 });
    const acked = results.filter((r) => r.status === 'ack').length;
    if (acked !== requests.length) throw new Error(`only ${acked} of ${requests.length} accounting requests were acknowledged`);
    if (!(await pipeline.waitUntilCaughtUp(30_000))) throw new Error('the stores did not catch up with the spool within 30 s');
    const elapsed = performance.now() - started;
    process.stderr.write(`sent ${requests.length} accounting requests from ${fixtures} to 127.0.0.1:${port}: ${acked} acknowledged in ${elapsed.toFixed(0)} ms\n`);
  } finally {
    await pipeline.stop();
  }

  const store = EmbeddedStore.open(embeddedStorePath(config)!, logger);
  try {
    // All of time: the fixtures carry their own Event-Timestamps.
    const answer = await store.queryUsage({ from: 0, to: Date.UTC(2100, 0, 1) });
    process.stdout.write(flags.format === 'json' ? usageJson(answer.rows, PLAIN) : usageTable(answer.rows, PLAIN));
    checkExpected(fixtures, answer.rows);
    if (flags.dataDir) process.stderr.write(`embedded store: ${store.path}\n`);
  } finally {
    await store.close();
    if (!flags.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
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

/** The file as given when it exists, else the same path inside the package (for `npm run demo` from elsewhere). */
function resolveFixture(file: string): string {
  return existsSync(file) ? resolve(file) : join(ROOT, file);
}
