// Moves records from the spool into one sink: batches, retries with backoff, dead-letters rejects, commits offsets.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { retrySinkWrite, backoffDelay, sleep, DEFAULT_BACKOFF, type BackoffOptions } from './retry.js';
import { writeDeadLetter, type DeadLetter } from './sink-runner-dead-letter.js';
import { createSinkMetrics, type SinkMetrics } from './sink-runner-metrics.js';
import type { Sink } from './sink.js';
import type { Spool } from './spool.js';
import type { SpooledEntry } from './spool-types.js';
import type { UsageRecord } from './usage-record.js';

/** The part of the spool a runner uses. */
export type SpoolSource = Pick<Spool, 'dir' | 'endOffset' | 'consumer' | 'commit' | 'read' | 'waitForData'>;

export interface SinkRunnerOptions {
  spool: SpoolSource;
  sink: Sink;
  logger: Logger;
  /** Where wispmeter_sink_* go; a private registry when omitted. */
  registry?: Registry;
  /** Records per sink.write(). An entry is never split, so one entry with more records makes a bigger batch. */
  batchSize?: number;
  /** Timeout handed to each sink.write(). */
  writeTimeoutMs?: number;
  /** Frame bytes per spool read. */
  readBytes?: number;
  backoff?: Partial<BackoffOptions>;
  /** Dead-letter files go here as <sink>.jsonl; default <spool dir>/dead-letter. */
  deadLetterDir?: string;
  /**
   * How long to let records gather before a batch that is not full is written (default 100 ms). Without it every
   * spool group commit became its own sink write: one SQLite fsync or one HTTP request per few records.
   */
  lingerMs?: number;
}

interface CatchUpWaiter {
  target: number;
  done: (caughtUp: boolean) => void;
}

/** What /healthz needs to know about a runner. */
export interface SinkHealth {
  sink: string;
  /** Spool bytes not yet in the sink. */
  lagBytes: number;
  /** Since when (ms) every write has been answered retryable; undefined while writes succeed. */
  failingSince?: number;
  /** The last retryable error, while failing. */
  lastError?: string;
  /** When the sink last accepted a batch (ms). */
  lastSuccess?: number;
}

interface Batch {
  records: UsageRecord[];
  /** The spool offset of each record's entry (parallel to records): recorded in dead letters to trace it back. */
  offsets: number[];
  /** Commit this once the batch is delivered (or parked). */
  next: number;
}

/**
 * One runner per sink; its spool consumer name is the sink's name. It does not close the sink: whoever made the
 * sink closes it after stop(), so the daemon can stop units in reverse order.
 */
export class SinkRunner {
  private readonly spool: SpoolSource;
  private readonly sink: Sink;
  private readonly log: Logger;
  private readonly metrics: SinkMetrics;
  private readonly labels: { sink: string };
  private readonly batchSize: number;
  private readonly writeTimeoutMs: number;
  private readonly readBytes: number;
  private readonly backoff: BackoffOptions;
  private readonly deadLetterDir: string;
  private readonly lingerMs: number;

  /** Committed position: everything before it is in the sink (or its dead-letter file). */
  private offset = 0;
  /** Entries read but not yet batched, starting at `readPos`'s predecessor chain. */
  private ahead: SpooledEntry[] = [];
  private readPos = 0;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Set by stop(): deliver what is left, then end instead of waiting for more. */
  private draining = false;
  private drainDeadline = Infinity;
  /** Wakes the loop from its wait for new data (stop() aborts it). */
  private readonly idle = new AbortController();
  /** Aborted at the drain deadline: backoffs end at once and no new write starts. */
  private readonly halt = new AbortController();
  private readonly catchUpWaiters = new Set<CatchUpWaiter>();
  private failingSince: number | undefined;
  private lastError: string | undefined;
  private lastSuccess: number | undefined;

  constructor(opts: SinkRunnerOptions) {
    this.spool = opts.spool;
    this.sink = opts.sink;
    this.log = opts.logger.child({ component: 'sink-runner', sink: opts.sink.name });
    this.metrics = createSinkMetrics(opts.registry ?? new Registry());
    this.labels = { sink: opts.sink.name };
    this.batchSize = opts.batchSize ?? 5000;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 10_000;
    this.readBytes = opts.readBytes ?? 4 * 1024 * 1024;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.deadLetterDir = opts.deadLetterDir ?? join(opts.spool.dir, 'dead-letter');
    this.lingerMs = opts.lingerMs ?? 100;
  }

  get name(): string {
    return this.sink.name;
  }

  /** The committed offset of this runner's sink. */
  get committedOffset(): number {
    return this.offset;
  }

