// `wispmeter rate`: previews the rated fees of a billing period from the catalog and a usage store.
import { resolve } from 'node:path';
import { loadCatalog } from '../config/catalog-load.js';
import { formatRated, ratePeriod } from '../rating/index.js';
import { createLogger } from './logger.js';
import { FlagError, resolveConfig, type CommonFlags } from './options.js';
import { openUsageStore, PERIOD_READERS } from './stores.js';

export interface RateFlags extends CommonFlags {
  period: string;
  customer?: string[];
  store: 'embedded' | 'influx';
  format: 'table' | 'json';
  plans?: string;
  customers?: string;
}

export async function runRate(flags: RateFlags): Promise<void> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(flags.period)) throw new FlagError('--period', `not a billing period: "${flags.period}" (expected YYYY-MM, e.g. 2025-12)`);
  const config = resolveConfig(flags);
  const plans = flags.plans ? resolve(flags.plans) : config.catalog?.plans;
  const customers = flags.customers ? resolve(flags.customers) : config.catalog?.customers;
  if (!plans || !customers) {
    throw new FlagError('--plans', 'no catalog: give --plans FILE and --customers FILE, or catalog.plans and catalog.customers in the config');
  }
  // ConfigError (FILE:LINE KEY: …) propagates to main, which prints it like `config check`.
  const catalog = loadCatalog({ plans, customers });
  const logger = createLogger({ level: flags.logLevel ?? 'warn', pretty: config.log.pretty });
  const store = openUsageStore(config, flags.store, logger, { readers: PERIOD_READERS });
  try {
    const invoices = await ratePeriod(store, catalog, flags.period, {
      customerIds: flags.customer?.length ? flags.customer : undefined,
      // The embedded store answers per-customer queries from its index; Influx prefers few, grouped queries.
      read: flags.store === 'influx' ? 'grouped' : 'per-customer',
    });
    process.stdout.write(`${formatRated(invoices, flags.format)}\n`);
  } finally {
    await store.close();
  }
}
