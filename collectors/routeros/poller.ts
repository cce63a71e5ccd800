// The RouterOS API poller: every device on its own schedule (a bounded number at once), readings → usage deltas →
// one spool append carrying the records and the device's new counter state together.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { backoffDelay, sleep, type BackoffOptions } from '../pipeline/retry.js';
import { SpoolFullError, type SpoolWriter } from '../pipeline/spool-types.js';
import { ApiConnection } from './api-connection.js';
import { RouterosApiError } from './api-error.js';
import type { ApiTlsOptions } from './api-socket.js';
import { devicePort, type RouterosConfig, type RouterosDeviceConfig, type Table } from './config.js';
import { readDevice } from './device-read.js';
import { FailureLog } from './failure-log.js';
import { createRouterosMetrics, recordTableMetrics, type PollErrorKind, type RouterosMetrics } from './metrics.js';
import { PollSlots } from './poll-slots.js';
import { compileRules, type SubscriberOf } from './subscriber-rules.js';
import { parseUptime, readTables } from './table-readings.js';
import { deviceUsage, parseDeviceState, STATE_SCOPE, type DeviceState } from './usage-deltas.js';

/** The same error of a device is logged again after this long, with how often it repeated meanwhile. */
const ERROR_LOG_INTERVAL_MS = 10 * 60_000;

export interface RouterosPollerOptions {
  config: RouterosConfig;
  spool: SpoolWriter;
  logger: Logger;
  registry: Registry;
  /** Folder that relative `tls.ca` paths start from (the config file's). */
  configDir?: string;
  now?: () => number;
  /** false: start() restores state but polls nothing by itself; tests drive poll(). */
  schedule?: boolean;
  random?: () => number;
}

export type PollOutcome = { ok: true; records: number; rebooted: boolean } | { ok: false; kind: PollErrorKind; error: Error };

interface Device {
  config: RouterosDeviceConfig;
  log: Logger;
  subscriberOf: SubscriberOf;
  conn: ApiConnection | undefined;
  /** The state last made durable in the spool. */
  state: DeviceState | undefined;
  failures: number;
  /** Polls of one device never overlap (the loop and a test's poll()). */
  busy: Promise<unknown>;
  failureLog: FailureLog;
}

