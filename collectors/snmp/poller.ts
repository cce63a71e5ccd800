// The SNMP poller: every target on its own schedule, a bounded number polled at once, usage and readings to the spool.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LineWriter } from '../../store/influx/v1-write.js';
import { SpoolFullError, type SpoolWriter } from '../pipeline/spool-types.js';
import type { ProfileId, SnmpConfig, SnmpTargetConfig, SubscriberRules } from './config.js';
import { cpuLoad, HR_PROCESSOR_LOAD, type CpuLoadFields } from './cpu-load.js';
import { deviceUsage, parseDeviceState, type DeviceState, type MappedRow } from './device-usage.js';
import { HealthWriter, type HealthPoint } from './health-writer.js';
import { createSnmpMetrics, type SnmpMetrics } from './metrics.js';
import { PROFILES, resolveProfiles } from './profiles/registry.js';
import { PollErrorLog } from './poll-error-log.js';
import { firstDue, nextDue, Slots } from './schedule.js';
import { SnmpClient, SnmpError, type SnmpErrorReason } from './snmp-client.js';
import { SubscriberMatcher } from './subscriber-rule.js';

/** Spool state scope; the key is the target name, the value its DeviceState. */
export const STATE_SCOPE = 'snmp';

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
const HR_SYSTEM_UPTIME = '1.3.6.1.2.1.25.1.1.0';

export interface PollEvent {
  target: string;
  /** When the poll was scheduled, started (after waiting for a slot) and finished, ms since the epoch. */
  due: number;
  started: number;
  finished: number;
  /** It had to wait for a concurrency slot (all were taken, e.g. by dead targets in their timeouts). */
  queued: boolean;
  ok: boolean;
  reason?: SnmpErrorReason;
  records: number;
}

export interface SnmpPollerOptions {
  config: SnmpConfig;
  spool: SpoolWriter;
  logger: Logger;
  registry: Registry;
  /** Where device_health points go (stores.influx); none: only Prometheus. */
  healthWrite?: LineWriter;
  now?: () => number;
  /** Called after every poll (benchmarks and tests). */
  onPoll?: (e: PollEvent) => void;
  /** No timers: polls happen only through pollNow() (tests that step fixtures between polls). */
  manual?: boolean;
  /** One log line per target and reason per this long (default 5 min); the rest are counted. */
  errorLogIntervalMs?: number;
}

