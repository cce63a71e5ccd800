// The NetFlow/IPFIX collector: UDP listeners → decoder → attribution → 1-minute buckets → spool, on a timer.
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Lease } from '../pipeline/lease.js';
import { SpoolFullError, type SpoolWriter, type StateChange } from '../pipeline/spool-types.js';
import type { UsageRecord } from '../pipeline/usage-record.js';
import { SubscriberMap } from './attribution.js';
import type { NetflowConfig } from './config.js';
import { DropLog } from '../pipeline/drop-log.js';
import { bindUdp } from '../pipeline/udp-listen.js';
import type { DecodeErrorReason } from './decode-error.js';
import { FlowAccounting, type ExporterInfo } from './flow-accounting.js';
import { FlowDecoder } from './flow-decoder.js';
import { createNetflowMetrics, NO_VERSION, type DropReason, type ExporterTraffic, type NetflowMetrics } from './metrics.js';
import { PrefixTable } from './prefix-table.js';
import type { BoundAddress } from './receive-protocol.js';
import { ReceiveThread } from './receive-thread.js';
import { TotalCounters } from './total-counters.js';
import { TrafficClassifier } from './traffic-class.js';
import { UNATTRIBUTED_SCOPE, UnattributedAddresses } from './unattributed-addresses.js';
import { UsageAggregator } from './usage-aggregator.js';
import { FlowQuarantine } from './quarantine.js';

/** Spool state scope and key under which the template cache survives restarts. */
export const STATE_SCOPE = 'netflow';
export const TEMPLATES_KEY = 'templates';
/** Usage records kept for a retry while the spool refuses appends (about 20 MB). */
const MAX_PENDING_RECORDS = 100_000;

export interface NetflowCollectorOptions {
  config: NetflowConfig;
  spool: SpoolWriter;
  logger: Logger;
  registry: Registry;
  /** RADIUS leases (RadiusCollector.leases()); re-read on every flush tick, and at once when leaseVersion changes. */
  leases?: () => Lease[];
  /**
   * RadiusCollector.leaseVersion(): checked per datagram, so a session that starts or stops is in the address map
   * for the very next flow, not up to a flush interval later.
   */
  leaseVersion?: () => number;
  now?: () => number;
  /** Where quarantined flows are written (netflow.jsonl); the daemon passes <spool dir>/quarantine. Unset: counted and logged only. */
  quarantineDir?: string;
  /** How often buckets are flushed, held sets expired and templates persisted. */
  flushIntervalMs?: number;
}

interface Running {
  log: Logger;
  decoder: FlowDecoder;
  accounting: FlowAccounting;
  aggregator: UsageAggregator;
  unattributed: UnattributedAddresses;
  quarantine: FlowQuarantine;
  exporters: PrefixTable<ExporterInfo>;
  subscribers: SubscriberMap;
  /** The leaseVersion `subscribers` was built at. */
  leaseVersion: number;
  metrics: NetflowMetrics;
  /** Datagrams by version and flows, per exporter name; read by the metrics when scraped. */
  traffic: Map<string, ExporterTraffic>;
  drops: DropLog<DropReason | DecodeErrorReason>;
  /** netflow.receiveThread false: the sockets, read on this thread. */
  sockets: Socket[];
  /** netflow.receiveThread true: the worker thread that owns the sockets. */
  receiver: ReceiveThread | undefined;
  bound: BoundAddress[];
  /** Set once receiving has ended and everything received was handled: later datagrams are shutting_down drops. */
  closed: boolean;
  pending: UsageRecord[];
  persistedTemplates: string;
  timer: NodeJS.Timeout;
  flushing: Promise<void> | undefined;
}

