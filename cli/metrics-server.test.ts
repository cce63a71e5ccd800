// The metrics server on a real loopback socket: serves the registry and health, and a taken port fails start().
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { MetricsServer } from './metrics-server.js';

const logger = pino({ level: 'silent' });
const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function server(registry: Registry, port = 0, unhealthy = false): MetricsServer {
  const s = new MetricsServer({
    host: '127.0.0.1',
    port,
    registry,
    logger,
    health: () => (unhealthy ? { status: 'unhealthy', parts: { spool: { ok: false, reason: 'writes fail: EIO' } } } : { status: 'ok', parts: { spool: { ok: true } } }),
  });
  servers.push(s);
  return s;
}

describe('MetricsServer', () => {
  it('serves /metrics, /healthz and 404 for anything else', async () => {
    const registry = new Registry();
    new Counter({ name: 'wispmeter_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const s = server(registry, 0, true);
    await s.start();
    const base = `http://${s.address()}`;
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^wispmeter_test_total 3$/m);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'unhealthy', parts: { spool: { ok: false, reason: 'writes fail: EIO' } } });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('rejects start() when the port is taken, naming the address', async () => {
    const first = server(new Registry());
    await first.start();
    const port = Number(first.address().split(':').pop());
    await expect(server(new Registry(), port).start()).rejects.toThrow(/EADDRINUSE.*127\.0\.0\.1/);
  });
});