  health(): SinkHealth {
    return {
      sink: this.sink.name,
      lagBytes: Math.max(0, this.spool.endOffset - this.offset),
      failingSince: this.failingSince,
      lastError: this.failingSince === undefined ? undefined : this.lastError,
      lastSuccess: this.lastSuccess,
    };
  }

  start(): void {
    if (this.loop || this.stopping) throw new Error(`sink runner ${this.sink.name}: already started`);
    this.offset = this.spool.consumer(this.sink.name);
    this.readPos = this.offset;
    this.updateLag();
    this.metrics.failingSince.set(this.labels, 0);
    // Counters start at 0, so the first retry or dead letter shows in rate() and increase() alerts.
    for (const c of [this.metrics.recordsWritten, this.metrics.batches, this.metrics.retries, this.metrics.failures, this.metrics.deadLetterRecords]) c.inc(this.labels, 0);
    this.loop = this.run().catch((err: unknown) => {
      // run() handles its own errors; reaching here is a bug, and it must not become an unhandled rejection.
      this.log.fatal({ err }, 'sink runner crashed');
    });
    this.log.info({ offset: this.offset }, 'sink runner started');
  }

  /**
   * Delivers what is left for up to drainTimeoutMs, then stops; a write in flight at the deadline is awaited (its
   * timeout is cut to the deadline). Runs once; what is not delivered stays in the spool for the next start.
   */
  stop(opts: { drainTimeoutMs: number } = { drainTimeoutMs: 5000 }): Promise<void> {
    return (this.stopping ??= this.shutdown(opts.drainTimeoutMs));
  }

  private async shutdown(drainTimeoutMs: number): Promise<void> {
    this.draining = true;
    if (!this.loop) return; // never started: nothing to drain
    this.drainDeadline = Date.now() + drainTimeoutMs;
    this.idle.abort();
    const timer = setTimeout(() => this.halt.abort(), drainTimeoutMs);
    timer.unref();
    await this.loop;
    clearTimeout(timer);
    this.halt.abort();
    for (const w of [...this.catchUpWaiters]) w.done(this.offset >= w.target);
    const left = this.spool.endOffset - this.offset;
    if (left > 0) this.log.warn({ offset: this.offset, bytesLeft: left }, 'sink runner stopped before delivering everything; the rest stays in the spool');
    else this.log.info({ offset: this.offset }, 'sink runner stopped');
  }

