// InfluxDB 2.x/3.x write path: /api/v2/write through @influxdata/influxdb-client, with its buffering and retries off.
import { HttpError, InfluxDB, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxConfig } from '../../config/schema.js';
import type { LineWriter } from './v1-write.js';
import { verdictForNetworkError, verdictForStatus } from './write-result.js';

export type InfluxV2Config = Extract<InfluxConfig, { version: 2 }>;

/**
 * The client would batch on a timer, retry with its own backoff and keep a retry buffer: all of that is the
 * spool's and the sink runner's job here. So each write gets a fresh WriteApi whose batch size exceeds the
 * batch (nothing is sent until flush), no flush timer, no retries, and a writeFailed hook that turns any
 * failure into a rejected flush (which also keeps the client from logging to the console).
 */
export function createV2Writer(config: InfluxV2Config): LineWriter {
  // The request timeout is a client option: keep one client per timeout in use (normally just one).
  const clients = new Map<number, InfluxDB>();
  const clientFor = (timeoutMs: number): InfluxDB => {
    let client = clients.get(timeoutMs);
    if (!client) {
      client = new InfluxDB({ url: config.url, token: config.token, timeout: timeoutMs });
      clients.set(timeoutMs, client);
    }
    return client;
  };
  const part = `influx v2 write ${new URL(config.url).origin}/api/v2/write?org=${config.org}&bucket=${config.bucket}`;
  return async (lines, timeoutMs) => {
    const api: WriteApi = clientFor(timeoutMs).getWriteApi(config.org, config.bucket, 'ns', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      writeFailed: (error: Error) => Promise.reject(error),
    });
    try {
      api.writeRecords([...lines]);
      await api.flush();
      return verdictForStatus(204, '', null, part);
    } catch (err) {
      if (err instanceof HttpError) {
        const retryAfter = err.headers?.['retry-after'];
        return verdictForStatus(err.statusCode, err.body ?? err.message, typeof retryAfter === 'string' ? retryAfter : null, part);
      }
      return verdictForNetworkError(err, part);
    } finally {
      api.dispose();
    }
  };
}
