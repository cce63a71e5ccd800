// Many devices on the poller's own schedule: a dead port, a router that never answers and one with malformed rows
// do not hold up a healthy one, and no more devices than `concurrency` are polled at once.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySpool } from '../collectors/pipeline/memory-spool.js';
import { routerosSchema } from '../collectors/routeros/config.js';
import { RouterosPoller } from '../collectors/routeros/poller.js';
import { RouterosTestServer } from './routeros-server.js';

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

/** Accepts TCP connections and never says a word: a router whose API process hangs. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('RouterOS poller with many devices', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('isolates a dead, a hanging and a malformed device from a healthy one', async () => {
    const healthy = await RouterosTestServer.start({ users: { ro: 'pw' } });
    cleanups.push(() => healthy.stop());
    const odd = await RouterosTestServer.start({ users: { ro: 'pw' } });
    cleanups.push(() => odd.stop());
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const closed = await silentServer();
    const deadPort = closed.port;
    await closed.close();

    const uptime = { s: 1000 };
    let bytes = 0n;
    const refresh = (): void => {
      uptime.s += 1;
      bytes += 1000n;
      for (const s of [healthy, odd]) s.setTable('/system/resource', [{ uptime: `${uptime.s}s` }]);
      healthy.setTable('/queue/simple', [{ '.id': '*1', name: 'alice', target: '10.0.5.2/32', dynamic: 'false', bytes: `${bytes}/${bytes * 3n}` }]);
      // One row's counters are not numbers and another has no .id: both are skipped and counted, the good row is metered.
      odd.setTable('/queue/simple', [
        { '.id': '*1', name: 'bob', dynamic: 'false', bytes: `${bytes}/${bytes}` },
        { '.id': '*2', name: 'carol', dynamic: 'false', bytes: 'n/a' },
        { name: 'dave', dynamic: 'false', bytes: '5/5' },
      ]);
    };
    refresh();
    const ticker = setInterval(refresh, 15);
    cleanups.push(async () => clearInterval(ticker));

    const device = (name: string, port: number) => ({ name, host: '127.0.0.1', port, username: 'ro', password: 'pw', tables: ['queues'] });
    const config = routerosSchema.parse({
      interval: '60ms',
      timeout: '250ms',
      concurrency: 2,
      backoff: { initial: '50ms', max: '100ms' },
      devices: [device('dead', deadPort), device('hanging', silent.port), device('healthy', healthy.port), device('odd', odd.port)],
    });
    const spool = new MemorySpool();
    const registry = new Registry();
    const poller = new RouterosPoller({ config, spool, logger: pino({ level: 'silent' }), registry });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(async () => (await metric(registry, 'wispmeter_routeros_polls_total', { device: 'healthy', result: 'ok' })) >= 4
      && (await metric(registry, 'wispmeter_routeros_polls_total', { device: 'hanging', result: 'error' })) >= 2, 5000);

    expect(await metric(registry, 'wispmeter_routeros_poll_errors_total', { device: 'dead', kind: 'connect' })).toBeGreaterThanOrEqual(2);
    expect(await metric(registry, 'wispmeter_routeros_poll_errors_total', { device: 'hanging', kind: 'timeout' })).toBeGreaterThanOrEqual(2);
    expect(await metric(registry, 'wispmeter_routeros_polls_total', { device: 'odd', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(await metric(registry, 'wispmeter_routeros_malformed_rows_total', { device: 'odd', table: 'queues' })).toBeGreaterThanOrEqual(2);
    const subscribers = new Set(spool.records().map((r) => `${r.device}/${r.subscriber}`));
    expect(subscribers).toContain('healthy/alice');
    expect([...subscribers].every((s) => s === 'healthy/alice' || s === 'odd/bob')).toBe(true);
    // alice downloads three times what she uploads, in every interval.
    for (const r of spool.records().filter((x) => x.subscriber === 'alice')) expect(r.bytesDown).toBe(r.bytesUp * 3n);
  });

  it('polls no more than `concurrency` devices at once, and does use that many', async () => {
    const server = await RouterosTestServer.start({ users: { ro: 'pw' }, replyDelayMs: 40 });
    cleanups.push(() => server.stop());
    server.setTable('/system/resource', [{ uptime: '1h' }]);
    server.setTable('/queue/simple', [{ '.id': '*1', name: 'alice', dynamic: 'false', bytes: '1/1' }]);
    const config = routerosSchema.parse({
      interval: '10ms',
      concurrency: 2,
      devices: Array.from({ length: 5 }, (_, i) => ({ name: `ap-${i}`, host: '127.0.0.1', port: server.port, username: 'ro', password: 'pw', tables: ['queues'] })),
    });
    const registry = new Registry();
    const poller = new RouterosPoller({ config, spool: new MemorySpool(), logger: pino({ level: 'silent' }), registry });
    cleanups.push(() => poller.stop());
    await poller.start();
    await until(async () => (await metric(registry, 'wispmeter_routeros_polls_total', { result: 'ok' })) >= 15, 5000);
    expect(server.maxBusySessions).toBe(2);
    for (let i = 0; i < 5; i++) expect(await metric(registry, 'wispmeter_routeros_polls_total', { device: `ap-${i}`, result: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('notices a session the router closed between polls, and opens a new one at the next poll', async () => {
    const server = await RouterosTestServer.start({ users: { ro: 'pw' } });
    cleanups.push(() => server.stop());
    server.setTable('/system/resource', [{ uptime: '1h' }]);
    server.setTable('/queue/simple', []);
    const config = routerosSchema.parse({ devices: [{ name: 'ap1', host: '127.0.0.1', port: server.port, username: 'ro', password: 'pw', tables: ['queues'] }] });
    const registry = new Registry();
    const poller = new RouterosPoller({ config, spool: new MemorySpool(), logger: pino({ level: 'silent' }), registry, schedule: false });
    cleanups.push(() => poller.stop());
    await poller.start();
    expect(await poller.poll('ap1')).toMatchObject({ ok: true });
    expect(await metric(registry, 'wispmeter_routeros_connected', { device: 'ap1' })).toBe(1);
    server.dropAll();
    await until(async () => (await metric(registry, 'wispmeter_routeros_connected', { device: 'ap1' })) === 0, 2000);
    expect(await poller.poll('ap1')).toMatchObject({ ok: true });
    expect(server.connections).toBe(2);
    expect(await metric(registry, 'wispmeter_routeros_poll_errors_total', {})).toBe(0);
  });
});
