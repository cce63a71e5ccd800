// The influx sink against a scripted local HTTP server: request shape, auth, chunking, 413 split, status mapping.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';
import { createInfluxSink } from './influx-sink.js';

const log = pino({ level: 'silent' });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

function rec(i: number, subscriber = `sub-${i}`): UsageRecord {
  return { id: `radius:${i}`, source: 'radius', device: 'nas', subscriber, start: 0, end: 1_700_000_000_000 + i, bytesDown: BigInt(i), bytesUp: 1n };
}

describe('influx sink (scripted server)', () => {
  let server: Server;
  let url: string;
  let seen: Seen[];
  let answer: (req: Seen) => { status: number; body?: string; headers?: Record<string, string> };

  beforeEach(async () => {
    seen = [];
    answer = () => ({ status: 204 });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        seen.push(s);
        const a = answer(s);
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(a.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('v1: POSTs /write with db, rp, precision=ns and basic auth, one request per batchSize points', async () => {
    const sink = createInfluxSink({ version: 1, url, database: 'wisp', retentionPolicy: 'rp1', username: 'u', password: 'p', batchSize: 2, timeout: 5000 }, log);
    expect(await sink.write([rec(1), rec(2), rec(3)], 5000)).toEqual({ status: 'ok' });
    expect(seen).toHaveLength(2);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/write?db=wisp&rp=rp1&precision=ns');
    expect(seen[0]?.headers.authorization).toBe('Basic ' + Buffer.from('u:p').toString('base64'));
    expect(seen[0]?.body.split('\n')).toHaveLength(2);
    expect(seen[1]?.body).toMatch(/^usage,device=nas,source=radius,subscriber=sub-3 bytes_down=3i,bytes_up=1i \d+$/);
  });

  it('v2: POSTs /api/v2/write with org, bucket, precision=ns and the token; no client retries', async () => {
    const sink = createInfluxSink({ version: 2, url, org: 'acme', bucket: 'usage', token: 'secret', batchSize: 100, timeout: 5000 }, log);
    expect(await sink.write([rec(1), rec(2)], 5000)).toEqual({ status: 'ok' });
    expect(seen[0]?.url).toBe('/api/v2/write?org=acme&bucket=usage&precision=ns');
    expect(seen[0]?.headers.authorization).toBe('Token secret');
    expect(seen[0]?.body.split('\n')).toHaveLength(2);
    answer = () => ({ status: 503, body: '{"message":"busy"}', headers: { 'retry-after': '3' } });
    expect(await sink.write([rec(3)], 5000)).toMatchObject({ status: 'retryable', retryAfterMs: 3000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(2); // the client did not retry on its own
  });

  it.each([1, 2] as const)('v%i: 400 partial write → failed; 404 database not found → retryable', async (version) => {
    const config = version === 1
      ? { version, url, database: 'wisp', batchSize: 100, timeout: 5000 }
      : { version, url, org: 'o', bucket: 'b', token: 't', batchSize: 100, timeout: 5000 };
    const sink = createInfluxSink(config, log);
    answer = () => ({ status: 400, body: '{"error":"partial write: field type conflict dropped=1"}' });
    const failed = await sink.write([rec(1)], 5000);
    expect(failed.status).toBe('failed');
    if (failed.status === 'failed') expect(failed.error.message).toMatch(/HTTP 400: partial write: field type conflict/);
    answer = () => ({ status: 404, body: '{"error":"database not found: \\"wisp\\""}' });
    expect((await sink.write([rec(1)], 5000)).status).toBe('retryable');
  });

  it('splits a batch the server finds too large (413) and writes every point', async () => {
    answer = (req) => ({ status: req.body.split('\n').length > 2 ? 413 : 204 });
    const sink = createInfluxSink({ version: 1, url, database: 'wisp', batchSize: 100, timeout: 5000 }, log);
    expect(await sink.write([rec(1), rec(2), rec(3), rec(4), rec(5)], 5000)).toEqual({ status: 'ok' });
    const written = seen.filter((s) => s.body.split('\n').length <= 2).flatMap((s) => s.body.split('\n'));
    expect(written).toHaveLength(5);
  });

  it('answers retryable when nothing listens, and times out a hung server', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = createInfluxSink({ version: 1, url, database: 'wisp', batchSize: 100, timeout: 5000 }, log);
    const r = await down.write([rec(1)], 5000);
    expect(r.status).toBe('retryable');
    if (r.status === 'retryable') expect(r.error.message).toMatch(/ECONNREFUSED/);

    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    try {
      for (const config of [
        { version: 1 as const, url: hungUrl, database: 'wisp', batchSize: 100, timeout: 5000 },
        { version: 2 as const, url: hungUrl, org: 'o', bucket: 'b', token: 't', batchSize: 100, timeout: 5000 },
      ]) {
        const started = Date.now();
        const t = await createInfluxSink(config, log).write([rec(1)], 200);
        expect(t.status).toBe('retryable');
        expect(Date.now() - started).toBeLessThan(3000);
      }
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
    // Restore a listening server for afterEach.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  it('counts subscribers past maxSubscribers and still writes them', async () => {
    const sink = createInfluxSink({ version: 1, url, database: 'wisp', batchSize: 100, timeout: 5000 }, log, { maxSubscribers: 2 });
    expect(await sink.write([rec(1), rec(2), rec(3), rec(4), rec(5, 'sub-1')], 5000)).toEqual({ status: 'ok' });
    expect(sink.stats()).toEqual({ subscribers: 2, subscriberOverflow: 2 });
    expect(seen[0]?.body.split('\n')).toHaveLength(5);
  });
});
