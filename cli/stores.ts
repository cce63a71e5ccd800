// Opens the stores a command reads, from the config: the embedded file under dataDir, or Influx.
import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { InfluxUsageStore } from '../store/influx/influx-usage-store.js';
import type { UsageStore } from '../store/usage-store.js';

/** The durable spool's folder in the data dir: the collector writes it, reconcile reads the collectors' state from it. */
export function spoolPath(config: Config): string {
  return join(config.dataDir, 'spool');
}

export function embeddedStorePath(config: Config): string | undefined {
  const embedded = config.stores.embedded;
  if (!embedded) return undefined;
  return isAbsolute(embedded.path) ? embedded.path : join(config.dataDir, embedded.path);
}

/**
 * Read workers for commands that read a whole period (rate, bill): SQLite answers the next customers on the other
 * cores while the engine rates. Two on a 2-core machine; more cores than four do not help one rating thread.
 */
export const PERIOD_READERS = Math.max(1, Math.min(4, availableParallelism()));

export function openUsageStore(config: Config, which: 'embedded' | 'influx', logger: Logger, options: { readers?: number } = {}): UsageStore {
  switch (which) {
    case 'embedded': {
      const path = embeddedStorePath(config);
      if (!path) throw new Error('the embedded store is turned off in this config (stores.embedded: false); use --store influx');
      return EmbeddedStore.open(path, logger, { readers: options.readers ?? 0 });
    }
    case 'influx': {
      if (!config.stores.influx) throw new Error('no stores.influx in the config: give --config with an influx section, or use --store embedded');
      return new InfluxUsageStore(config.stores.influx, logger);
    }
    default: {
      const never: never = which;
      throw new Error(`unknown store ${String(never)}`);
    }
  }
}
