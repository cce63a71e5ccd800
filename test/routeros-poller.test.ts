// The RouterOS poller against the test API server over real TCP: a scripted router whose counters advance, reset,
// disappear and come back over a dozen polls, with a connection dropped mid-reply, a slow reply, a trap and a
// restart; per-subscriber totals in the spool must equal the traffic the script generated.
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routerosSchema, type RouterosConfig } from '../collectors/routeros/config.js';
import { RouterosPoller, type PollOutcome } from '../collectors/routeros/poller.js';
import { SimulatedRouter } from '../collectors/routeros/testdata/simulated-router.js';
import { STATE_SCOPE } from '../collectors/routeros/usage-deltas.js';
import { MemorySpool } from '../collectors/pipeline/memory-spool.js';
import { SpoolFullError } from '../collectors/pipeline/spool-types.js';
import { mulberry32 } from '../scripts/prng.js';
import { RouterosTestServer } from './routeros-server.js';

const PASSWORD = 'pa55-Secret!';
const STEP_MS = 60_000;

function captureLog(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  return registry.getSingleMetric(name)!.get().then((m) => m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0));
}

/** Traffic per subscriber the script made observable (after the first poll), in the store's shape. */
class Expected {
  readonly totals = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
  add(subscriber: string, up: bigint, down: bigint): void {
    const t = this.totals.get(subscriber) ?? { bytesDown: 0n, bytesUp: 0n };
    t.bytesUp += up;
    t.bytesDown += down;
    this.totals.set(subscriber, t);
  }
}

