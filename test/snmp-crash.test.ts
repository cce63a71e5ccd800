// `wispmeter collect` polling a real snmpd every second is killed with SIGKILL while the fixture's counters
// move, and started again: because each poll's records and counter readings are one spool append, the queue's
// billed total is exactly what its counter moved between the first and the last poll, nothing lost or doubled.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expected } from '../scripts/gen-snmp-fixtures.js';
import { startSnmpd, type Snmpd } from './snmpd.js';
import { usageJson } from './wispmeter/cli-run.js';
import { metricSum, ROOT, startCollector, type CollectorProcess } from './wispmeter/collector-process.js';

const FIXTURES = join(ROOT, 'fixtures/snmp');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SNMP poller across a crash (snmpd, SIGKILL)', () => {
  let dir: string;
  let ccr: Snmpd;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-snmp-crash-'));
    ccr = await startSnmpd({
      communities: ['crash-ro'],
      sysObjectID: '.1.3.6.1.4.1.14988.1',
      fixture: { walkFile: join(FIXTURES, 'ccr.walk'), subtrees: ['1.3.6.1.4.1.14988.1.1.2.1'] },
    });
  }, 60_000);

  afterAll(async () => {
    await ccr?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bills alice\'s queue exactly once over a SIGKILL and restart', async () => {
    const config = `
dataDir: {DATA_DIR}
log: { level: warn }
metrics: { listen: "127.0.0.1:{METRICS_PORT}" }
snmp:
  interval: 1s
  timeout: 2s
  targets:
    - { name: ccr, version: 2c, address: 127.0.0.1, port: ${ccr.port}, community: crash-ro, profiles: [mikrotik-queue],
        subscribers: { mikrotik-queue: { from: name, pattern: "^cust-(alice)$" } } }
`;
    const okPolls = async (c: CollectorProcess) => metricSum(await c.metrics(), 'wispmeter_snmp_polls_total', { target: 'ccr', result: 'ok' });
    const waitPolls = async (c: CollectorProcess, n: number) => {
      const deadline = Date.now() + 10_000;
      while ((await okPolls(c)) < n) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} polls in 10 s:\n${c.proc.output()}`);
        await sleep(100);
      }
    };

    ccr.setStep(0);
    let collector = await startCollector({ dir, config });
    let killed = false;
    try {
      await waitPolls(collector, 1); // the baseline: alice's counter at step 0
      for (let step = 1; step <= 5; step++) {
        ccr.setStep(step);
        await sleep(700 + step * 97);
      }
      await collector.proc.kill();
      killed = true;
      // The router keeps counting while wispmeter is down.
      ccr.setStep(7);
      collector = await startCollector({ dir, config });
      killed = false;
      for (let step = 8; step < expected.steps; step++) {
        ccr.setStep(step);
        await sleep(900);
      }
      // At least one more poll at the last step, so the last reading is the last step's counter.
      const before = await okPolls(collector);
      await waitPolls(collector, before + 2);
      await collector.proc.stop(15_000);
      expect(collector.proc.exit()).toEqual({ code: 0, signal: null });
    } finally {
      if (!killed) await collector.proc.stop();
    }

    const alice = expected.rows.find((r) => r.name === 'cust-alice')!;
    const got = await usageJson(['--config', join(dir, 'wispmeter.yaml'), '--from', '2020-01-01', '--to', '2100-01-01']);
    expect(got).toEqual(new Map([['alice', { bytesDown: BigInt(alice.bytesDown), bytesUp: BigInt(alice.bytesUp) }]]));
  });
});
