// The RADIUS accounting collector: UDP listeners, authentication, duplicates, sessions → spool → Accounting-Response.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { parseHostPort, type RadiusConfig } from '../../config/schema.js';
import type { Lease } from '../pipeline/lease.js';
import { SpoolFullError, type SpoolWriter } from '../pipeline/spool-types.js';
import { normalizeAccounting, type AccountingEvent } from './accounting-event.js';
import { verifyAccountingRequest, verifyStatusServer } from './authenticator.js';
import { ClientTable, type NasClient } from './clients.js';
import { decodePacket, type RadiusPacket } from './decode.js';
import { defaultDictionary, type Dictionary } from './dictionary.js';
import { DropLog } from '../pipeline/drop-log.js';
import { bindUdp } from '../pipeline/udp-listen.js';
import { DuplicateCache } from './duplicate-cache.js';
import { buildAccountingResponse, buildStatusServerResponse, CODE_ACCOUNTING_REQUEST, CODE_STATUS_SERVER } from './encode.js';
import { KeyedLock } from './keyed-lock.js';
import { createRadiusMetrics, type DropReason, type RadiusMetrics } from './metrics.js';
import { sessionKey, STATE_SCOPE } from './session-state.js';
import { SessionTable, type SessionPlan } from './sessions.js';

export interface RadiusCollectorOptions {
  config: RadiusConfig;
  spool: SpoolWriter;
  logger: Logger;
  registry: Registry;
  /** Wall clock in ms; tests pass a fake one. */
  now?: () => number;
  dictionary?: Dictionary;
}

export interface BoundAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** What start() builds; the constructor only assigns. */
interface Running {
  log: Logger;
  dict: Dictionary;
  clients: ClientTable;
  sessions: SessionTable;
  duplicates: DuplicateCache;
  locks: KeyedLock;
  metrics: RadiusMetrics;
  drops: DropLog<DropReason>;
  sockets: Socket[];
  inFlight: Set<Promise<void>>;
  sweepTimer: NodeJS.Timeout;
}