export class NetflowCollector {
  private running: Running | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: NetflowCollectorOptions) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('netflow: already started');
    const { config, registry } = this.opts;
    const log = this.opts.logger.child({ component: 'netflow' });
    const decoder = new FlowDecoder({ maxTemplates: config.templates.maxTemplates, maxTemplatesPerExporter: config.templates.maxTemplatesPerExporter, hold: { holdMs: config.templates.holdTime, maxSetsPerTemplate: config.templates.maxSetsPerTemplate, maxBytes: config.templates.maxBytes } });
    const saved = this.opts.spool.state(STATE_SCOPE).get(TEMPLATES_KEY);
    if (saved !== undefined) {
      const skipped = decoder.restore(saved);
      if (skipped) log.warn({ skipped }, 'netflow: ignored saved template entries of the wrong shape');
    }
    const exporters = new PrefixTable<ExporterInfo>();
    for (const e of config.exporters) exporters.add(e.address, e.samplingInterval === undefined ? { name: e.name } : { name: e.name, samplingInterval: e.samplingInterval });
    /** The decoder keys state by source address; metrics are by exporter name, as the traffic counters are. */
    const exporterName = (address: string): string => (config.exporters.length ? exporters.lookup(address)?.value.name ?? address : address);
    const aggregator = new UsageAggregator({ bucketMs: config.bucket, maxOpenKeys: 100_000, runId: this.now() });
    const unattributed = new UnattributedAddresses();
    const quarantine = new FlowQuarantine({ ...config.quarantine, minDurationMs: config.quarantine.minDuration, dir: this.opts.quarantineDir, registry, exporters: config.exporters.map((e) => e.name) });
    const skippedDays = unattributed.restore(this.opts.spool.state(UNATTRIBUTED_SCOPE));
    if (skippedDays) log.warn({ skipped: skippedDays }, 'netflow: ignored saved unattributed-address entries of the wrong shape');
    let sockets: Socket[] = [];
    let receiver: ReceiveThread | undefined;
    let bound: BoundAddress[];
    if (config.receiveThread) {
      // Datagrams wait in the ring until deliver(), below, once `r` exists.
      receiver = new ReceiveThread({
        listen: config.listen, receiveBuffer: config.receiveBuffer, method: config.receiveMethod, queueBytes: config.receiveQueue, log,
        visit: (msg, address, port) => this.handle(r, msg, address, port),
        onDropped: (datagrams) => {
          r.metrics.dropped.inc({ reason: 'receive_queue_full' }, datagrams);
          r.drops.drop('receive_queue_full', { source: '(receive thread)', detail: `${datagrams} datagrams: the receive queue was full while stopping` });
        },
        onWaited: (datagrams) => r.metrics.receiveQueueWaits.inc(datagrams),
        onFailure: () => r.metrics.receiveThreadFailures.inc(),
      });
      bound = await receiver.start();
    } else {
      sockets = await bindUdp(config.listen, { component: 'netflow', receiveBuffer: config.receiveBuffer, warnWhenCapped: true, log });
      bound = sockets.map((s) => {
        const a = s.address();
        return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
      });
    }
    const ports = bound.map((b) => b.port);
    const r: Running = {
      log, decoder, aggregator, unattributed, quarantine, exporters,
      subscribers: this.buildSubscribers(),
      leaseVersion: this.opts.leaseVersion?.() ?? 0,
      accounting: new FlowAccounting({ subscribers: () => r.subscribers, classifier: new TrafficClassifier(config.classes), totals: new TotalCounters(), aggregator, unattributed, quarantine }),
      metrics: createNetflowMetrics(registry, () => ({
        heldSets: decoder.held.sets, templates: decoder.cache.size, ports, traffic: r.traffic, octets: r.accounting.octets,
        templateEvictions: byExporterName(decoder.cache.evictions, exporterName), templateRefusals: byExporterName(decoder.cache.refusals, exporterName),
      }), config.exporters.map((e) => e.name)),
      traffic: new Map(),
      drops: new DropLog<DropReason | DecodeErrorReason>(log, 'netflow drop', 10_000, () => this.now()),
      sockets, receiver, bound,
      closed: false,
      pending: [],
      persistedTemplates: JSON.stringify(decoder.snapshot()),
      timer: setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 5000),
      flushing: undefined,
    };
    r.timer.unref();
    for (const s of sockets) s.on('message', (msg, rinfo) => this.handle(r, msg, rinfo.address, rinfo.port));
    this.running = r;
    receiver?.deliver();
    log.info({ addresses: this.addresses(), exporters: config.exporters.map((e) => e.name), templates: decoder.cache.size }, 'netflow: listening');
  }

  /** Bound addresses while running; empty after stop() (a closed socket has no address). */
  addresses(): { address: string; port: number; family: 'IPv4' | 'IPv6' }[] {
    if (this.stopping) return [];
    return (this.running?.receiver?.addresses() ?? this.running?.bound ?? []).map((b) => ({ ...b }));
  }

  /** Appends finished buckets, expires held sets and persists changed templates; runs on the timer, public for tests. */
  flush(all = false): Promise<void> {
    const r = this.running;
    if (!r) return Promise.resolve();
    // One flush at a time: appends stay in order and a slow fsync does not pile up timers. A failed flush is
    // logged, never left as an unhandled rejection (that would end the daemon).
    const run = (r.flushing ?? Promise.resolve())
      .then(() => this.flushOnce(r, all))
      .catch((err: unknown) => r.log.error({ err }, 'netflow: flush failed'));
    r.flushing = run;
    return run;
  }

  /** Stops receiving, flushes every open bucket and the templates, closes sockets. Runs once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const r = this.running;
    if (!r) return;
    clearInterval(r.timer);
    // Whatever the sockets took before they closed is decoded (the receive thread's queue is drained), then flushed.
    await Promise.all(r.sockets.map((s) => new Promise<void>((done) => s.close(() => done()))));
    await r.receiver?.stop();
    r.closed = true;
    await this.flush(true);
    r.drops.flush();
    r.log.info({ held: r.decoder.held }, 'netflow: stopped');
  }

  /** The sockets' message handler: one datagram from `rinfo`; public for the hot-path bench (bench/netflow). */
  receive(msg: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>): void {
    if (this.running) this.handle(this.running, msg, rinfo.address, rinfo.port);
  }

  /** One datagram from the sockets (or the receive thread's queue): `msg` is only valid during the call. */
  private handle(r: Running, msg: Buffer, source: string, sourcePort: number): void {
    try {
      if (r.closed) return this.drop(r, 'shutting_down', { source: sourceOf(source, sourcePort) });
      const address = source.startsWith('::ffff:') ? source.slice(7) : source;
      const exporter = this.opts.config.exporters.length ? r.exporters.lookup(address)?.value : { name: address };
      if (!exporter) return this.drop(r, 'unknown_exporter', { source: sourceOf(source, sourcePort) });
      const leaseVersion = this.opts.leaseVersion?.();
      if (leaseVersion !== undefined && leaseVersion !== r.leaseVersion) {
        r.subscribers = this.buildSubscribers();
        r.leaseVersion = leaseVersion;
      }
      // Each flow goes to the accounting as it is decoded, in one reused record (FlowVisitor): no object per flow.
      const out = r.decoder.visit(msg, address, this.now(), {
        flow: (f) => {
          const early = r.accounting.add(f, exporter);
          if (early.length) r.pending.push(...early);
        },
      });
      // Plain numbers per datagram, handed to prom-client when it is scraped (metrics.ts): a labelled inc() hashes
      // its labels on every call.
      let traffic = r.traffic.get(exporter.name);
      if (!traffic) r.traffic.set(exporter.name, (traffic = { packets: new Map(), flows: 0, fallbacks: new Map() }));
      const version = msg.length >= 2 ? msg.readUInt16BE(0) : NO_VERSION;
      traffic.packets.set(version, (traffic.packets.get(version) ?? 0) + 1);
      traffic.flows += out.flows;
      for (const fb of out.fallbacks) traffic.fallbacks.set(fb, (traffic.fallbacks.get(fb) ?? 0) + 1);
      for (const e of out.errors) {
        r.metrics.decodeErrors.inc({ reason: e });
        r.drops.drop(e, { source: sourceOf(source, sourcePort), exporter: exporter.name });
      }
    } catch (err) {
      r.metrics.decodeErrors.inc({ reason: 'internal_error' });
      r.drops.drop('internal_error', { source: sourceOf(source, sourcePort), detail: err instanceof Error ? err.message : String(err) });
    }
  }

  private async flushOnce(r: Running, all: boolean): Promise<void> {
    const now = this.now();
    const expired = r.decoder.expire(now);
    if (expired) {
      r.metrics.decodeErrors.inc({ reason: 'no_template' }, expired);
      r.drops.drop('no_template', { source: '(hold queue)', detail: `${expired} data sets whose template never came` });
    }
    await this.writeQuarantine(r);
    r.subscribers = this.buildSubscribers();
    if (this.opts.leaseVersion) r.leaseVersion = this.opts.leaseVersion();
    const records = r.pending.splice(0).concat(r.aggregator.flush(all ? Number.POSITIVE_INFINITY : now, 5000));
    const snapshot = r.decoder.snapshot();
    const text = JSON.stringify(snapshot);
    const state: StateChange[] = text === r.persistedTemplates ? [] : [{ scope: STATE_SCOPE, key: TEMPLATES_KEY, value: snapshot }];
    state.push(...r.unattributed.changes(now, all));
    if (!records.length && !state.length) return;
    try {
      await this.opts.spool.append({ records, state });
      r.persistedTemplates = text;
      r.metrics.records.inc(records.length);
    } catch (err) {
      const reason: DropReason = err instanceof SpoolFullError ? 'spool_full' : 'spool_error';
      r.metrics.dropped.inc({ reason });
      // The templates are compared again next tick; the address lists have to be told.
      r.unattributed.unwritten(state);
      // Retried on the next tick while the backlog is bounded. NetFlow cannot ask the exporter to resend, so
      // past the bound the loss is counted and logged, never silent.
      if (!all && r.pending.length + records.length <= MAX_PENDING_RECORDS) {
        r.pending.unshift(...records);
        r.log.warn({ err, records: records.length }, `netflow: spool refused usage records (${reason}); retrying`);
        return;
      }
      r.metrics.droppedRecords.inc(records.length);
      r.log.error({ err, records: records.length }, `netflow: usage records dropped (${reason})`);
    }
  }

  /** Writes the flows quarantined since the last flush to their file, and logs them (one line per flush). */
  private async writeQuarantine(r: Running): Promise<void> {
    try {
      const flows = await r.quarantine.write();
      if (flows.length) r.log.warn({ flows: flows.length, first: flows[0], file: r.quarantine.path }, 'netflow: implausible flows quarantined (not in usage)');
    } catch (err) {
      r.log.error({ err }, 'netflow: quarantined flows could not be written (they are counted in wispmeter_netflow_quarantine_unkept_total)');
    }
  }

  private buildSubscribers(): SubscriberMap {
    return new SubscriberMap(this.opts.config.static, this.opts.leases?.() ?? []);
  }

  private drop(r: Running, reason: DropReason, ctx: { source: string; exporter?: string }): void {
    r.metrics.dropped.inc({ reason });
    r.drops.drop(reason, ctx);
  }
}

const sourceOf = (address: string, port: number): string => `${address}:${port}`;

/** Counts by exporter address summed by exporter name (a name may cover a prefix of addresses). */
function byExporterName(counts: ReadonlyMap<string, number>, name: (address: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [address, n] of counts) out.set(name(address), (out.get(name(address)) ?? 0) + n);
  return out;
}