  /**
   * Resolves true once everything appended before this call is committed, false after timeoutMs or at stop.
   * For tests and one-shot runs (`wispmeter demo`). Unlike the runner's own timers this one keeps the process
   * alive: the caller asked to wait, and the runner's backoff timers (unref'd) must get to fire meanwhile.
   */
  waitUntilCaughtUp(timeoutMs: number): Promise<boolean> {
    const target = this.spool.endOffset;
    if (this.offset >= target) return Promise.resolve(true);
    if (this.stopping) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => w.done(false), timeoutMs);
      const w: CatchUpWaiter = {
        target,
        done: (caughtUp) => {
          clearTimeout(timer);
          this.catchUpWaiters.delete(w);
          resolve(caughtUp);
        },
      };
      this.catchUpWaiters.add(w);
    });
  }

  private async run(): Promise<void> {
    let readFailures = 0;
    while (!this.halt.signal.aborted) {
      let batch: Batch | undefined;
      try {
        batch = await this.nextBatch();
        readFailures = 0;
        this.updateLag();
      } catch (err) {
        // A spool read error (disk trouble) is waited out like a sink outage, never skipped.
        this.log.error({ err, offset: this.readPos }, 'spool read failed; retrying');
        await sleep(backoffDelay(readFailures++, this.backoff), this.halt.signal);
        continue;
      }
      if (!batch) {
        if (this.draining) return;
        await this.spool.waitForData(this.readPos, this.idle.signal);
        await this.linger();
        continue;
      }
      if (batch.records.length > 0 && !(await this.deliver(batch))) return;
      await this.commit(batch.next);
      if (batch.records.length < this.batchSize) await this.linger();
    }
  }

  /** Lets a fuller batch gather; cut short by stop(), which drains at once. */
  private async linger(): Promise<void> {
    if (this.lingerMs > 0 && !this.draining) await sleep(this.lingerMs, this.idle.signal);
  }

  /** Up to batchSize records from whole entries; undefined when the spool holds nothing new. */
  private async nextBatch(): Promise<Batch | undefined> {
    const records: UsageRecord[] = [];
    const offsets: number[] = [];
    let first: number | undefined;
    let next = this.readPos;
    for (;;) {
      if (this.ahead.length === 0) {
        // Only top up a batch from the spool while more is durable; otherwise send what there is now.
        if (first !== undefined && next >= this.spool.endOffset) break;
        this.ahead = await this.spool.read(next, this.batchSize, this.readBytes);
        if (this.ahead.length === 0) break;
      }
      const e = this.ahead[0]!;
      if (records.length > 0 && records.length + e.entry.records.length > this.batchSize) break;
      this.ahead.shift();
      first ??= e.offset;
      for (const r of e.entry.records) {
        records.push(r);
        offsets.push(e.offset);
      }
      next = e.next;
      if (records.length >= this.batchSize) break;
    }
    if (first === undefined) return undefined;
    this.readPos = next;
    return { records, offsets, next };
  }

  /**
   * true when the batch is delivered or parked; false when the runner was halted first. A batch the sink rejects
   * for good is split in halves until the records it rejects stand alone: only those go to the dead-letter file,
   * every other record of the batch is stored (one bad record among 5,000 costs about 26 writes, not the batch).
   */
  private async deliver(batch: Batch): Promise<boolean> {
    const rejected: DeadLetter[] = [];
    if (!(await this.deliverPart(batch.records, batch.offsets, rejected))) return false;
    return rejected.length === 0 || this.park(rejected);
  }

  /** Writes records[] (retrying while the sink is down), splitting it on a rejection; collects lone rejects. */
  private async deliverPart(records: UsageRecord[], offsets: number[], rejected: DeadLetter[]): Promise<boolean> {
    const result = await retrySinkWrite(() => this.sink.write(records, this.writeTimeout()), {
      backoff: this.backoff,
      signal: this.halt.signal,
      onRetry: (r, delayMs, attempt) => {
        if (this.failingSince === undefined) {
          this.failingSince = Date.now();
          this.metrics.failingSince.set(this.labels, this.failingSince / 1000);
        }
        this.lastError = r.error.message;
        this.metrics.retries.inc(this.labels);
        this.updateLag();
        this.log.warn({ err: r.error, delayMs, attempt, records: records.length }, 'sink write failed; retrying');
      },
    });
    switch (result.status) {
      case 'ok':
        this.notFailing();
        this.lastSuccess = Date.now();
        this.metrics.recordsWritten.inc(this.labels, records.length);
        this.metrics.batches.inc(this.labels);
        this.metrics.lastSuccess.set(this.labels, this.lastSuccess / 1000);
        return true;
      case 'retryable':
        return false; // halted while the sink was still failing
      case 'failed': {
        // A rejection is not an outage: the sink answers, so it is not failing.
        this.notFailing();
        if (records.length === 1) {
          rejected.push({ record: records[0]!, offset: offsets[0]!, error: result.error });
          return true;
        }
        this.metrics.splits.inc(this.labels);
        this.log.warn({ err: result.error, records: records.length, offset: offsets[0] }, 'sink rejected a batch; splitting it to find the records it rejects');
        const mid = Math.ceil(records.length / 2);
        return (
          (await this.deliverPart(records.slice(0, mid), offsets.slice(0, mid), rejected)) &&
          (await this.deliverPart(records.slice(mid), offsets.slice(mid), rejected))
        );
      }
      default: {
        const never: never = result;
        throw new Error(`unknown sink result ${JSON.stringify(never)}`);
      }
    }
  }

  private notFailing(): void {
    this.failingSince = undefined;
    this.metrics.failingSince.set(this.labels, 0);
  }

  /** Writes the records the sink rejected to the dead-letter file; retried like a sink outage because it is their only copy. */
  private async park(rejected: readonly DeadLetter[]): Promise<boolean> {
    this.metrics.failures.inc(this.labels);
    this.log.error({ err: rejected[0]!.error, records: rejected.length, offset: rejected[0]!.offset }, 'sink rejected records; writing them to the dead-letter file');
    for (let attempt = 0; !this.halt.signal.aborted; attempt++) {
      try {
        await writeDeadLetter(this.deadLetterDir, this.sink.name, rejected);
        this.metrics.deadLetterRecords.inc(this.labels, rejected.length);
        return true;
      } catch (err) {
        this.log.error({ err }, 'writing the dead-letter file failed; retrying');
        await sleep(backoffDelay(attempt, this.backoff), this.halt.signal);
      }
    }
    return false;
  }

  private writeTimeout(): number {
    if (!this.draining) return this.writeTimeoutMs;
    return Math.max(1, Math.min(this.writeTimeoutMs, this.drainDeadline - Date.now()));
  }

  private async commit(next: number): Promise<void> {
    this.offset = next;
    try {
      await this.spool.commit(this.sink.name, next);
    } catch (err) {
      // Keep going: a lost offset write only means a replay after a restart, which idempotent sinks absorb.
      this.log.error({ err, offset: next }, 'committing the sink offset failed');
    }
    this.updateLag();
    for (const w of [...this.catchUpWaiters]) if (this.offset >= w.target) w.done(true);
  }

  private updateLag(): void {
    this.metrics.lag.set(this.labels, Math.max(0, this.spool.endOffset - this.offset));
  }
}
