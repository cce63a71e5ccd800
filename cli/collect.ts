// `wispmeter collect`: runs the configured collectors until SIGTERM/SIGINT, then stops, flushes and exits 0.
import { createLogger } from './logger.js';
import { resolveConfig, type CollectFlags } from './options.js';
import { Pipeline } from './pipeline.js';

export async function runCollect(flags: CollectFlags): Promise<void> {
  const config = resolveConfig(flags);
  if ((!config.radius || config.radius.clients.length === 0) && !config.netflow && !config.snmp?.targets.length && !config.routeros?.devices.length) {
    throw new Error('nothing to collect: add radius.clients, a netflow section, snmp.targets or routeros.devices to the config, or give --radius-client CIDR=SECRET or --netflow-listen HOST:PORT');
  }
  const logger = createLogger(config.log);
  const pipeline = new Pipeline(config, logger);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without waiting for the stores (the spool keeps everything acknowledged)');
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal }, 'stopping: no new requests, flushing the stores');
    pipeline.stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        logger.flush();
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await pipeline.start();
  const show = (a: { address: string; port: number; family: string }) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
  logger.info(
    { dataDir: config.dataDir, radius: pipeline.radius?.addresses().map(show), netflow: pipeline.netflow?.addresses().map(show), metrics: pipeline.metricsAddress, clients: config.radius?.clients.map((c) => c.name), snmpTargets: config.snmp?.targets.length },
    'wispmeter collecting',
  );
}
