// api-ssl (8729) with a self-signed certificate made by openssl, trusted by CA file or by pinned fingerprint; and a
// wrong password: one clear error line, logins spaced by backoff, no usage, no password anywhere in the logs.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySpool } from '../collectors/pipeline/memory-spool.js';
import { routerosSchema } from '../collectors/routeros/config.js';
import { RouterosPoller } from '../collectors/routeros/poller.js';
import { SimulatedRouter } from '../collectors/routeros/testdata/simulated-router.js';
import { RouterosTestServer } from './routeros-server.js';

const PASSWORD = 'tls-Pa55word';

function captureLog(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RouterOS poller over TLS, and a refused login', () => {
  let dir: string;
  let cert: Buffer;
  let server: RouterosTestServer;
  const pollers: RouterosPoller[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-routeros-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=tower-north.example', '-addext', 'subjectAltName=DNS:tower-north.example,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    server = await RouterosTestServer.start({ users: { wispmeter: PASSWORD }, tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function poller(tls: unknown, opts: { password?: string; schedule?: boolean; now?: () => number } = {}) {
    const log = captureLog();
    const spool = new MemorySpool();
    const registry = new Registry();
    const config = routerosSchema.parse({
      interval: '10s',
      timeout: '1s',
      backoff: { initial: '40ms', max: '160ms' },
      devices: [{ name: 'tower-north', host: '127.0.0.1', port: server.port, tls, username: 'wispmeter', password: opts.password ?? PASSWORD, tables: ['queues', 'hotspot'] }],
    });
    const p = new RouterosPoller({ config, spool, logger: log.logger, registry, configDir: dir, schedule: opts.schedule ?? false, now: opts.now, random: () => 0.5 });
    pollers.push(p);
    return { p, spool, registry, lines: log.lines };
  }

  it('polls over TLS trusting the certificate as a CA file, and by its pinned SHA-256 fingerprint', async () => {
    const sim = new SimulatedRouter();
    sim.addQueue('alice', '10.0.5.2/32');
    sim.login('erin', '02:00:00:00:00:05');
    let clock = Date.UTC(2026, 10, 1);
    const load = (): void => {
      for (const [m, rows] of Object.entries(sim.tables())) server.setTable(m, rows);
    };
    const fingerprint = new X509Certificate(cert).fingerprint256;
    for (const tls of [{ ca: 'cert.pem' }, { fingerprint }, { ca: join(dir, 'cert.pem'), servername: 'tower-north.example' }]) {
      const { p, spool } = poller(tls, { now: () => clock });
      await p.start();
      load();
      expect(await p.poll('tower-north')).toMatchObject({ ok: true, records: 0 });
      sim.elapse(60);
      clock += 60_000;
      sim.queueTraffic('alice', 1234n, 56789n);
      sim.hotspotTraffic('erin', 11n, 22n);
      load();
      expect(await p.poll('tower-north')).toMatchObject({ ok: true, records: 2 });
      expect(spool.totals()).toEqual(new Map([['alice', { bytesUp: 1234n, bytesDown: 56789n }], ['erin', { bytesUp: 11n, bytesDown: 22n }]]));
      await p.stop();
    }
  });

  it('refuses a certificate that is not trusted, or not the pinned one, before sending any credential', async () => {
    const logins = server.loginAttempts;
    const wrongPin = poller({ fingerprint: 'AA:'.repeat(31) + 'AA' });
    await wrongPin.p.start();
    expect(await wrongPin.p.poll('tower-north')).toMatchObject({ ok: false, kind: 'tls', error: { message: expect.stringContaining('not the pinned') } });
    const systemCas = poller(true);
    await systemCas.p.start();
    expect(await systemCas.p.poll('tower-north')).toMatchObject({ ok: false, kind: 'tls' });
    expect(server.loginAttempts).toBe(logins);
    expect([...wrongPin.lines, ...systemCas.lines].join('\n')).not.toContain(PASSWORD);
  });

  it('logs a wrong password once, clearly, retries with backoff, and stores no usage', async () => {
    const { p, spool, registry, lines } = poller({ ca: 'cert.pem' }, { password: 'not-the-password', schedule: true });
    const logins = server.loginAttempts;
    const began = Date.now();
    await p.start();
    await until(() => server.loginAttempts - logins >= 4, 3000);
    const elapsed = Date.now() - began;
    await p.stop();
    const attempts = server.loginAttempts - logins;
    // Backoff 40, 80, 160, 160 … ms (jitter pinned to 0): 4 attempts need at least 40 + 80 + 160 ms.
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(attempts).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 160));
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe(`routeros: tower-north (127.0.0.1:${server.port}) refused the login of user "wispmeter": invalid user name or password (6); check routeros.devices[tower-north].username and password (retrying with backoff)`);
    expect(lines.join('\n')).not.toContain('not-the-password');
    expect(spool.records()).toEqual([]);
    const authErrors = (await registry.getSingleMetric('wispmeter_routeros_poll_errors_total')!.get()).values.find((v) => v.labels.kind === 'auth');
    // Every refusal is counted; stop() may abort the last login after the server saw it, before its refusal came back.
    expect(authErrors?.value).toBeGreaterThanOrEqual(attempts - 1);
    expect(authErrors?.value).toBeLessThanOrEqual(attempts);
  });
});
