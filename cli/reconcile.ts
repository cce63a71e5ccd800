// `wispmeter reconcile`: the revenue-assurance report of a period from the catalog, a usage store and the ledger.
import { existsSync, writeFileSync } from 'node:fs';
import { readSpoolState } from '../collectors/pipeline/spool-state-reader.js';
import { duration } from '../config/primitives.js';
import { Ledger } from '../billing-export/ledger/ledger.js';
import { reconcileCsv, reconcileHtml, reconcileTable } from '../reconcile/format.js';
import { reconcile } from '../reconcile/reconcile.js';
import { ledgerPath, loadCatalogFor, type CatalogFlags } from './bill.js';
import { createLogger } from './logger.js';
import { FlagError, resolveConfig } from './options.js';
import { openUsageStore, spoolPath } from './stores.js';

export interface ReconcileFlags extends CatalogFlags {
  period: string;
  threshold: string;
  staleAfter: string;
  topAddresses: string;
  store: 'embedded' | 'influx';
  format: 'table' | 'csv' | 'html';
  out?: string;
}

export async function runReconcile(flags: ReconcileFlags): Promise<void> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(flags.period)) throw new FlagError('--period', `not a billing period: "${flags.period}" (expected YYYY-MM, e.g. 2025-12)`);
  const thresholdPct = Number(flags.threshold);
  if (!/^\d+(\.\d+)?$/.test(flags.threshold) || !Number.isFinite(thresholdPct)) throw new FlagError('--threshold', `not a percentage: "${flags.threshold}" (expected e.g. 5 or 2.5)`);
  const staleAfter = duration.safeParse(flags.staleAfter);
  if (!staleAfter.success || staleAfter.data <= 0) throw new FlagError('--stale-after', `not a duration: "${flags.staleAfter}" (expected e.g. 30m, 1h or 2h)`);
  const top = Number(flags.topAddresses);
  if (!/^\d+$/.test(flags.topAddresses) || top > 1000) throw new FlagError('--top-addresses', `"${flags.topAddresses}" (expected a whole number up to 1000)`);
  const config = resolveConfig(flags);
  const catalog = loadCatalogFor(config, flags);
  const logger = createLogger({ level: flags.logLevel ?? 'warn', pretty: config.log.pretty });
  const store = openUsageStore(config, flags.store, logger);
  // The ledger is optional: without one (nothing billed yet) there are no invoices to check.
  const path = config.billing ? ledgerPath(config) : undefined;
  const ledger = path && existsSync(path) ? Ledger.open(path, { readOnly: true }) : undefined;
  try {
    // The collectors' state, read beside a running `wispmeter collect` without disturbing it (no lock, no writes).
    const spool = await readSpoolState(spoolPath(config));
    const report = await reconcile(store, catalog, {
      period: flags.period,
      thresholdPct,
      staleAfterMs: staleAfter.data,
      topAddresses: top,
      ...(spool ? { collectorState: spool.state } : {}),
      invoiceOf: ledger ? (id) => ledger.finalizedDocument(id, flags.period) : undefined,
    });
    const text = flags.format === 'csv' ? reconcileCsv(report) : flags.format === 'html' ? reconcileHtml(report) : `${reconcileTable(report)}\n`;
    if (flags.out) writeFileSync(flags.out, text);
    else process.stdout.write(text);
  } finally {
    ledger?.close();
    await store.close();
  }
}
