// `wispmeter portal` (serve the customer usage portal) and `wispmeter portal link` (print a customer's signed link).
import type { Config } from '../config/schema.js';
import { customerLink } from '../portal/link.js';
import { PortalServer } from '../portal/server.js';
import { parseHostPort } from '../config/primitives.js';
import type { PortalConfig } from '../portal/config.js';
import { ledgerPath, loadCatalogFor } from './bill.js';
import { createLogger } from './logger.js';
import { FlagError, resolveConfig, type CommonFlags } from './options.js';
import { openUsageStore } from './stores.js';

export interface PortalFlags extends CommonFlags {
  listen?: string;
}

export interface PortalLinkFlags extends CommonFlags {
  customer: string;
  days?: string;
}

function portalConfig(config: Config, flags: CommonFlags): PortalConfig {
  if (!config.portal) {
    throw new FlagError('--config', `${flags.config ?? 'the config'} has no portal: section (expected at least portal.secret, 32 characters or more; see docs/portal.md)`);
  }
  return config.portal;
}

export async function runPortal(flags: PortalFlags): Promise<void> {
  const config = resolveConfig(flags);
  const portal = portalConfig(config, flags);
  const listen = flags.listen ?? portal.listen;
  const address = parseHostPort(listen);
  if (!address) throw new FlagError('--listen', `"${listen}" (expected HOST:PORT, e.g. 127.0.0.1:8080)`);
  const logger = createLogger(config.log).child({ component: 'portal' });
  const catalog = loadCatalogFor(config, {});
  const store = openUsageStore(config, 'embedded', logger);
  const server = new PortalServer({ ...address, secret: portal.secret, catalog, store, ledgerPath: ledgerPath(config), logger });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the portal');
    server.stop().then(() => store.close()).then(
      () => logger.flush(),
      (err: unknown) => {
        logger.error({ err }, 'portal stop failed');
        logger.flush();
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await server.start();
  const a = server.address();
  // One line on stdout for scripts and tests (the address only: never the secret or a link).
  process.stdout.write(`portal listening on http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}\n`);
}

export function runPortalLink(flags: PortalLinkFlags): void {
  const config = resolveConfig(flags);
  const portal = portalConfig(config, flags);
  const catalog = loadCatalogFor(config, {});
  if (!catalog.customers.some((c) => c.id === flags.customer)) throw new FlagError('--customer', `no customer ${JSON.stringify(flags.customer)} in ${config.catalog?.customers}`);
  let lifetimeMs = portal.linkLifetime;
  if (flags.days !== undefined) {
    const days = Number(flags.days);
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new FlagError('--days', `"${flags.days}" (expected whole days from 1 to 366)`);
    lifetimeMs = days * 86_400_000;
  }
  const exp = Math.floor((Date.now() + lifetimeMs) / 1000);
  const base = (portal.publicUrl ?? `http://${portal.listen}`).replace(/\/+$/, '');
  process.stdout.write(`${base}${customerLink(portal.secret, flags.customer, exp)}\n`);
  process.stderr.write(`valid until ${new Date(exp * 1000).toISOString()}\n`);
}
