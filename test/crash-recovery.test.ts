// kill -9 of `wispmeter collect` in the middle of a radclient run: every acknowledged record survives, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeInput } from '../collectors/radius/encode.js';
import { accountingLoad, attr, expectedTotals, writeRadclientFile } from './radius/accounting-load.js';
import { runRadclient } from './radius/radclient.js';
import { startInfluxd, type InfluxdServer } from './servers/influxd.js';
import { startCollector, type CollectorProcess } from './wispmeter/collector-process.js';
import { usageJson } from './wispmeter/cli-run.js';

const SECRET = 'crash-secret';
const DAY = ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-03T00:00:00Z'];

describe('kill -9 mid-run, then restart', () => {
  let dir: string;
  let influx: InfluxdServer;
  let collector: CollectorProcess | undefined;
  const config = () => `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
radius:
  listen: ["127.0.0.1:{RADIUS_PORT}"]
  clients: [{ name: nas-1, address: 127.0.0.0/8, secret: ${SECRET} }]
  identity: { stripRealm: true, lowercase: true }
stores:
  influx: { version: 1, url: "${influx.url}", database: ${influx.database} }
`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-crash-'));
    influx = await startInfluxd();
  });

  afterAll(async () => {
    await collector?.proc.stop();
    await influx?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged record exactly once, and a NAS retry of the rest completes the totals exactly', async () => {
    // One session per subscriber, so per-subscriber totals are per-session totals.
    const load = accountingLoad({ sessions: 150, interims: 12, seed: 99, subscribers: 150 });
    const file = writeRadclientFile(join(dir, 'load.txt'), [...load.on, ...load.sessions]);
    const packets = [...load.on, ...load.sessions];
    collector = await startCollector({ dir, config: config() });
    const { radiusPort, metricsUrl } = collector;
    const metricsPort = Number(new URL(metricsUrl).port);

    // Phase 1: kill -9 the daemon once a third is acknowledged; the NAS (radclient) goes quiet with it.
    const nasGone = new AbortController();
    let ackedAtKill = new Set<number>();
    let killed: Promise<void> | undefined;
    const run1 = await runRadclient({
      file, port: radiusPort, secret: SECRET, parallel: 32, retries: 1, timeoutS: 1, signal: nasGone.signal,
      onAck: (_i, count) => {
        if (count === Math.floor(packets.length / 3) && !killed) {
          killed = collector!.proc.kill();
          nasGone.abort();
        }
      },
    });
    await killed;
    ackedAtKill = new Set(run1.acked);
    expect(collector.proc.exit()?.signal).toBe('SIGKILL');
    expect(ackedAtKill.size).toBeGreaterThanOrEqual(Math.floor(packets.length / 3));
    expect(run1.sent).toBeLessThan(packets.length);

    // Restart on the same data dir and ports; the spool replays into both stores.
    collector = await startCollector({ dir, config: config(), radiusPort, metricsPort });
    await collector.waitCaughtUp();
    const floor = expectedTotals(packets.filter((_, i) => ackedAtKill.has(i)));
    const ceiling = expectedTotals(packets.slice(0, run1.sent));
    for (const store of ['embedded', 'influx']) {
      const got = await usageJson(['--config', collector.configFile, '--store', store, ...DAY]);
      for (const [who, min] of floor) {
        const have = got.get(who);
        expect(have, `${store}: ${who} lost acknowledged usage`).toBeDefined();
        expect(have!.bytesDown >= min.bytesDown && have!.bytesUp >= min.bytesUp, `${store}: ${who} has less than was acknowledged`).toBe(true);
      }
      for (const [who, have] of got) {
        const max = ceiling.get(who)!;
        expect(have.bytesDown <= max.bytesDown && have.bytesUp <= max.bytesUp, `${store}: ${who} counted more than was sent`).toBe(true);
      }
    }

    // Phase 2: the NAS retries everything it has (new Identifiers): totals become exact, nothing doubled.
    const run2 = await runRadclient({ file, port: radiusPort, secret: SECRET, parallel: 32 });
    expect(run2.code, run2.output).toBe(0);
    expect(run2.acked.size).toBe(packets.length);
    await collector.waitCaughtUp();
    const want = [...expectedTotals(packets)].sort(([a], [b]) => a.localeCompare(b));
    for (const store of ['embedded', 'influx']) {
      const got = await usageJson(['--config', collector.configFile, '--store', store, ...DAY]);
      expect([...got].sort(([a], [b]) => a.localeCompare(b)), store).toEqual(want);
    }
    expect(want.length).toBe(150);
    expect(packetsOf(packets, 'Stop')).toBe(150);
  });
});

function packetsOf(packets: AttributeInput[][], status: string): number {
  return packets.filter((p) => attr(p, 'Acct-Status-Type') === status).length;
}
