// `wispmeter usage`: per-subscriber totals for [from, to) from the embedded store or Influx.
import { existsSync } from 'node:fs';
import type { UsageSource } from '../collectors/pipeline/usage-record.js';
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
  source?: string[];
  by: 'subscriber' | 'class';
  format: 'table' | 'json';
}

const SOURCES: readonly UsageSource[] = ['radius', 'netflow', 'snmp', 'routeros'];

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
    const answer = await store.queryUsage({ from, to, subscriber: flags.subscriber, step: flags.step, sources: parseSources(flags.source), byClass: flags.by === 'class' });
    const shape = { stepped: flags.step !== undefined, byClass: flags.by === 'class' };
    process.stdout.write(flags.format === 'json' ? usageJson(answer.rows, shape) : usageTable(answer.rows, shape));
  } finally {
    await store.close();
  }
}

function parseSources(values: string[] | undefined): UsageSource[] | undefined {
  if (!values?.length) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const n of names) {
    if (!SOURCES.includes(n as UsageSource)) throw new FlagError('--source', `unknown source "${n}" (expected one of ${SOURCES.join(', ')})`);
  }
  return names as UsageSource[];
}

/** ISO 8601 with an explicit zone, or a bare date (taken as UTC midnight). */
export function parseInstant(value: string, flag: string): number {
  const bareDate = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = bareDate ? Date.parse(`${value}T00:00:00Z`) : zoned ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new FlagError(flag, `not an ISO 8601 instant: "${value}" (expected e.g. 2025-12-01 or 2025-12-01T00:00:00Z)`);
  return ms;
}
