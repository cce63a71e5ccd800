// `wispmeter config check FILE`: loads and validates the file, prints a summary or every error.
import { loadConfig } from '../config/load.js';

export function runConfigCheck(file: string): void {
  // ConfigError propagates to main, which prints its lines and exits 2.
  const config = loadConfig(file);
  const parts = [`dataDir ${config.dataDir}`];
  if (config.radius) parts.push(`radius on ${config.radius.listen.join(', ')} with ${config.radius.clients.length} client(s)`);
  if (config.snmp) parts.push(`snmp polling ${config.snmp.targets.length} target(s) every ${config.snmp.interval / 1000} s`);
  if (config.routeros) parts.push(`routeros polling ${config.routeros.devices.length} device(s) every ${config.routeros.interval / 1000} s`);
  parts.push(`stores: ${[config.stores.embedded ? 'embedded' : '', config.stores.influx ? `influx v${config.stores.influx.version}` : ''].filter(Boolean).join(', ') || 'none'}`);
  process.stdout.write(`${file}: ok (${parts.join('; ')})\n`);
}
