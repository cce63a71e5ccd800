// The RouterOS poller as `wispmeter collect` runs it: configured in the YAML file, started by the Pipeline, its
// records through the spool into the embedded store, read back with `wispmeter usage`, across a wispmeter restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Pipeline } from '../cli/pipeline.js';
import { SimulatedRouter } from '../collectors/routeros/testdata/simulated-router.js';
import { loadConfig } from '../config/load.js';
import { mulberry32 } from '../scripts/prng.js';
import { RouterosTestServer } from './routeros-server.js';
import { usageJson } from './wispmeter/cli-run.js';

const logger = pino({ level: 'silent' });

describe('RouterOS poller in the pipeline', () => {
  let dir: string;
  let server: RouterosTestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-routeros-pipeline-'));
    server = await RouterosTestServer.start({ users: { ro: 'secret-pw' } });
  });
  afterEach(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores queue, PPP and hotspot usage exactly, through a restart, and `wispmeter usage` reads it back', async () => {
    const configFile = join(dir, 'wispmeter.yaml');
    writeFileSync(configFile, `dataDir: ./data
routeros:
  subscribers:
    queues: { from: name, pattern: '^cust-(.+)$' }
  devices:
    - { name: tower-1, host: 127.0.0.1, port: ${server.port}, username: ro, password: secret-pw, tables: [queues, ppp, hotspot] }
`);
    const sim = new SimulatedRouter();
    sim.addQueue('cust-alice', '10.0.5.2/32');
    sim.addQueue('backbone', '10.0.0.0/24'); // maps to nobody: not billed
    sim.startPpp('bob', 'AA:BB:CC:00:00:01');
    sim.login('erin', '02:00:00:00:00:05');
    const rand = mulberry32(7);
    const want = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
    let pipeline = new Pipeline(loadConfig(configFile), logger, { routerosManual: true });
    await pipeline.start();
    try {
      for (let step = 0; step < 8; step++) {
        if (step === 4) {
          // Readings come back from the spool: the interval across the restart is neither lost nor doubled.
          await pipeline.stop();
          pipeline = new Pipeline(loadConfig(configFile), logger, { routerosManual: true });
          await pipeline.start();
        }
        sim.elapse(60);
        if (step > 0) {
          for (const [who, add] of [['alice', sim.queueTraffic.bind(sim, 'cust-alice')], ['bob', sim.pppTraffic.bind(sim, 'bob')], ['erin', sim.hotspotTraffic.bind(sim, 'erin')]] as const) {
            const up = BigInt(Math.floor(rand() * 1e9));
            const down = BigInt(Math.floor(rand() * 1e10));
            add(up, down);
            const t = want.get(who) ?? { bytesDown: 0n, bytesUp: 0n };
            want.set(who, { bytesDown: t.bytesDown + down, bytesUp: t.bytesUp + up });
          }
          sim.queueTraffic('backbone', 5n, 5n);
        }
        for (const [menu, rows] of Object.entries(sim.tables())) server.setTable(menu, rows);
        expect((await pipeline.routeros!.pollAll()).get('tower-1')).toMatchObject({ ok: true });
      }
      expect(await pipeline.waitUntilCaughtUp(20_000)).toBe(true);
    } finally {
      await pipeline.stop();
    }
    const day = ['--from', new Date(Date.now() - 86_400_000).toISOString(), '--to', new Date(Date.now() + 86_400_000).toISOString(), '--source', 'routeros'];
    const got = await usageJson(['--config', configFile, '--store', 'embedded', ...day]);
    expect([...got].sort()).toEqual([...want].sort());
  });
});
