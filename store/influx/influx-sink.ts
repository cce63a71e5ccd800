// The 'influx' sink: a batch of records → one line-protocol write (v1 /write or v2 /api/v2/write by config).
import type { Logger } from 'pino';
import type { InfluxConfig } from '../../config/schema.js';
import type { Sink, SinkResult } from '../../collectors/pipeline/sink.js';
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';
import { toLine } from './line-protocol.js';
import { createV1Writer, type LineWriter } from './v1-write.js';
import { createV2Writer } from './v2-write.js';

export interface InfluxSinkOptions {
  /** Write the RADIUS session as a string field (default true). Never a tag. */
  sessionField?: boolean;
  /**
   * Distinct subscriber tag values this process expects at most (default 100 000, InfluxDB 1.x's
   * max-values-per-tag). Past it the sink warns and counts, and still writes: nothing is dropped here.
   */
  maxSubscribers?: number;
}

export interface InfluxSinkStats {
  /** Distinct subscribers seen, up to maxSubscribers. */
  subscribers: number;
  /** Records whose subscriber was new after maxSubscribers was reached. */
  subscriberOverflow: number;
}

export interface InfluxSink extends Sink {
  readonly name: 'influx';
  stats(): InfluxSinkStats;
}

/** Creates the sink; it opens no connection until the first write. */
export function createInfluxSink(config: InfluxConfig, logger: Logger, options: InfluxSinkOptions = {}): InfluxSink {
  const log = logger.child({ component: 'influx-sink', url: config.url, version: config.version });
  const writer: LineWriter = config.version === 1 ? createV1Writer(config) : createV2Writer(config);
  const sessionField = options.sessionField ?? true;
  const maxSubscribers = options.maxSubscribers ?? 100_000;
  const subscribers = new Set<string>();
  let subscriberOverflow = 0;
  let closed = false;

  const noteSubscriber = (subscriber: string): void => {
    if (subscribers.has(subscriber)) return;
    if (subscribers.size < maxSubscribers) {
      subscribers.add(subscriber);
      return;
    }
    subscriberOverflow++;
    if (subscriberOverflow === 1 || subscriberOverflow % 10_000 === 0) {
      log.warn({ maxSubscribers, subscriberOverflow }, 'more distinct subscriber tags than maxSubscribers: check the identity rules (series cardinality)');
    }
  };

  const send = async (lines: readonly string[], timeoutMs: number): Promise<SinkResult> => {
    const verdict = await writer(lines, timeoutMs);
    if (verdict.tooLarge && lines.length > 1) {
      // 413: the server's body limit is below this batch; halves are written separately (idempotent anyway).
      log.warn({ lines: lines.length }, 'influx write too large (413): splitting the batch; lower batchSize');
      const mid = Math.ceil(lines.length / 2);
      const first = await send(lines.slice(0, mid), timeoutMs);
      return first.status === 'ok' ? await send(lines.slice(mid), timeoutMs) : first;
    }
    const { result } = verdict;
    if (result.status === 'failed') log.error({ err: result.error, lines: lines.length }, 'influx rejected points: batch goes to the dead-letter file');
    else if (verdict.operatorError && result.status === 'retryable') log.error({ err: result.error }, 'influx write refused: fix the influx config (url, database/bucket, credentials); retrying');
    else if (result.status === 'retryable') log.warn({ err: result.error, retryAfterMs: result.retryAfterMs }, 'influx write failed; will retry');
    return result;
  };

  return {
    name: 'influx',
    async write(batch: readonly UsageRecord[], timeoutMs: number): Promise<SinkResult> {
      if (closed) return { status: 'failed', error: new Error('influx sink: write after close') };
      if (batch.length === 0) return { status: 'ok' };
      const lines: string[] = [];
      for (const record of batch) {
        try {
          lines.push(toLine(record, { sessionField }));
        } catch (err) {
          // A byte count outside int64 is a collector bug; retrying cannot fix it.
          return { status: 'failed', error: new Error(`influx sink: cannot encode record ${record.id}`, { cause: err }) };
        }
        noteSubscriber(record.subscriber);
      }
      // One request per config.batchSize points; a failed chunk stops the batch (what was written is idempotent).
      const requestTimeout = Math.min(timeoutMs, config.timeout);
      for (let i = 0; i < lines.length; i += config.batchSize) {
        const result = await send(lines.slice(i, i + config.batchSize), requestTimeout);
        if (result.status !== 'ok') return result;
      }
      return { status: 'ok' };
    },
    async close(): Promise<void> {
      closed = true;
    },
    stats: () => ({ subscribers: subscribers.size, subscriberOverflow }),
  };
}
