// InfluxDB 1.x write path: POST /write?db=&rp=&precision=ns with fetch; small on purpose.
import type { InfluxConfig } from '../../config/schema.js';
import { verdictForNetworkError, verdictForStatus, type WriteVerdict } from './write-result.js';

export type InfluxV1Config = Extract<InfluxConfig, { version: 1 }>;

/** Sends lines of line protocol in one request; never throws. */
export type LineWriter = (lines: readonly string[], timeoutMs: number) => Promise<WriteVerdict>;

export function createV1Writer(config: InfluxV1Config): LineWriter {
  const url = new URL('/write', config.url);
  url.searchParams.set('db', config.database);
  if (config.retentionPolicy) url.searchParams.set('rp', config.retentionPolicy);
  url.searchParams.set('precision', 'ns');
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (config.username !== undefined) {
    headers.authorization = 'Basic ' + Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
  }
  const part = `influx v1 write ${url.origin}/write?db=${config.database}`;
  return async (lines, timeoutMs) => {
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { method: 'POST', headers, body: lines.join('\n'), signal: AbortSignal.timeout(timeoutMs) });
      body = await res.text();
    } catch (err) {
      return verdictForNetworkError(err, part);
    }
    return verdictForStatus(res.status, body, res.headers.get('retry-after'), part);
  };
}