export class RadiusCollector {
  private running: Running | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: RadiusCollectorOptions) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('radius: already started');
    const { config, registry } = this.opts;
    const log = this.opts.logger.child({ component: 'radius' });
    const sessions = new SessionTable(config);
    const skipped = sessions.load(this.opts.spool.state(STATE_SCOPE));
    if (skipped) log.warn({ skipped }, 'radius: ignored spool state entries that are not sessions');
    // 4 MiB: the burst of accounting after a NAS reboot; a smaller grant only means NAS retries, so no warning.
    const sockets = await bindUdp(config.listen, { component: 'radius', receiveBuffer: 4 * 1024 * 1024, warnWhenCapped: false, log });
    const r: Running = {
      log,
      dict: this.opts.dictionary ?? defaultDictionary(),
      clients: new ClientTable(config.clients),
      sessions,
      duplicates: new DuplicateCache(config.duplicateWindow),
      locks: new KeyedLock(),
      metrics: createRadiusMetrics(registry, () => sessions.openCounts(), config.clients.map((c) => c.name)),
      drops: new DropLog<DropReason>(log, 'radius packet dropped', 10_000, () => this.now()),
      sockets,
      inFlight: new Set(),
      sweepTimer: setInterval(() => void this.sweep(), sweepInterval(config)),
    };
    r.sweepTimer.unref();
    for (const s of sockets) s.on('message', (msg, rinfo) => this.onMessage(r, s, msg, rinfo));
    this.running = r;
    log.info({ addresses: this.addresses(), clients: config.clients.map((c) => c.name), sessions: sessions.openCounts().size }, 'radius: listening');
  }

  addresses(): BoundAddress[] {
    return (this.running?.sockets ?? []).map((s) => {
      const a = s.address();
      return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    });
  }

  /** Current and recently closed IP leases, for the NetFlow collector's subscriber lookup. */
  leases(): Lease[] {
    return this.running?.sessions.leases() ?? [];
  }

  /** Changes whenever leases() would answer differently: readers rebuild their address maps only then. */
  leaseVersion(): number {
    return this.running?.sessions.leaseVersion ?? 0;
  }

  /** Stops accepting, waits for in-flight appends (their responses still go out), closes sockets. Runs once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const r = this.running;
    if (!r) return;
    clearInterval(r.sweepTimer);
    while (r.inFlight.size) await Promise.allSettled([...r.inFlight]);
    await Promise.all(r.sockets.map((s) => new Promise<void>((done) => s.close(() => done()))));
    r.drops.flush();
    r.log.info('radius: stopped');
  }

  /** Closes stale sessions and forgets expired closed ones; runs on a timer, public for tests. */
  async sweep(): Promise<void> {
    const r = this.running;
    if (!r || this.stopping) return;
    const keys = r.sessions.planSweep(this.now()).keys;
    if (!keys.length) return;
    const work = r.locks.run(keys, async () => {
      const plan = r.sessions.planSweep(this.now(), new Set(keys));
      await this.persist(r, plan, '(sweep)');
    }).catch((err: unknown) => r.log.warn({ err }, 'radius: session sweep not persisted; retrying next sweep'));
    await this.track(r, work);
  }

  private onMessage(r: Running, socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    const started = process.hrtime.bigint();
    const source = `${rinfo.address}:${rinfo.port}`;
    try {
      if (this.stopping) return this.drop(r, 'shutting_down', { source });
      const client = r.clients.lookup(rinfo.address);
      if (!client) return this.drop(r, 'unknown_client', { source });
      const decoded = decodePacket(msg, r.dict);
      if (!decoded.ok) return this.drop(r, decoded.reason, { source, nas: client.name, detail: decoded.detail });
      const p = decoded.packet;
      if (p.code === CODE_STATUS_SERVER) return this.answerStatusServer(r, socket, client, p, rinfo);
      if (p.code !== CODE_ACCOUNTING_REQUEST) return this.drop(r, 'bad_code', { source, nas: client.name, detail: `code ${p.code}` });
      const auth = verifyAccountingRequest(p.raw, client.secret);
      if (auth !== 'ok') return this.drop(r, auth, { source, nas: client.name });

      const arrival = this.now();
      const dupKey = DuplicateCache.key(rinfo.address, rinfo.port, p.identifier, p.authenticator);
      const dup = r.duplicates.check(dupKey, arrival);
      if (dup.kind === 'in_flight') {
        r.metrics.duplicates.inc({ nas: client.name, outcome: 'in_flight' });
        return;
      }
      if (dup.kind === 'answered') {
        r.metrics.duplicates.inc({ nas: client.name, outcome: 'cached' });
        r.metrics.responses.inc({ nas: client.name });
        void this.track(r, this.send(r, socket, dup.response, rinfo, client));
        return;
      }

      const norm = normalizeAccounting(p, arrival, this.opts.config.identity);
      if (norm.kind === 'malformed') {
        r.duplicates.forget(dupKey);
        return this.drop(r, norm.reason, { source, nas: client.name, detail: norm.detail });
      }
      const status = norm.kind === 'event' ? norm.event.status : 'other';
      r.metrics.requests.inc({ nas: client.name, status });
      const work = (norm.kind === 'event' ? this.process(r, client, norm.event) : Promise.resolve())
        .then(() => {
          const response = buildAccountingResponse(p, client.secret);
          r.duplicates.answered(dupKey, response, this.now());
          r.metrics.latency.observe({ status }, Number(process.hrtime.bigint() - started) / 1e9);
          r.metrics.responses.inc({ nas: client.name });
          return this.send(r, socket, response, rinfo, client);
        })
        .catch((err: unknown) => {
          // No response: the NAS retries, and the retry is processed afresh because nothing was committed.
          r.duplicates.forget(dupKey);
          const reason: DropReason = err instanceof SpoolFullError ? 'spool_full' : isSpoolError(err) ? 'spool_error' : 'internal_error';
          this.drop(r, reason, { source, nas: client.name, detail: err instanceof Error ? err.message : String(err) });
        });
      void this.track(r, work);
    } catch (err) {
      this.drop(r, 'internal_error', { source, detail: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * RFC 5997: a Status-Server on the accounting port gets an Accounting-Response, so NOC checks and NAS failover
   * logic see the collector alive. It touches neither sessions nor the spool, so it bypasses the duplicate
   * cache: the response is a pure function of the request and the secret, and a retransmit gets the same bytes.
   */
  private answerStatusServer(r: Running, socket: Socket, client: NasClient, p: RadiusPacket, rinfo: RemoteInfo): void {
    const check = verifyStatusServer(p.raw, client.secret);
    if (check !== 'ok') {
      const detail = check === 'missing_attribute' ? 'Status-Server without Message-Authenticator' : 'Status-Server';
      return this.drop(r, check, { source: `${rinfo.address}:${rinfo.port}`, nas: client.name, detail });
    }
    r.metrics.statusServer.inc({ nas: client.name });
    r.log.debug({ nas: client.name }, 'radius: Status-Server answered');
    void this.track(r, this.send(r, socket, buildStatusServerResponse(p, client.secret), rinfo, client));
  }

  /** Plans under the session lock, appends records + state in one spool entry, commits only after the fsync. */
  private process(r: Running, client: NasClient, ev: AccountingEvent): Promise<void> {
    r.log.debug({ nas: client.name, status: ev.status, session: ev.sessionId, subscriber: ev.subscriber, vsa: ev.vendorAttributes }, 'radius: accounting request');
    if (ev.status === 'accounting-on' || ev.status === 'accounting-off') {
      return r.locks.run(r.sessions.openKeys(client.name), () => this.persist(r, r.sessions.planNasReset(client.name, ev, this.now()), client.name));
    }
    const key = sessionKey(client.name, ev.sessionId, ev.userName);
    return r.locks.run([key], () => this.persist(r, r.sessions.planEvent(client.name, ev, this.now()), client.name));
  }

  private async persist(r: Running, plan: SessionPlan, nas: string): Promise<void> {
    if (plan.records.length || plan.changes.length) {
      try {
        await this.opts.spool.append({ records: plan.records, state: plan.changes });
      } catch (err) {
        throw err instanceof SpoolFullError ? err : new SpoolAppendError(err);
      }
    }
    plan.commit();
    r.metrics.sessionEvents.inc({ nas, outcome: plan.outcome });
    if (plan.outcome === 'counter_regression') r.log.info({ nas }, 'radius: counters lower than already seen (late packet or restart); nothing emitted');
  }

  /** Resolves once the datagram left (or failed): stop() must not close the socket under a queued send. */
  private send(r: Running, socket: Socket, response: Buffer, rinfo: RemoteInfo, client: NasClient): Promise<void> {
    return new Promise((resolve) => {
      socket.send(response, rinfo.port, rinfo.address, (err) => {
        if (err) r.log.warn({ err, nas: client.name }, 'radius: response not sent');
        resolve();
      });
    });
  }

  private drop(r: Running, reason: DropReason, ctx: { source: string; nas?: string; detail?: string }): void {
    r.metrics.dropped.inc({ reason });
    r.drops.drop(reason, ctx);
  }

  /** Registers work that stop() must wait for; the returned promise never rejects. */
  private track(r: Running, work: Promise<void>): Promise<void> {
    const settled = work.then(() => undefined, () => undefined);
    r.inFlight.add(settled);
    return settled.finally(() => r.inFlight.delete(settled));
  }
}

class SpoolAppendError extends Error {
  constructor(cause: unknown) {
    super(`spool append failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SpoolAppendError';
  }
}

function isSpoolError(err: unknown): boolean {
  return err instanceof SpoolAppendError;
}

function sweepInterval(config: RadiusConfig): number {
  return Math.max(1000, Math.min(60_000, config.staleSessionTimeout / 4, config.closedSessionRetention / 4));
}


