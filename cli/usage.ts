// `wispmeter usage`: per-subscriber totals for [from, to) from the embedded store or Influx.
import { existsSync } from 'node:fs';
import type { Step } from '../store/usage-store.js';
import { createLogger } from './logger.js';
import { FlagError, resolveConfig, type CommonFlags } from './options.js';
import { embeddedStorePath, openUsageStore } from './stores.js';
import { usageJson, usageTable } from './usage-format.js';

export interface UsageFlags extends CommonFlags {
  from: string;
  to: string;
  subscriber?: string;
  store: 'embedded' | 'influx';
  step?: Step;
  format: 'table' | 'json';
}

export async function runUsage(flags: UsageFlags): Promise<void> {
  const config = resolveConfig(flags);
  const logger = createLogger({ level: flags.logLevel ?? 'warn', pretty: config.log.pretty });
  const from = parseInstant(flags.from, '--from');
  const to = parseInstant(flags.to, '--to');
  if (to <= from) throw new FlagError('--to', `must be after --from (got ${flags.from} .. ${flags.to})`);
  if (flags.store === 'embedded') {
    const path = embeddedStorePath(config);
    // Opening would create an empty store; a typo in --data-dir should say so instead of printing nothing.
    if (path && !existsSync(path)) throw new Error(`no embedded store at ${path} (check --data-dir or dataDir)`);
  }
  const store = openUsageStore(config, flags.store, logger);
  try {
    const answer = await store.queryUsage({ from, to, subscriber: flags.subscriber, step: flags.step });
    const stepped = flags.step !== undefined;
    process.stdout.write(flags.format === 'json' ? usageJson(answer.rows, stepped) : usageTable(answer.rows, stepped));
  } finally {
    await store.close();
  }
}

/** ISO 8601 with an explicit zone, or a bare date (taken as UTC midnight). */
export function parseInstant(value: string, flag: string): number {
  const bareDate = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = bareDate ? Date.parse(`${value}T00:00:00Z`) : zoned ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new FlagError(flag, `not an ISO 8601 instant: "${value}" (expected e.g. 2025-12-01 or 2025-12-01T00:00:00Z)`);
  return ms;
}
