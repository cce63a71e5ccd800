// Serves the Prometheus registry at /metrics and the collector's health at /healthz on the configured HTTP address.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { HealthReport } from './health.js';

export class MetricsServer {
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly opts: { host: string; port: number; registry: Registry; logger: Logger; health?: () => HealthReport },
  ) {}

  async start(): Promise<void> {
    const { registry, health } = this.opts;
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/healthz' && health) {
        // 503 names each unhealthy part and why, so a probe's log says what to fix.
        let report: HealthReport;
        try {
          report = health();
        } catch (err) {
          report = { status: 'unhealthy', parts: { healthz: { ok: false, reason: `health check failed: ${String(err)}` } } };
        }
        res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(report) + '\n');
        return;
      }
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404).end(`not found: try /metrics${health ? ' or /healthz' : ''}\n`);
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    this.server = server;
    // events.once rejects on 'error' (e.g. EADDRINUSE), so a port taken fails start() instead of crashing later.
    server.listen(this.opts.port, this.opts.host);
    await once(server, 'listening');
    this.opts.logger.info({ address: this.address() }, 'metrics listening');
  }

  address(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) return '';
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }
}
