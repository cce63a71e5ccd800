// The poller on the real on-disk spool, reopened in the middle as after a restart, its records delivered to the real
// embedded store: per-subscriber totals from SQLite equal the scripted traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../collectors/pipeline/spool.js';
import type { UsageRecord } from '../collectors/pipeline/usage-record.js';
import { routerosSchema } from '../collectors/routeros/config.js';
import { RouterosPoller } from '../collectors/routeros/poller.js';
import { SimulatedRouter } from '../collectors/routeros/testdata/simulated-router.js';
import { mulberry32 } from '../scripts/prng.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { RouterosTestServer } from './routeros-server.js';

const logger = pino({ level: 'silent' });

async function allRecords(spool: Spool): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for (let pos = spool.startOffset; pos < spool.endOffset;) {
    const batch = await spool.read(pos, 1000);
    if (!batch.length) break;
    for (const e of batch) out.push(...e.entry.records);
    pos = batch[batch.length - 1]!.next;
  }
  return out;
}

describe('RouterOS poller with the real spool and embedded store', () => {
  let dir: string;
  let server: RouterosTestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-routeros-store-'));
    server = await RouterosTestServer.start({ users: { ro: 'pw' } });
  });
  afterEach(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps exact totals across a spool reopen', async () => {
    const config = routerosSchema.parse({ devices: [{ name: 'ap7', host: '127.0.0.1', port: server.port, username: 'ro', password: 'pw', tables: ['queues', 'ppp', 'hotspot'] }] });
    const sim = new SimulatedRouter();
    sim.addQueue('alice', '10.0.5.2/32');
    sim.startPpp('bob', 'AA:BB:CC:00:00:01');
    sim.login('erin', '02:00:00:00:00:05');
    const rand = mulberry32(99);
    const expected = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
    const start = Date.UTC(2026, 10, 3);
    let clock = start;
    const spoolOpts = { maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024, logger };

    let spool = await Spool.open(join(dir, 'spool'), spoolOpts);
    let poller = new RouterosPoller({ config, spool, logger, registry: new Registry(), now: () => clock, schedule: false });
    await poller.start();
    for (let step = 0; step < 10; step++) {
      if (step === 5) {
        await poller.stop();
        await spool.close();
        spool = await Spool.open(join(dir, 'spool'), spoolOpts);
        poller = new RouterosPoller({ config, spool, logger, registry: new Registry(), now: () => clock, schedule: false });
        await poller.start();
      }
      clock += 60_000;
      sim.elapse(60);
      if (step > 0) {
        for (const [who, add] of [['alice', sim.queueTraffic.bind(sim, 'alice')], ['bob', sim.pppTraffic.bind(sim, 'bob')], ['erin', sim.hotspotTraffic.bind(sim, 'erin')]] as const) {
          const up = BigInt(Math.floor(rand() * 1e9));
          const down = BigInt(Math.floor(rand() * 1e10));
          add(up, down);
          const t = expected.get(who) ?? { bytesDown: 0n, bytesUp: 0n };
          t.bytesUp += up;
          t.bytesDown += down;
          expected.set(who, t);
        }
      }
      for (const [menu, rows] of Object.entries(sim.tables())) server.setTable(menu, rows);
      expect((await poller.pollAll()).get('ap7')).toMatchObject({ ok: true });
    }
    await poller.stop();

    const store = EmbeddedStore.open(join(dir, 'usage.sqlite'), logger);
    try {
      expect(await store.sink.write(await allRecords(spool), 10_000)).toEqual({ status: 'ok' });
      const answer = await store.queryUsage({ from: start, to: clock + 1, sources: ['routeros'] });
      expect(new Map(answer.rows.map((r) => [r.subscriber, { bytesDown: r.bytesDown, bytesUp: r.bytesUp }]))).toEqual(expected);
    } finally {
      await store.close();
      await spool.close();
    }
  });
});
