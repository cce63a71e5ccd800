// Decides, part by part, whether a running collector is healthy: what /healthz answers.
import type { HealthConfig } from '../config/schema.js';
import type { SinkHealth } from '../collectors/pipeline/sink-runner.js';

export interface PartHealth {
  ok: boolean;
  /** Why the part is unhealthy; absent when ok. */
  reason?: string;
  [detail: string]: unknown;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  parts: Record<string, PartHealth>;
}

/** What the running pipeline tells the health check; each getter reads live state. */
export interface HealthInputs {
  spool?: { unconsumedBytes: number; maxBytes: number; failure?: Error };
  sinks: SinkHealth[];
  /** One per collector: its configured listen addresses and the ones bound now (a closed socket is gone). */
  listeners: { collector: string; configured: readonly string[]; bound: readonly string[] }[];
  now: number;
}

const MiB = 1024 * 1024;
const mib = (n: number) => (n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

export function evaluateHealth(inputs: HealthInputs, config: HealthConfig): HealthReport {
  const parts: Record<string, PartHealth> = {};
  const { spool } = inputs;
  if (spool) {
    const ratio = spool.unconsumedBytes / spool.maxBytes;
    const detail = { unconsumedBytes: spool.unconsumedBytes, maxBytes: spool.maxBytes };
    if (spool.failure) {
      parts.spool = { ok: false, reason: `writes fail: ${spool.failure.message}`, ...detail };
    } else if (ratio >= config.spoolHighWater) {
      parts.spool = {
        ok: false,
        reason: `${(ratio * 100).toFixed(0)} % full (${mib(spool.unconsumedBytes)} of ${mib(spool.maxBytes)}, limit ${(config.spoolHighWater * 100).toFixed(0)} %): a store is not keeping up; at 100 % RADIUS stops acknowledging and NetFlow drops`,
        ...detail,
      };
    } else {
      parts.spool = { ok: true, ...detail };
    }
  }

  const maxLag = config.sinkMaxLag ?? (spool ? spool.maxBytes / 2 : Infinity);
  for (const s of inputs.sinks) {
    const failingMs = s.failingSince === undefined ? 0 : inputs.now - s.failingSince;
    const detail = { lagBytes: s.lagBytes, lastSuccess: s.lastSuccess === undefined ? null : new Date(s.lastSuccess).toISOString() };
    let reason: string | undefined;
    if (s.failingSince !== undefined && failingMs >= config.sinkFailingAfter) {
      reason = `writes failing for ${Math.round(failingMs / 1000)} s (limit ${config.sinkFailingAfter / 1000} s): ${s.lastError ?? 'unknown error'}`;
    } else if (s.lagBytes > maxLag) {
      reason = `${mib(s.lagBytes)} behind the spool (limit ${mib(maxLag)})`;
    }
    parts[`sink:${s.sink}`] = reason ? { ok: false, reason, ...detail } : { ok: true, ...detail };
  }

  for (const l of inputs.listeners) {
    const missing = l.configured.length - l.bound.length;
    parts[`listener:${l.collector}`] = missing > 0
      ? { ok: false, reason: `${missing} of ${l.configured.length} listen addresses not bound (configured ${l.configured.join(', ')}; bound ${l.bound.join(', ') || 'none'})`, bound: l.bound }
      : { ok: true, bound: l.bound };
  }

  const healthy = Object.values(parts).every((p) => p.ok);
  return { status: healthy ? 'ok' : 'unhealthy', parts };
}
