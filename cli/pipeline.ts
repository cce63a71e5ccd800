// Wires one running pipeline from a Config: spool → sink runners → stores, collectors in front, metrics beside.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { healthSchema, parseHostPort, type Config } from '../config/schema.js';
import { SinkRunner } from '../collectors/pipeline/sink-runner.js';
import type { Sink } from '../collectors/pipeline/sink.js';
import { Spool } from '../collectors/pipeline/spool.js';
import { NetflowCollector } from '../collectors/netflow/server.js';
import { RadiusCollector } from '../collectors/radius/server.js';
import { RouterosPoller } from '../collectors/routeros/poller.js';
import { SnmpPoller } from '../collectors/snmp/poller.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { registerEmbeddedStoreMetrics } from '../store/embedded/embedded-store-metrics.js';
import { createInfluxSink } from '../store/influx/influx-sink.js';
import { createV1Writer, type LineWriter } from '../store/influx/v1-write.js';
import { createV2Writer } from '../store/influx/v2-write.js';
import { registerInfluxSinkMetrics } from '../store/influx/influx-sink-metrics.js';
import { Daemon, type Unit } from './daemon.js';
import { DataDirLock } from './data-dir-lock.js';
import { evaluateHealth, type HealthInputs, type HealthReport } from './health.js';
import { MetricsServer } from './metrics-server.js';
import { embeddedStorePath, spoolPath } from './stores.js';

export interface PipelineOptions {
  /** How long stop() keeps delivering spooled records to the stores before it leaves the rest for next time. */
  drainTimeoutMs?: number;
  /** SNMP targets are polled only through `pipeline.snmp.pollNow()` (tests that step fixtures between polls). */
  snmpManual?: boolean;
  /** RouterOS devices are polled only through `pipeline.routeros.pollAll()` (tests that step a test router). */
  routerosManual?: boolean;
}

/**
 * Start order: data-dir lock, spool, stores and their runners, collectors, metrics. Stop runs in reverse:
 * collectors stop accepting first, runners drain what was acknowledged, then the spool checkpoints and closes.
 */
