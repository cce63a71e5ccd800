// Issue 4's scenario table rated from the embedded store and from a real influxd, the usage written through the
// collectors' sinks: every case's own expectations hold, and the invoices match the in-memory ones to the character.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId, type UsageRecord } from '../collectors/pipeline/usage-record.js';
import type { InfluxConfig } from '../config/schema.js';
import { invoiceToJson, rateCustomer, ratePeriod, type RatedInvoice, type RatePeriodOptions } from '../rating/index.js';
import { caseUsage, catalogOf, CUSTOMER_ID, SCENARIOS, type ReadVia, type ScenarioCase } from '../rating/testdata/scenarios.cases.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { createInfluxSink } from '../store/influx/influx-sink.js';
import { InfluxUsageStore } from '../store/influx/influx-usage-store.js';
import type { UsageStore } from '../store/usage-store.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';

const log = pino({ level: 'silent' });
const DEVICE = 'nas-scenarios';
/** A record ends this long after its row's bucket start: both stores attribute a record to its end, so it stays in that bucket. */
const SPAN_MS = 5;

/** A case's rows as the RADIUS collector would hand them to a sink; the subscriber is the case's own identity. */
const recordsOf = (c: ScenarioCase): UsageRecord[] =>
  c.rows.map((r) => ({
    id: recordId('radius', DEVICE, c.subscriber, r.time), source: 'radius', device: DEVICE, subscriber: c.subscriber,
    start: r.time, end: r.time + SPAN_MS, bytesDown: r.down, bytesUp: r.up,
  }));

/** The invoice JSON with the two things a store may word its own way (its name and its query text) blanked. */
function comparable(inv: RatedInvoice): unknown {
  const json = invoiceToJson(inv) as { fees: { evidence?: { store: unknown; queries: unknown } }[] };
  for (const f of json.fees) if (f.evidence) Object.assign(f.evidence, { store: '…', queries: '…' });
  return json;
}

/** Both stores quote the one query they ran for the case (per customer or per group): SQL or InfluxQL, a SELECT either way. */
const STORE: ReadVia = { queries: [expect.stringMatching(/^SELECT /)] };

describe('scenarios (issue 4) from the embedded store and from influxd', () => {
  let dir: string;
  let influxd: InfluxdServer;
  let embedded: EmbeddedStore;
  let influx: InfluxUsageStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-scenarios-'));
    influxd = await startInfluxd();
    const config: InfluxConfig = { version: 1, url: influxd.url, database: influxd.database, batchSize: 5000, timeout: 10_000 };
    embedded = EmbeddedStore.open(join(dir, 'usage.sqlite'), log);
    influx = new InfluxUsageStore(config, log);
    const sink = createInfluxSink(config, log);
    // All cases share both stores: each reads only its own subscriber identity (checked in rating/scenarios.test.ts).
    const records = SCENARIOS.flatMap(recordsOf);
    expect(await embedded.sink.write(records, 10_000)).toEqual({ status: 'ok' });
    expect(await sink.write(records, 10_000)).toEqual({ status: 'ok' });
    await sink.close();
  });

  afterAll(async () => {
    await embedded?.close();
    await influx?.close();
    await influxd?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Every case runs, with usage or without: a case with no rows must rate the same when a store answers nothing.
  // Influx is read both ways ratePeriod can read it (one query per identity, one per group of customers).
  it.each(SCENARIOS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const catalog = catalogOf(c);
    const customer = catalog.customers[0]!;
    const memory = rateCustomer(catalog, customer, c.period, caseUsage(c, catalog));
    const reads: [string, UsageStore, RatePeriodOptions['read']][] = [
      ['embedded', embedded, 'per-customer'],
      ['influx', influx, 'per-customer'],
      ['influx grouped', influx, 'grouped'],
    ];
    for (const [label, store, read] of reads) {
      const [inv] = await ratePeriod(store, catalog, c.period, { customerIds: [CUSTOMER_ID], read });
      c.check(inv!, STORE);
      for (const f of inv!.fees) if (f.evidence) expect(f.evidence.store, label).toBe(store.name);
      expect(comparable(inv!), `${label} vs in memory`).toEqual(comparable(memory));
    }
  });
});