interface Target {
  config: SnmpTargetConfig;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  rules: SubscriberRules;
  matchers: Record<ProfileId, SubscriberMatcher>;
  client: SnmpClient | undefined;
  state: DeviceState | undefined;
  running: Promise<PollEvent> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class SnmpPoller {
  private readonly targets = new Map<string, Target>();
  private readonly slots: Slots;
  private metrics: SnmpMetrics | undefined;
  private health: HealthWriter | undefined;
  private errors: PollErrorLog | undefined;
  private readonly log: Logger;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: SnmpPollerOptions) {
    this.slots = new Slots(opts.config.concurrency);
    this.log = opts.logger.child({ component: 'snmp' });
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async start(): Promise<void> {
    if (this.metrics) throw new Error('snmp: already started');
    const { config } = this.opts;
    this.metrics = createSnmpMetrics(this.opts.registry, config.targets.map((t) => t.name));
    this.errors = new PollErrorLog(this.log, this.opts.errorLogIntervalMs ?? 300_000, () => this.now());
    if (this.opts.healthWrite) {
      this.health = new HealthWriter({ write: this.opts.healthWrite, metrics: this.metrics, logger: this.log });
      this.health.start();
    }
    const saved = this.opts.spool.state(STATE_SCOPE);
    for (const t of config.targets) {
      const rules: SubscriberRules = {
        'if-mib': t.subscribers?.['if-mib'] ?? config.subscribers['if-mib'],
        'mikrotik-queue': t.subscribers?.['mikrotik-queue'] ?? config.subscribers['mikrotik-queue'],
        'airmax-station': t.subscribers?.['airmax-station'] ?? config.subscribers['airmax-station'],
      };
      const state = parseDeviceState(saved.get(t.name));
      if (saved.has(t.name) && !state) this.log.warn({ target: t.name }, 'snmp: saved counter readings have the wrong shape; the next poll takes new ones (no usage for it)');
      this.targets.set(t.name, {
        config: t,
        intervalMs: t.interval ?? config.interval,
        timeoutMs: t.timeout ?? config.timeout,
        retries: t.retries ?? config.retries,
        rules,
        matchers: {
          'if-mib': new SubscriberMatcher(rules['if-mib']),
          'mikrotik-queue': new SubscriberMatcher(rules['mikrotik-queue']),
          'airmax-station': new SubscriberMatcher(rules['airmax-station']),
        },
        client: undefined,
        state,
        running: undefined,
        timer: undefined,
      });
    }
    // Readings of targets taken out of the config stay in the spool state: put back, a target's next poll bills
    // what its counters moved meanwhile, in one record.
    const unconfigured = [...saved.keys()].filter((name) => !this.targets.has(name));
    if (unconfigured.length) this.log.info({ targets: unconfigured }, 'snmp: keeping saved readings of targets no longer configured');
    if (!this.opts.manual) for (const t of this.targets.values()) this.schedule(t, firstDue(t.config.name, t.intervalMs, this.now()));
    this.log.info({ targets: this.targets.size, concurrency: config.concurrency, restored: [...this.targets.values()].filter((t) => t.state).length }, 'snmp: polling');
  }

  /** Polls every target (or the named ones) now, bounded by the concurrency like scheduled polls; for tests and tools. */
  async pollNow(names?: readonly string[]): Promise<PollEvent[]> {
    const list = names ? names.map((n) => this.target(n)) : [...this.targets.values()];
    const due = this.now();
    return await Promise.all(list.map((t) => (t.running ??= this.poll(t, due).finally(() => (t.running = undefined)))));
  }

  /**
   * Stops scheduling and aborts polls in flight by closing their sessions (an aborted poll stores nothing, so
   * the next run's first poll covers its interval), waits for them, flushes device_health. Runs once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const t of this.targets.values()) {
      if (t.timer) clearTimeout(t.timer);
      t.client?.close();
      t.client = undefined;
    }
    await Promise.all([...this.targets.values()].map((t) => t.running));
    await this.health?.stop();
    this.errors?.flush();
    this.log.info('snmp: stopped');
  }

  private target(name: string): Target {
    const t = this.targets.get(name);
    if (!t) throw new Error(`snmp: no target named "${name}"`);
    return t;
  }

  private schedule(t: Target, due: number): void {
    if (this.stopping) return;
    t.timer = setTimeout(() => this.fire(t, due), Math.max(0, due - this.now()));
    t.timer.unref();
  }

  private fire(t: Target, due: number): void {
    const now = this.now();
    // The next slot stays on the target's grid; slots already past (the event loop stalled) are skipped, not bunched.
    this.schedule(t, nextDue(due, t.intervalMs, now));
    if (t.running) {
      this.metrics!.skipped.inc({ target: t.config.name, reason: 'overrun' });
      return;
    }
    t.running = this.poll(t, due).finally(() => (t.running = undefined));
  }

  private async poll(t: Target, due: number): Promise<PollEvent> {
    const { release, queued } = await this.slots.acquire();
    const m = this.metrics!;
    const name = t.config.name;
    const started = this.now();
    if (this.stopping) {
      // Waited for a slot while the poller stopped: do not open a new session.
      release();
      return { target: name, due, started, finished: started, queued, ok: false, reason: 'aborted', records: 0 };
    }
    m.lag.observe(Math.max(0, started - due) / 1000);
    // A poll never outlives its interval: past the deadline its session is closed, which fails what is in flight.
    const deadline = setTimeout(() => {
      t.client?.close();
      t.client = undefined;
    }, Math.max(t.intervalMs, t.timeoutMs));
    deadline.unref();
    const event: PollEvent = { target: name, due, started, finished: started, queued, ok: false, records: 0 };
    try {
      const client = (t.client ??= new SnmpClient({
        target: t.config,
        timeoutMs: t.timeoutMs,
        retries: t.retries,
        maxRepetitions: this.opts.config.maxRepetitions,
        onMalformed: (reason) => m.malformed.inc({ target: name, reason }),
      }));
      event.records = await this.pollTarget(t, client, started);
      event.ok = true;
      m.polls.inc({ target: name, result: 'ok' });
      m.up.set({ target: name }, 1);
      this.errors!.recovered(name);
    } catch (err) {
      const e = err instanceof SnmpError ? err : new SnmpError('malformed', err instanceof Error ? err.message : String(err));
      // A fresh session next time: v3 rediscovers the engine (a rebooted agent has new boots and time).
      t.client?.close();
      t.client = undefined;
      // Aborted by stop(): our doing, not the device's; nothing to count or report.
      event.reason = this.stopping ? 'aborted' : e.reason;
      if (!this.stopping) this.failed(name, e, started);
    } finally {
      clearTimeout(deadline);
      release();
      event.finished = this.now();
      m.duration.set({ target: name }, (event.finished - started) / 1000);
    }
    this.opts.onPoll?.(event);
    return event;
  }

  private failed(name: string, e: SnmpError, at: number): void {
    const m = this.metrics!;
    m.polls.inc({ target: name, result: 'error' });
    m.pollErrors.inc({ target: name, reason: e.reason });
    if (e.reason === 'malformed') m.malformed.inc({ target: name, reason: 'answer' });
    m.up.set({ target: name }, 0);
    this.errors!.report(name, e);
    this.health?.add([{ device: name, profile: 'device', entity: 'device', tower: this.targets.get(name)?.config.tower, fields: { up: 0 }, at }]);
  }

  /** One successful poll: readings → usage → one spool append (records and readings together). Returns the record count. */
  private async pollTarget(t: Target, client: SnmpClient, at: number): Promise<number> {
    const m = this.metrics!;
    const name = t.config.name;
    const [sysUptime, sysObjectID, hrUptime] = await client.get([SYS_UPTIME, SYS_OBJECT_ID, HR_SYSTEM_UPTIME]);
    if (sysUptime?.kind !== 'timeticks') throw new SnmpError('malformed', `sysUpTime.0 is ${sysUptime ? `a ${sysUptime.kind}` : 'missing'} (expected TimeTicks)`);
    // The host's uptime where the agent has it: restarting only the agent must not look like a reboot.
    const [uptime, uptimeSource] = hrUptime?.kind === 'timeticks' ? [hrUptime, 'hrSystemUptime' as const] : [sysUptime, 'sysUpTime' as const];
    const cpu = await this.cpuLoadOf(name, client);
    const profiles = resolveProfiles(t.config.profiles, sysObjectID?.kind === 'oid' ? sysObjectID.value : undefined);
    const readings: MappedRow[] = [];
    const health: HealthPoint[] = [];
    for (const id of profiles) {
      const profile = PROFILES[id];
      const read = profile.read(await client.walkColumns(profile.columns), t.rules);
      for (const [reason, n] of Object.entries(read.skipped)) m.malformed.inc({ target: name, reason }, n);
      m.rows.set({ target: name, profile: id }, read.rows.length);
      for (const row of read.rows) {
        readings.push({ profile: id, row, subscriber: t.matchers[id].subscriberOf(row.subscriberKey) });
        if (Object.keys(row.health).length) health.push({ device: name, profile: id, entity: row.label, tower: t.config.tower, fields: row.health, at });
      }
      this.deviceGauges(name, id, read.rows);
    }
    const usage = deviceUsage({ device: name, prev: t.state, at, uptime: uptime.value, uptimeSource, readings, profiles });
    try {
      await this.opts.spool.append({ records: usage.records, state: [{ scope: STATE_SCOPE, key: name, value: usage.state }] });
    } catch (err) {
      // Readings not stored: the in-memory state stays at the last durable poll, so the next poll's interval
      // covers this one too and nothing is lost or counted twice.
      const reason = err instanceof SpoolFullError ? 'spool_full' : 'spool_error';
      m.spoolErrors.inc({ reason });
      throw new SnmpError('spool', `spool refused the poll's usage (${reason}); the next poll covers its interval`);
    }
    t.state = usage.state;
    m.records.inc(usage.records.length);
    if (usage.restarted) {
      m.restarts.inc({ target: name });
      this.log.info({ target: name, uptime: uptime.value.toString(), uptimeSource }, `snmp: device restarted (${uptimeSource} went back): counters taken from 0`);
    }
    for (const [kind, n] of Object.entries(usage.kinds)) if (n) m.counterReadings.inc({ target: name, kind }, n);
    for (const id of profiles) {
      const u = usage.unmapped.get(id);
      m.unmappedRows.set({ target: name, profile: id }, u?.rows ?? 0);
      // prom-client counters are doubles: exact to 2^53 octets, ample for a metric (usage itself stays bigint).
      if (u?.bytes) m.unmappedOctets.inc({ target: name, profile: id }, Number(u.bytes));
    }
    // uptime_s: the uptime the counters' reset detection uses (hrSystemUptime where the agent has it), in seconds.
    health.push({ device: name, profile: 'device', entity: 'device', tower: t.config.tower, fields: { up: 1, poll_latency_ms: this.now() - at, uptime_s: Number(uptime.value) / 100, ...cpu }, at });
    this.health?.add(health);
    return usage.records.length;
  }

  /**
   * The device's CPU load (hrProcessorLoad), walked in the poll like the profiles' tables. Optional: an agent
   * without HOST-RESOURCES-MIB ends the walk at once (no fields); one that refuses the table with an error status,
   * answers it garbled or drops the request gives no fields either, never a failed poll (the device answered the
   * GET just before). Errors about the session itself (auth, network, stop) still fail the poll.
   */
  private async cpuLoadOf(name: string, client: SnmpClient): Promise<CpuLoadFields> {
    try {
      const [load] = await client.walkColumns([HR_PROCESSOR_LOAD]);
      return cpuLoad(load);
    } catch (err) {
      if (this.stopping || !(err instanceof SnmpError) || !['agent_error', 'malformed', 'timeout'].includes(err.reason)) throw err;
      this.log.debug({ target: name, reason: err.reason, err: err.message }, 'snmp: no CPU load (hrProcessorLoad walk failed); device_health has no cpu fields this poll');
      return {};
    }
  }

  private deviceGauges(name: string, profile: ProfileId, rows: readonly { health: Record<string, number> }[]): void {
    const m = this.metrics!;
    if (profile === 'if-mib') m.interfacesUp.set({ target: name }, rows.filter((r) => r.health.oper_up === 1).length);
    if (profile === 'airmax-station') {
      m.stations.set({ target: name }, rows.length);
      const signals = rows.map((r) => r.health.signal_dbm).filter((v): v is number => v !== undefined);
      const ccqs = rows.map((r) => r.health.ccq_percent).filter((v): v is number => v !== undefined);
      if (signals.length) m.stationSignalMin.set({ target: name }, Math.min(...signals));
      if (ccqs.length) m.stationCcqMin.set({ target: name }, Math.min(...ccqs));
    }
  }
}