describe('RouterOS poller over the API', () => {
  let server: RouterosTestServer;
  let clock: number;
  const pollers: RouterosPoller[] = [];

  beforeEach(async () => {
    server = await RouterosTestServer.start({ users: { wispmeter: PASSWORD } });
    clock = Date.UTC(2026, 10, 1, 0, 0, 0);
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    await server.stop();
  });

  function config(extra: Partial<Record<string, unknown>> = {}, device: Record<string, unknown> = {}): RouterosConfig {
    return routerosSchema.parse({
      timeout: '2s',
      subscribers: { queues: { pattern: '^cust-(.+)$' } },
      devices: [{ name: 'tower-north', host: '127.0.0.1', port: server.port, username: 'wispmeter', password: PASSWORD, tables: ['queues', 'ppp', 'hotspot', 'interfaces'], ...device }],
      ...extra,
    });
  }

  async function startPoller(spool: MemorySpool, cfg: RouterosConfig, registry = new Registry(), logger = captureLog().logger): Promise<RouterosPoller> {
    const p = new RouterosPoller({ config: cfg, spool, logger, registry, now: () => clock, schedule: false });
    pollers.push(p);
    await p.start();
    return p;
  }

  it('turns queue, PPP, hotspot and interface counters into exact deltas over 14 polls with resets, a reboot, faults, a full spool and a restart', async () => {
    const sim = new SimulatedRouter(64);
    const rand = mulberry32(7);
    const bytes = (max: number): bigint => BigInt(Math.floor(rand() * max));
    const expected = new Expected();
    let unmappedBytes = 0n;
    let observing = false; // traffic before the first poll is the baseline, not usage

    sim.addQueue('cust-alice', '10.0.5.2/32');
    sim.addQueue('cust-carol', '10.0.5.3/32');
    sim.addQueue('backbone', '10.0.0.0/16'); // maps to nobody under ^cust-(.+)$
    sim.startPpp('bob', 'AA:BB:CC:00:00:01');
    sim.addQueue('<pppoe-bob>', '<pppoe-bob>', true); // the dynamic queue of bob's session: metered from /ppp, not twice
    sim.startPpp('dave', 'AA:BB:CC:00:00:02');
    sim.login('erin', '02:00:00:00:00:05');
    sim.addInterface('vlan101', 'cust:frank');
    sim.addInterface('sfp-uplink', 'transit');
    // Large values: a month of a fast link is past 2^53, so the sums must be exact integers.
    sim.queueTraffic('cust-alice', 2n ** 53n, 3n * 2n ** 53n);

    const present = { carol: true, bob: true };
    const traffic = (): void => {
      const q = (name: string, sub: string | undefined): void => {
        const up = bytes(5e8);
        const down = bytes(5e9);
        sim.queueTraffic(name, up, down);
        if (!observing) return;
        if (sub) expected.add(sub, up, down);
        else unmappedBytes += up + down;
      };
      q('cust-alice', 'alice');
      if (present.carol) q('cust-carol', 'carol');
      q('backbone', undefined);
      for (const name of ['bob', 'dave'] as const) {
        if (name === 'bob' && !present.bob) continue;
        const up = bytes(2e8);
        const down = bytes(3e9);
        sim.pppTraffic(name, up, down);
        if (name === 'bob') sim.queueTraffic('<pppoe-bob>', up, down);
        if (observing) expected.add(name, up, down);
      }
      const hu = bytes(1e8);
      const hd = bytes(9e8);
      sim.hotspotTraffic('erin', hu, hd);
      if (observing) expected.add('erin', hu, hd);
      const iu = bytes(3e8);
      const id = bytes(4e9);
      sim.interfaceTraffic('vlan101', iu, id);
      if (observing) expected.add('frank', iu, id);
      sim.interfaceTraffic('sfp-uplink', bytes(9e9), bytes(9e9)); // not a subscriber: rule ^cust:(\S+)$ on the comment
    };

    const spool = new MemorySpool();
    const registry = new Registry();
    const cfg = config();
    let poller = await startPoller(spool, cfg, registry);
    const outcomes: PollOutcome[] = [];
    const poll = async (): Promise<PollOutcome> => {
      for (const [menu, rows] of Object.entries(sim.tables())) server.setTable(menu, rows);
      const o = await poller.poll('tower-north');
      outcomes.push(o);
      return o;
    };

    let unmappedBeforeRestart = 0n;
    for (let step = 0; step < 14; step++) {
      if (step === 11) unmappedBeforeRestart = unmappedBytes; // what the first poller (and registry) saw
      clock += STEP_MS;
      sim.elapse(60);
      switch (step) {
        case 3: // carol's queue is removed (no traffic since the last poll), and comes back at step 5 with a new .id
          sim.removeQueue('cust-carol');
          present.carol = false;
          break;
        case 4: // bob hangs up; his dynamic queue goes with the session
          sim.endPpp('bob');
          sim.removeQueue('<pppoe-bob>');
          present.bob = false;
          break;
        case 5:
          sim.addQueue('cust-carol', '10.0.5.3/32');
          present.carol = true;
          break;
        case 6: // bob dials again: new session-id, new <pppoe-bob> interface; counters from 0
          sim.startPpp('bob', 'AA:BB:CC:00:00:01');
          sim.addQueue('<pppoe-bob>', '<pppoe-bob>', true);
          present.bob = true;
          break;
        case 8: // the router reboots 20 s before this poll: every counter starts again
          sim.reboot();
          sim.elapse(20);
          break;
        case 9: // alice's queue is re-created between two polls: same name, new .id
          sim.removeQueue('cust-alice');
          sim.addQueue('cust-alice', '10.0.5.2/32');
          break;
      }
      if (step > 0) observing = true;
      traffic();
      if (step === 5 || step === 6) {
        // The returning rows carry more than their old readings: only the identity change (not a counter going
        // down) shows that they started again from 0.
        const burst = 40_000_000_000n;
        if (step === 5) sim.queueTraffic('cust-carol', burst, burst);
        else {
          sim.pppTraffic('bob', burst, burst);
          sim.queueTraffic('<pppoe-bob>', burst, burst);
        }
        expected.add(step === 5 ? 'carol' : 'bob', burst, burst);
      }

      if (step === 2) {
        // The connection drops in the middle of the queue reply: the poll fails, stores nothing, and the next one
        // (a new session) counts the whole interval once.
        server.inject('/queue/simple', { kind: 'drop-mid-reply' });
        expect(await poll()).toMatchObject({ ok: false, kind: 'closed' });
        clock += 5000;
      }
      if (step === 5) server.inject('/interface', { kind: 'slow', delayMs: 20, pieceBytes: 5, gapMs: 0 });
      if (step === 7) {
        server.inject('/ip/hotspot/active', { kind: 'trap', message: 'interrupted', category: '2' });
        expect(await poll()).toMatchObject({ ok: false, kind: 'trap' });
        clock += 5000;
      }
      if (step === 12) {
        // gina dials in for the first time since the poller started: her session's uptime (0 s) is shorter than
        // the time since the last reading, so all its bytes are new usage, not a first-sight baseline.
        sim.startPpp('gina', 'AA:BB:CC:00:00:07');
        sim.pppTraffic('gina', 777_000n, 9_999_000n);
        expected.add('gina', 777_000n, 9_999_000n);
      }
      if (step === 10) {
        // The spool refuses the entry: nothing is adopted, and the next poll counts both intervals once.
        spool.failWith = new SpoolFullError(2, 1);
        expect(await poll()).toMatchObject({ ok: false, kind: 'spool_full' });
        spool.failWith = undefined;
        clock += 5000;
      }
      if (step === 11) {
        // A restart: a new poller on the same spool resumes from the saved readings, with no first-sight gap.
        await poller.stop();
        poller = await startPoller(spool, cfg, new Registry());
      }
      expect(await poll(), `poll at step ${step}`).toMatchObject({ ok: true });
    }

    expect(outcomes.filter((o) => o.ok)).toHaveLength(14);
    expect(spool.totals()).toEqual(expected.totals);
    // Intervals of one subscriber are back to back (no gap, no overlap) from the first poll to the last.
    const alice = spool.records().filter((r) => r.subscriber === 'alice').sort((a, b) => a.start - b.start);
    for (let i = 1; i < alice.length; i++) expect(alice[i]!.start).toBe(alice[i - 1]!.end);
    expect(new Set(spool.records().map((r) => r.id)).size).toBe(spool.records().length);
    expect(spool.records().every((r) => r.source === 'routeros' && r.device === 'tower-north')).toBe(true);
    // Every entry carries the device's counter state with its records.
    expect(spool.entries.every((e) => e.state?.some((s) => s.scope === STATE_SCOPE && s.key === 'tower-north'))).toBe(true);
    // The dropped connection was replaced by a new session; the trap left the session open.
    expect(server.connections).toBe(3); // first, after the drop, after the restart
    expect(await metricValue(registry, 'wispmeter_routeros_unmapped_bytes_total', { device: 'tower-north', table: 'queues' })).toBe(Number(unmappedBeforeRestart));
    expect(unmappedBeforeRestart).toBeGreaterThan(0n);
    expect(await metricValue(registry, 'wispmeter_routeros_unmapped_rows', { table: 'interfaces' })).toBe(1);
    expect(await metricValue(registry, 'wispmeter_routeros_reboots_total', { device: 'tower-north' })).toBe(1);
    expect(await metricValue(registry, 'wispmeter_routeros_counter_events_total', { event: 'reset' })).toBeGreaterThanOrEqual(7);
    expect(await metricValue(registry, 'wispmeter_routeros_poll_errors_total', { kind: 'closed' })).toBe(1);
    expect(await metricValue(registry, 'wispmeter_routeros_poll_errors_total', { kind: 'trap' })).toBe(1);
    expect(await metricValue(registry, 'wispmeter_routeros_poll_errors_total', { kind: 'spool_full' })).toBe(1);
  });

  it('counts a 32-bit counter that wraps once per interval, and not a wrap as a reset', async () => {
    const sim = new SimulatedRouter(32);
    sim.addQueue('cust-walt', '10.0.9.9/32');
    sim.addInterface('vlan200', 'cust:vera');
    const spool = new MemorySpool();
    const registry = new Registry();
    const poller = await startPoller(spool, config({}, { counterBits: 32, tables: ['queues', 'interfaces'] }), registry);
    const expected = new Expected();
    const rand = mulberry32(32);
    for (let step = 0; step < 10; step++) {
      clock += STEP_MS;
      sim.elapse(60);
      if (step > 0) {
        // 2.5–4.2 GB per minute: below 2^32 per interval, so each counter wraps about every other poll.
        const up = BigInt(2_500_000_000 + Math.floor(rand() * 1_700_000_000));
        const down = BigInt(2_500_000_000 + Math.floor(rand() * 1_700_000_000));
        sim.queueTraffic('cust-walt', up, down);
        sim.interfaceTraffic('vlan200', down, up);
        expected.add('walt', up, down);
        expected.add('vera', down, up);
      }
      for (const [menu, rows] of Object.entries(sim.tables())) server.setTable(menu, rows);
      expect(await poller.poll('tower-north')).toMatchObject({ ok: true });
    }
    expect(spool.totals()).toEqual(expected.totals);
    expect(await metricValue(registry, 'wispmeter_routeros_counter_events_total', { event: 'wrap' })).toBeGreaterThanOrEqual(6);
    expect(await metricValue(registry, 'wispmeter_routeros_counter_events_total', { event: 'reset' })).toBe(0);
  });

  it('reads a router with 5000 queues (a reply of many TCP reads) exactly, with a compact saved state', async () => {
    const sim = new SimulatedRouter(64);
    const names = Array.from({ length: 5000 }, (_, i) => `cust-sub${String(i).padStart(4, '0')}`);
    for (const n of names) sim.addQueue(n, '10.1.0.1/32');
    const spool = new MemorySpool();
    const poller = await startPoller(spool, config({}, { tables: ['queues'] }));
    const expected = new Expected();
    for (let step = 0; step < 3; step++) {
      clock += STEP_MS;
      sim.elapse(60);
      if (step > 0) {
        names.forEach((n, i) => {
          const up = BigInt(i * 1000 + step);
          const down = BigInt(i * 7919 + step);
          sim.queueTraffic(n, up, down);
          expected.add(n.slice(5), up, down);
        });
      }
      for (const [menu, rows] of Object.entries(sim.tables())) server.setTable(menu, rows);
      expect(await poller.poll('tower-north')).toMatchObject({ ok: true });
    }
    expect(spool.totals()).toEqual(expected.totals);
    const state = spool.entries.at(-1)!.state!.find((s) => s.key === 'tower-north')!.value;
    // About 60 bytes a row: the state is rewritten with every poll.
    expect(JSON.stringify(state).length / names.length).toBeLessThan(80);
  });
});
