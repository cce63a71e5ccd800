// UsageStore over InfluxDB: one InfluxQL /query per call, read back losslessly (sums can exceed 2^53).
import type { Logger } from 'pino';
import type { InfluxConfig } from '../../config/schema.js';
import type { UsageAnswer, UsageQuery, UsageStore } from '../usage-store.js';
import { compareUsageTotals } from '../usage-order.js';
import { influxErrorText } from './write-result.js';
import { parseUsageAnswer, usageInfluxQL } from './influxql.js';

export class InfluxUsageStore implements UsageStore {
  readonly name = 'influx' as const;
  private readonly log: Logger;

  constructor(private readonly config: InfluxConfig, logger: Logger) {
    this.log = logger.child({ component: 'influx-usage-store', url: config.url });
  }

  /** v1: database (+ retention policy), basic auth when a username is set. v2/v3: DBRP database ?? bucket, token auth. */
  private target(): { database: string; retentionPolicy?: string; headers: Record<string, string> } {
    const c = this.config;
    if (c.version === 1) {
      const headers: Record<string, string> = {};
      if (c.username !== undefined) headers.authorization = 'Basic ' + Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64');
      return c.retentionPolicy ? { database: c.database, retentionPolicy: c.retentionPolicy, headers } : { database: c.database, headers };
    }
    return { database: c.database ?? c.bucket, headers: { authorization: `Token ${c.token}` } };
  }

  async queryUsage(q: UsageQuery): Promise<UsageAnswer> {
    const { database, retentionPolicy, headers } = this.target();
    const query = usageInfluxQL(q, retentionPolicy);
    const url = new URL('/query', this.config.url);
    url.searchParams.set('db', database);
    url.searchParams.set('epoch', 'ms');
    url.searchParams.set('q', query);
    const part = `influx query ${url.origin}/query?db=${database}`;
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, { headers: { ...headers, accept: 'application/json' }, signal: AbortSignal.timeout(this.config.timeout) });
      body = await res.text();
    } catch (err) {
      throw new Error(`${part}: no answer`, { cause: err });
    }
    if (!res.ok) throw new Error(`${part}: HTTP ${res.status}: ${influxErrorText(body)}`);
    let rows;
    try {
      rows = parseUsageAnswer(body, q);
    } catch (err) {
      throw new Error(`${part}: unreadable answer`, { cause: err });
    }
    rows.sort(compareUsageTotals);
    this.log.debug({ query, rows: rows.length }, 'usage query');
    return { rows, query };
  }

  async close(): Promise<void> {
    // Stateless: fetch keeps no connection that needs closing.
  }
}
