// Device health gauges (signal, CCQ, capacity, oper status, uptime, poll latency) to Influx, best effort, measurement device_health.
//
// Not usage: nothing is billed from these, so they skip the spool. Points wait in a bounded queue and are written
// in batches on a timer; when Influx is down or the queue is full they are dropped and counted, never retried
// forever. Tags are bounded by the inventory: device (a configured target), profile (a closed set) and entity
// (an interface, queue or station of that device, or "device") and tower (the target's, or "-").
import type { Logger } from 'pino';
import type { LineWriter } from '../../store/influx/v1-write.js';
import { escapeMeasurement, escapeTag } from '../../store/influx/line-protocol.js';
import type { SnmpMetrics } from './metrics.js';

export const HEALTH_MEASUREMENT = 'device_health';

export interface HealthPoint {
  device: string;
  /** The profile the entity belongs to, or "device" for per-target fields (poll latency, up). */
  profile: string;
  entity: string;
  /** The target's tower (config `tower`); "-" when it has none. */
  tower?: string;
  /** Field → value; written as floats so a field never changes type between points. */
  fields: Record<string, number>;
  /** Time of the poll, ms since the epoch. */
  at: number;
}

/** One point as a line of line protocol (ns timestamp). */
export function healthLine(p: HealthPoint): string | undefined {
  const fields = Object.entries(p.fields)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${escapeTag(k)}=${v}`);
  if (fields.length === 0) return undefined;
  return `${escapeMeasurement(HEALTH_MEASUREMENT)},device=${escapeTag(p.device)},entity=${escapeTag(p.entity || '-')},profile=${escapeTag(p.profile)},tower=${escapeTag(p.tower || '-')} ${fields.join(',')} ${BigInt(p.at) * 1_000_000n}`;
}

export interface HealthWriterOptions {
  write: LineWriter;
  metrics: SnmpMetrics;
  logger: Logger;
  flushIntervalMs?: number;
  maxQueue?: number;
  batchSize?: number;
  timeoutMs?: number;
}

export class HealthWriter {
  private queue: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastError = 0;

  constructor(private readonly opts: HealthWriterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 5_000);
    this.timer.unref();
  }

  add(points: readonly HealthPoint[]): void {
    const max = this.opts.maxQueue ?? 50_000;
    for (const p of points) {
      const line = healthLine(p);
      if (!line) continue;
      if (this.queue.length >= max) {
        this.opts.metrics.healthPoints.inc({ result: 'dropped' });
        continue;
      }
      this.queue.push(line);
    }
  }

  /** Writes what is queued, one batch after another; a failed batch is dropped and counted. */
  flush(): Promise<void> {
    this.flushing ??= this.flushQueue().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer and writes what is queued once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async flushQueue(): Promise<void> {
    const batchSize = this.opts.batchSize ?? 5_000;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, batchSize);
      const verdict = await this.opts.write(batch, this.opts.timeoutMs ?? 5_000);
      if (verdict.result.status === 'ok') {
        this.opts.metrics.healthPoints.inc({ result: 'written' }, batch.length);
        continue;
      }
      this.opts.metrics.healthPoints.inc({ result: 'dropped' }, batch.length + this.queue.length);
      this.queue = [];
      // One line a minute at most: dashboards lose gauges, billing loses nothing.
      const now = Date.now();
      if (now - this.lastError > 60_000) {
        this.lastError = now;
        this.opts.logger.warn({ points: batch.length, error: verdict.result.error.message }, 'snmp: device_health points dropped (Influx write failed; best effort)');
      }
      return;
    }
  }
}