export class RouterosPoller {
  private readonly devices = new Map<string, Device>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private metrics: RouterosMetrics | undefined;
  private log: Logger | undefined;
  private readonly slots: PollSlots;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: RouterosPollerOptions) {
    this.slots = new PollSlots(opts.config.concurrency);
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('routeros: already started');
    this.started = true;
    const { config, spool } = this.opts;
    const log = this.opts.logger.child({ component: 'routeros' });
    this.log = log;
    this.metrics = createRouterosMetrics(this.opts.registry);
    const saved = spool.state(STATE_SCOPE);
    for (const d of config.devices) {
      const raw = saved.get(d.name);
      const state = parseDeviceState(raw);
      if (raw !== undefined && !state) log.warn({ device: d.name }, 'routeros: saved counter state has the wrong shape; this device starts afresh (its first poll gives no usage)');
      const deviceLog = log.child({ device: d.name });
      this.devices.set(d.name, {
        config: d,
        log: deviceLog,
        subscriberOf: compileRules(config.subscribers, d.subscribers),
        conn: undefined,
        state,
        failures: 0,
        busy: Promise.resolve(),
        failureLog: new FailureLog(deviceLog, ERROR_LOG_INTERVAL_MS),
      });
      this.metrics.connected.set({ device: d.name }, 0);
    }
    if (this.opts.schedule !== false) this.loops = [...this.devices.values()].map((d) => this.loop(d));
    // Never the password: only where each device is and what is read from it.
    log.info({ devices: config.devices.map((d) => ({ name: d.name, host: d.host, port: devicePort(d), tls: d.tls !== false, tables: d.tables })) }, 'routeros: polling');
  }

  /** Polls one device now (after any poll of it in progress). */
  poll(name: string): Promise<PollOutcome> {
    const d = this.devices.get(name);
    if (!d) return Promise.reject(new Error(`routeros: no device named ${name}`));
    const run = d.busy.then(() => this.pollDevice(d));
    d.busy = run.catch(() => undefined);
    return run;
  }

  /** Polls every device now, `concurrency` at a time (with `schedule: false`, how a test steps the whole fleet). */
  async pollAll(): Promise<Map<string, PollOutcome>> {
    const names = [...this.devices.keys()];
    const outcomes = await Promise.all(names.map((n) => this.slots.run(() => this.poll(n))));
    return new Map(names.map((n, i) => [n, outcomes[i]!]));
  }

  /** Stops scheduling, lets a poll in progress finish or fail, closes every API session. Runs once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    for (const d of this.devices.values()) {
      d.conn?.close();
      d.conn = undefined;
    }
    await Promise.all(this.loops);
    await Promise.all([...this.devices.values()].map((d) => d.busy));
    for (const d of this.devices.values()) {
      d.conn?.close();
      this.metrics?.connected.set({ device: d.config.name }, 0);
    }
    this.log?.info('routeros: stopped');
  }

  private async loop(d: Device): Promise<void> {
    const signal = this.abort.signal;
    const interval = d.config.interval ?? this.opts.config.interval;
    const backoff: BackoffOptions = { initialMs: this.opts.config.backoff.initial, maxMs: this.opts.config.backoff.max, multiplier: 2, jitter: 0.2, maxRetryAfterMs: this.opts.config.backoff.max };
    while (!signal.aborted) {
      const began = Date.now();
      // A device that waited for a slot while the poller stopped does not start a poll it would only abandon.
      const outcome = await this.slots.run(async () => (signal.aborted ? undefined : this.poll(d.config.name)));
      if (!outcome || signal.aborted) break;
      const delay = outcome.ok ? Math.max(0, interval - (Date.now() - began)) : backoffDelay(d.failures - 1, backoff, undefined, this.opts.random);
      await sleep(delay, signal);
    }
  }


  private async pollDevice(d: Device): Promise<PollOutcome> {
    const m = this.metrics!;
    const name = d.config.name;
    if (this.stopping) return { ok: false, kind: 'closed', error: new RouterosApiError('closed', 'poller is stopping') };
    try {
      const conn = await this.connection(d);
      const rows = await readDevice(conn, d.config.tables, this.opts.config.timeout);
      const uptimeMs = parseUptime(rows.uptime ?? '');
      if (uptimeMs === undefined) throw new RouterosApiError('protocol', `/system/resource gave no readable uptime (${JSON.stringify(rows.uptime ?? null)})`);
      const tables = readTables(rows, { tables: d.config.tables, dynamicQueues: this.opts.config.dynamicQueues });
      const usage = deviceUsage({
        device: name,
        prev: d.state,
        now: this.now(),
        uptimeMs,
        readings: tables.readings,
        subscriberOf: d.subscriberOf,
        width: d.config.counterBits,
        forgetAfterMs: this.opts.config.forgetAfter,
      });
      try {
        await this.opts.spool.append({ records: usage.records, state: [{ scope: STATE_SCOPE, key: name, value: usage.next }] });
      } catch (err) {
        throw new SpoolRefusedError(err);
      }
      // Only now: had the append failed, the next poll would count from the readings that are on disk.
      d.state = usage.next;
      if (usage.rebooted) {
        m.reboots.inc({ device: name });
        d.log.warn({ uptimeMs }, 'routeros: device rebooted since the last poll; its counters started again from 0');
      }
      const rowCounts: Partial<Record<Table, number>> = {};
      for (const r of tables.readings) rowCounts[r.table] = (rowCounts[r.table] ?? 0) + 1;
      recordTableMetrics(m, name, d.config.tables, rowCounts, usage.unmapped, tables.malformed, usage.events);
      m.records.inc({ device: name }, usage.records.length);
      m.polls.inc({ device: name, result: 'ok' });
      m.lastSuccess.set({ device: name }, Math.floor(this.now() / 1000));
      if (d.failures) d.log.info({ failures: d.failures }, 'routeros: polling again after failures');
      d.failures = 0;
      d.failureLog.reset();
      return { ok: true, records: usage.records.length, rebooted: usage.rebooted };
    } catch (err) {
      const kind = errorKind(err);
      const error = err instanceof Error ? err : new Error(String(err));
      // stop() closed the session under this poll: nothing was stored, and it is no failure of the router's.
      if (this.stopping) return { ok: false, kind, error };
      // A trap leaves the session usable; anything else on the wire leaves it in an unknown state.
      if (kind !== 'trap' && kind !== 'spool_full' && kind !== 'spool_error') this.disconnect(d);
      d.failures++;
      m.polls.inc({ device: name, result: 'error' });
      m.pollErrors.inc({ device: name, kind });
      this.logFailure(d, kind, error);
      return { ok: false, kind, error };
    }
  }

  private async connection(d: Device): Promise<ApiConnection> {
    if (d.conn && !d.conn.closed) return d.conn;
    const c = d.config;
    d.conn = await ApiConnection.open({
      host: c.host,
      port: devicePort(c),
      tls: this.tlsOptions(c),
      username: c.username,
      password: c.password,
      timeoutMs: this.opts.config.timeout,
    });
    const conn = d.conn;
    this.metrics!.connected.set({ device: c.name }, 1);
    void conn.ended.then((why) => {
      if (d.conn !== conn) return;
      // Between polls, e.g. the router rebooted: the next poll opens a new session.
      this.metrics?.connected.set({ device: c.name }, 0);
      if (!this.stopping) d.log.info({ reason: why.message }, 'routeros: API session ended');
    });
    d.log.info({ host: c.host, port: devicePort(c), tls: c.tls !== false }, 'routeros: logged in');
    return conn;
  }

  private disconnect(d: Device): void {
    d.conn?.close();
    d.conn = undefined;
    this.metrics!.connected.set({ device: d.config.name }, 0);
  }

  private tlsOptions(c: RouterosDeviceConfig): ApiTlsOptions | undefined {
    if (c.tls === false) return undefined;
    if (c.tls === true) return {};
    let ca: Buffer | undefined;
    if (c.tls.ca) {
      const path = isAbsolute(c.tls.ca) ? c.tls.ca : resolve(this.opts.configDir ?? '.', c.tls.ca);
      try {
        ca = readFileSync(path);
      } catch (err) {
        throw new RouterosApiError('tls', `cannot read tls.ca ${path}: ${(err as Error).message}`);
      }
    }
    return { ca, fingerprint: c.tls.fingerprint, servername: c.tls.servername };
  }

  private logFailure(d: Device, kind: PollErrorKind, err: Error): void {
    const c = d.config;
    const text = kind === 'auth'
      ? `routeros: ${c.name} (${c.host}:${devicePort(c)}) refused the login of user "${c.username}": ${err.message.replace(/^login refused: /, '')}; check routeros.devices[${c.name}].username and password (retrying with backoff)`
      : `routeros: poll of ${c.name} failed (${kind}): ${err.message}`;
    d.failureLog.failed(text, { kind, failures: d.failures });
  }
}

/** The spool did not take the entry: the readings stay uncommitted and the next poll covers this interval too. */
class SpoolRefusedError extends Error {
  readonly kind: PollErrorKind;
  constructor(cause: unknown) {
    super(`spool refused the usage: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.kind = cause instanceof SpoolFullError ? 'spool_full' : 'spool_error';
  }
}

function errorKind(err: unknown): PollErrorKind {
  if (err instanceof RouterosApiError || err instanceof SpoolRefusedError) return err.kind;
  return 'internal';
}
