// 200 targets (two real snmpd, each answering on 100 loopback ports) plus dead ones, on the poller's own schedule with
// the interval scaled from 60 s to 3 s: every live target is polled at every grid point, on time, and the dead
// targets (a socket that never answers) delay none of them.
import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySpool } from '../collectors/pipeline/memory-spool.js';
import { snmpSchema } from '../collectors/snmp/config.js';
import { SnmpPoller, type PollEvent } from '../collectors/snmp/poller.js';
import { freeUdpPort } from './servers/free-port.js';
import { startSnmpd, type Snmpd } from './snmpd.js';

const TARGETS = 200;
const DEAD = 3;
const INTERVAL_MS = 3_000;
const RUN_MS = 3 * INTERVAL_MS + 1_500;

describe('SNMP schedule: 200 targets and dead ones', () => {
  let agents: Snmpd[] = [];
  const blackholes: Socket[] = [];

  beforeAll(async () => {
    const fresh = async (n: number, taken: Set<number>) => {
      const ports: number[] = [];
      while (ports.length < n) {
        const p = await freeUdpPort();
        if (!taken.has(p) && !ports.includes(p)) ports.push(p);
      }
      return ports;
    };
    // A port free a moment ago can be taken by another process before snmpd binds it: then new ports, twice at most.
    const start = async (taken: Set<number>) => {
      for (let attempt = 1; ; attempt++) {
        const ports = await fresh(TARGETS / 2, taken);
        for (const p of ports) taken.add(p);
        try {
          return await startSnmpd({ ports, communities: ['public'] });
        } catch (err) {
          if (attempt >= 3 || !/Error opening specified endpoint/.test(String(err))) throw err;
        }
      }
    };
    const taken = new Set<number>();
    agents = await Promise.all([start(taken), start(taken)]);
    for (let i = 0; i < DEAD; i++) {
      // Bound and silent: requests to it are never answered (nor refused), like a powered-off device behind a router.
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      blackholes.push(s);
    }
  }, 60_000);

  afterAll(async () => {
    for (const s of blackholes) s.close();
    await Promise.all(agents.map((a) => a.dispose()));
  });

  it('keeps every live target on its grid, never waiting behind the dead targets in their timeouts', async () => {
    const live = agents.flatMap((a) => a.ports).map((port, i) => ({ name: `tower-${String(i).padStart(3, '0')}`, version: '2c' as const, address: '127.0.0.1', port, community: 'public', profiles: ['if-mib' as const] }));
    const dead = blackholes.map((s, i) => ({ name: `dead-${i}`, version: '2c' as const, address: '127.0.0.1', port: s.address().port, community: 'public', profiles: ['if-mib' as const] }));
    const config = snmpSchema.parse({ interval: INTERVAL_MS, timeout: 1_000, retries: 1, concurrency: 32, targets: [...dead, ...live] });
    const events: PollEvent[] = [];
    const poller = new SnmpPoller({ config, spool: new MemorySpool(), logger: pino({ level: 'silent' }), registry: new Registry(), onPoll: (e) => events.push(e) });
    const t0 = Date.now();
    await poller.start();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, RUN_MS));
    const stopAt = Date.now();
    await poller.stop();

    const liveEvents = events.filter((e) => e.target.startsWith('tower-'));
    const deadEvents = events.filter((e) => e.target.startsWith('dead-'));
    const lag = liveEvents.map((e) => e.started - e.due).sort((a, b) => a - b);
    const latency = liveEvents.map((e) => e.finished - e.started).sort((a, b) => a - b);
    const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
    console.log(`snmp schedule: ${TARGETS} live + ${DEAD} dead targets, interval ${INTERVAL_MS} ms, ${liveEvents.length} live polls: ` +
      `start lag p50 ${pct(lag, 0.5)} ms, p99 ${pct(lag, 0.99)} ms, max ${lag.at(-1)} ms; poll latency p50 ${pct(latency, 0.5)} ms, p99 ${pct(latency, 0.99)} ms, max ${latency.at(-1)} ms`);
    // stop() aborts what is in flight (a poll already past its walks still stores); what ended before ended on its own.
    const ended = (e: PollEvent) => e.finished < stopAt;
    expect(events.filter((e) => !ended(e) && !e.ok && e.reason !== 'aborted')).toEqual([]);
    expect(deadEvents.filter(ended).length).toBeGreaterThanOrEqual(DEAD * 2);
    expect(deadEvents.filter(ended).every((e) => !e.ok && e.reason === 'timeout')).toBe(true);
    // A dead target's poll holds its slot for the full timeout × tries.
    expect(Math.min(...deadEvents.filter(ended).map((e) => e.finished - e.started))).toBeGreaterThanOrEqual(2 * 1_000 - 50);

    expect(liveEvents.filter(ended).every((e) => e.ok)).toBe(true);
    const byTarget = new Map<string, PollEvent[]>();
    for (const e of liveEvents) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
    expect(byTarget.size).toBe(TARGETS);
    for (const [name, list] of byTarget) {
      // Every grid point in the run was polled: first within one interval of the start, then exactly one interval apart.
      expect(list[0]!.due, name).toBeGreaterThanOrEqual(t0);
      expect(list[0]!.due, name).toBeLessThanOrEqual(started + INTERVAL_MS);
      // (A grid point in the last few ms before stop() may or may not have fired yet.)
      const points = (until: number) => Math.floor((until - list[0]!.due) / INTERVAL_MS) + 1;
      expect(list.length, name).toBeGreaterThanOrEqual(points(stopAt - 50));
      expect(list.length, name).toBeLessThanOrEqual(points(stopAt));
      for (let i = 1; i < list.length; i++) expect(list[i]!.due - list[i - 1]!.due, name).toBe(INTERVAL_MS);
    }
    // The only way a dead target can delay another is by holding a concurrency slot it needs: no live poll ever
    // waited for one. Lag left is the event loop's (2 cores shared with other work): far below one 1 s timeout.
    expect(liveEvents.filter((e) => e.queued)).toEqual([]);
    expect(lag.at(-1)).toBeLessThan(1_000);
  });

  it('makes live polls wait when dead targets hold every slot (why concurrency must exceed them)', async () => {
    const live = agents[0]!.ports.slice(0, 20).map((port, i) => ({ name: `tower-${i}`, version: '2c' as const, address: '127.0.0.1', port, community: 'public', profiles: ['if-mib' as const] }));
    const dead = { name: 'dead', version: '2c' as const, address: '127.0.0.1', port: blackholes[0]!.address().port, community: 'public', profiles: ['if-mib' as const] };
    const config = snmpSchema.parse({ interval: INTERVAL_MS, timeout: 1_000, retries: 1, concurrency: 1, targets: [dead, ...live] });
    const events: PollEvent[] = [];
    const poller = new SnmpPoller({ config, spool: new MemorySpool(), logger: pino({ level: 'silent' }), registry: new Registry(), onPoll: (e) => events.push(e) });
    await poller.start();
    // One interval plus one whole dead poll (2 s): the run holds at least one complete dead window wherever
    // the grid's phases fall against the start.
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 2_000 + 300));
    await poller.stop();
    // The one slot is the dead target's for 2 s of every 3: polls due then wait, up to its whole timeout.
    const waited = events.filter((e) => e.target !== 'dead' && e.queued);
    expect(waited.length).toBeGreaterThan(0);
    expect(Math.max(...waited.map((e) => e.started - e.due))).toBeGreaterThan(200);
  });
});