export class Pipeline {
  readonly registry = new Registry();
  private readonly daemon: Daemon;
  private spoolRef: Spool | undefined;
  private radiusRef: RadiusCollector | undefined;
  private netflowRef: NetflowCollector | undefined;
  private snmpRef: SnmpPoller | undefined;
  private routerosRef: RouterosPoller | undefined;
  private readonly runners: SinkRunner[] = [];
  private metricsRef: MetricsServer | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly opts: PipelineOptions = {},
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'wispmeter_process_' });
    this.daemon = new Daemon(this.units(), logger);
  }

  start(): Promise<void> {
    return this.daemon.start();
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }

  get radius(): RadiusCollector | undefined {
    return this.radiusRef;
  }

  get netflow(): NetflowCollector | undefined {
    return this.netflowRef;
  }

  get snmp(): SnmpPoller | undefined {
    return this.snmpRef;
  }

  get routeros(): RouterosPoller | undefined {
    return this.routerosRef;
  }

  get metricsAddress(): string | undefined {
    return this.metricsRef?.address();
  }

  /** True once every sink has everything that was in the spool when called. */
  async waitUntilCaughtUp(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(this.runners.map((r) => r.waitUntilCaughtUp(timeoutMs)));
    return results.every(Boolean);
  }

  /** What /healthz answers: the spool's fill, each store's failures and lag, each collector's sockets. */
  health(): HealthReport {
    const bound = (c: { addresses(): { address: string; port: number; family: string }[] } | undefined) => {
      try {
        return (c?.addresses() ?? []).map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
      } catch {
        return []; // a socket closed by an error has no address
      }
    };
    const { config } = this;
    const listeners: HealthInputs['listeners'] = [];
    if (config.radius) listeners.push({ collector: 'radius', configured: config.radius.listen, bound: bound(this.radiusRef) });
    if (config.netflow) listeners.push({ collector: 'netflow', configured: config.netflow.listen, bound: bound(this.netflowRef) });
    const spool = this.spoolRef;
    return evaluateHealth(
      {
        spool: spool && { unconsumedBytes: spool.unconsumedBytes, maxBytes: spool.maxBytes, failure: spool.failure },
        sinks: this.runners.map((r) => r.health()),
        listeners,
        now: Date.now(),
      },
      config.metrics.health ?? healthSchema.parse({}),
    );
  }

  private units(): Unit[] {
    const { config, logger } = this;
    const lock = new DataDirLock(config.dataDir);
    const sinks: Sink[] = [];
    let embedded: EmbeddedStore | undefined;
    const units: Unit[] = [
      {
        name: 'data-dir',
        start: async () => lock.acquire(),
        stop: async () => lock.release(),
      },
      {
        name: 'spool',
        start: async () => {
          this.spoolRef = await Spool.open(spoolPath(config), {
            maxBytes: config.spool.maxBytes,
            segmentBytes: config.spool.segmentBytes,
            logger,
            registry: this.registry,
          });
        },
        stop: async () => this.spoolRef?.close(),
      },
      {
        name: 'stores',
        start: async () => {
          const path = embeddedStorePath(config);
          if (path) {
            embedded = EmbeddedStore.open(path, logger);
            sinks.push(embedded.sink);
            registerEmbeddedStoreMetrics(this.registry, path);
          }
          if (config.stores.influx) {
            const influx = createInfluxSink(config.stores.influx, logger);
            registerInfluxSinkMetrics(this.registry, influx);
            sinks.push(influx);
          }
          if (sinks.length === 0) throw new Error('no store configured: enable stores.embedded or configure stores.influx');
          await this.forgetRemovedSinks(sinks.map((s) => s.name));
        },
        stop: async () => {
          for (const sink of sinks) await sink.close();
          await embedded?.close();
        },
      },
      {
        name: 'sink-runners',
        start: async () => {
          for (const sink of sinks) {
            const runner = new SinkRunner({
              spool: this.spool(),
              sink,
              logger,
              registry: this.registry,
              batchSize: config.stores.influx && sink.name === 'influx' ? config.stores.influx.batchSize : 5000,
              writeTimeoutMs: config.stores.influx && sink.name === 'influx' ? config.stores.influx.timeout : 10_000,
            });
            runner.start();
            this.runners.push(runner);
          }
        },
        stop: async () => {
          const drainTimeoutMs = this.opts.drainTimeoutMs ?? 10_000;
          await Promise.all(this.runners.map((r) => r.stop({ drainTimeoutMs })));
        },
      },
    ];
    if (config.radius) {
      const radiusConfig = config.radius;
      units.push({
        name: 'radius',
        start: async () => {
          this.radiusRef = new RadiusCollector({ config: radiusConfig, spool: this.spool(), logger, registry: this.registry });
          await this.radiusRef.start();
        },
        stop: async () => this.radiusRef?.stop(),
      });
    }
    if (config.netflow) {
      const netflowConfig = config.netflow;
      units.push({
        name: 'netflow',
        start: async () => {
          this.netflowRef = new NetflowCollector({
            config: netflowConfig,
            spool: this.spool(),
            logger,
            registry: this.registry,
            // Flows are attributed with the addresses RADIUS sessions hold at the flow's time.
            leases: () => this.radiusRef?.leases() ?? [],
            leaseVersion: () => this.radiusRef?.leaseVersion() ?? 0,
            // Beside the dead-letter files: what was kept out of usage, for a human to look at.
            quarantineDir: join(spoolPath(config), 'quarantine'),
          });
          await this.netflowRef.start();
        },
        stop: async () => this.netflowRef?.stop(),
      });
    }
    if (config.snmp) {
      const snmpConfig = config.snmp;
      units.push({
        name: 'snmp',
        start: async () => {
          this.snmpRef = new SnmpPoller({
            config: snmpConfig,
            spool: this.spool(),
            logger,
            registry: this.registry,
            healthWrite: snmpConfig.health.influx ? healthWriter(config) : undefined,
            manual: this.opts.snmpManual,
          });
          await this.snmpRef.start();
        },
        stop: async () => this.snmpRef?.stop(),
      });
    }
    if (config.routeros) {
      const routerosConfig = config.routeros;
      units.push({
        name: 'routeros',
        start: async () => {
          this.routerosRef = new RouterosPoller({ config: routerosConfig, spool: this.spool(), logger, registry: this.registry, schedule: !this.opts.routerosManual });
          await this.routerosRef.start();
        },
        stop: async () => this.routerosRef?.stop(),
      });
    }
    if (config.metrics.listen) {
      const { host, port } = parseHostPort(config.metrics.listen)!;
      units.push({
        name: 'metrics',
        start: async () => {
          this.metricsRef = new MetricsServer({ host, port, registry: this.registry, logger, health: () => this.health() });
          await this.metricsRef.start();
        },
        stop: async () => this.metricsRef?.stop(),
      });
    }
    return units;
  }

  private spool(): Spool {
    if (!this.spoolRef) throw new Error('spool is not open');
    return this.spoolRef;
  }

  /**
   * A sink taken out of the config would pin its spool offset forever, and the spool would fill to its cap and
   * stop RADIUS acknowledging. Its consumer is dropped, with a warning, so the spool can be reclaimed.
   */
  private async forgetRemovedSinks(names: string[]): Promise<void> {
    const spool = this.spool();
    for (const consumer of spool.consumerNames()) {
      if (names.includes(consumer)) continue;
      this.logger.child({ component: 'pipeline' }).warn({ consumer }, 'sink no longer configured: dropping its spool offset (its undelivered records will not be sent to it)');
      await spool.dropConsumer(consumer);
    }
  }
}

/** device_health gauges go to the configured Influx, if any (best effort, outside the spool). */
function healthWriter(config: Config): LineWriter | undefined {
  const influx = config.stores.influx;
  if (!influx) return undefined;
  return influx.version === 1 ? createV1Writer(influx) : createV2Writer(influx);
}
