// The embedded (default, billing-grade) usage store: one SQLite file in WAL mode, written by its sink, read by queryUsage.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Sink, SinkResult } from '../../collectors/pipeline/sink.js';
import type { UsageRecord } from '../../collectors/pipeline/usage-record.js';
import type { UsageAnswer, UsageQuery, UsageStore, UsageTotal } from '../usage-store.js';
import { compareUsageTotals } from '../usage-order.js';
import { migrate } from './migrations.js';
import { rowsFromColumns, rowsFromRaw } from './read-columns.js';
import { ReadPool } from './read-pool.js';
import { usageSql } from './usage-sql.js';

const MAX_INT64 = 2n ** 63n - 1n;

/** SQLite codes worth another try: another writer holds the lock, the disk is full, an I/O hiccup. */
const RETRYABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|PROTOCOL)/;

export interface EmbeddedStoreOptions {
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * Worker threads that answer queryUsage on read-only connections (default 0: queries run on this thread). Rating
   * a month uses them so SQLite reads the next customers while the engine rates the current one.
   */
  readers?: number;
}

interface UpsertParams {
  id: string;
  source: string;
  device: string;
  subscriber: string;
  session: string | null;
  class: string;
  start_ms: bigint;
  end_ms: bigint;
  bytes_down: bigint;
  bytes_up: bigint;
}

export class EmbeddedStore implements UsageStore {
  readonly name = 'embedded' as const;
  /** The 'embedded' sink over this file. Its close() only stops writes: the store owns the file (close the store). */
  readonly sink: Sink;
  private readonly upsert: Database.Statement<UpsertParams>;
  private readonly writeBatch: (batch: readonly UsageRecord[]) => void;
  /** Usage queries by SQL text: a rating run asks the same few shapes thousands of times. */
  private readonly statements = new Map<string, Database.Statement<Record<string, string | bigint>>>();
  private closed = false;

  private constructor(private readonly db: Database.Database, readonly path: string, private readonly log: Logger, private readonly pool?: ReadPool) {
    // A replay carries the same id: the row is overwritten, never added.
    this.upsert = db.prepare<UpsertParams>(
      `INSERT INTO usage_record (id, source, device, subscriber, session, class, start_ms, end_ms, bytes_down, bytes_up)
       VALUES (@id, @source, @device, @subscriber, @session, @class, @start_ms, @end_ms, @bytes_down, @bytes_up)
       ON CONFLICT (id) DO UPDATE SET source = excluded.source, device = excluded.device, subscriber = excluded.subscriber,
         session = excluded.session, class = excluded.class, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
         bytes_down = excluded.bytes_down, bytes_up = excluded.bytes_up`,
    );
    this.writeBatch = db.transaction((batch: readonly UsageRecord[]) => {
      for (const r of batch) this.upsert.run(toParams(r));
    });
    this.sink = this.createSink();
  }

  /** Opens (creating if needed) the file and brings its schema up to date. */
  static open(path: string, logger: Logger, options: EmbeddedStoreOptions = {}): EmbeddedStore {
    const log = logger.child({ component: 'embedded-store', path });
    let db: Database.Database;
    try {
      // A fresh data dir (a first `bill run` before any `collect`) has no folder yet: SQLite would not make it.
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
    } catch (err) {
      throw new Error(`embedded store ${path}: cannot open the SQLite file`, { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      // FULL, not NORMAL: once write() says ok the spool moves past the batch, so the commit must survive a power cut.
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      const { from, to } = migrate(db, path);
      if (from !== to) log.info({ from, to }, 'embedded store schema migrated');
    } catch (err) {
      db.close();
      throw err instanceof Error && err.message.startsWith('embedded store') ? err : new Error(`embedded store ${path}: cannot prepare the file`, { cause: err });
    }
    const readers = options.readers ?? 0;
    return new EmbeddedStore(db, path, log, readers > 0 ? new ReadPool(path, readers, options.busyTimeoutMs ?? 5000) : undefined);
  }

  private createSink(): Sink {
    let sinkClosed = false;
    return {
      name: 'embedded',
      // better-sqlite3 is synchronous: the time limit is busy_timeout, not timeoutMs.
      write: async (batch: readonly UsageRecord[]): Promise<SinkResult> => {
        if (sinkClosed || this.closed) return { status: 'failed', error: new Error(`embedded sink ${this.path}: write after close`) };
        const bad = batch.find((r) => invalidReason(r) !== undefined);
        if (bad) return { status: 'failed', error: new Error(`embedded sink ${this.path}: record ${bad.id}: ${invalidReason(bad)}`) };
        try {
          this.writeBatch(batch);
          return { status: 'ok' };
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          const error = new Error(`embedded sink ${this.path}: batch of ${batch.length} not written (${typeof code === 'string' ? code : 'error'})`, { cause: err });
          if (typeof code === 'string' && RETRYABLE_CODES.test(code)) {
            this.log.warn({ err: error }, 'embedded write failed; will retry');
            return { status: 'retryable', error };
          }
          this.log.error({ err: error }, 'embedded write rejected');
          return { status: 'failed', error };
        }
      },
      close: async (): Promise<void> => {
        sinkClosed = true;
      },
    };
  }

  async queryUsage(q: UsageQuery): Promise<UsageAnswer> {
    if (this.closed) throw new Error(`embedded store ${this.path}: query after close`);
    const { sql, params, evidence } = usageSql(q);
    let rows: UsageTotal[];
    try {
      // safeIntegers: every INTEGER comes back as bigint, so nothing above 2^53 is rounded. raw(): rows as arrays,
      // not objects (rating a month reads millions of rows; the objects were most of the read's cost).
      rows = this.pool
        ? rowsFromColumns(await this.pool.run(sql, params, q.byClass === true))
        : rowsFromRaw(this.statement(sql).all(params) as unknown[][], q.byClass === true);
    } catch (err) {
      throw new Error(`embedded store ${this.path}: usage query failed`, { cause: err });
    }
    // SQLite orders by UTF-8 bytes; every store orders the same way (UTF-16), so re-sort.
    rows.sort(compareUsageTotals);
    return { rows, query: evidence };
  }

  private statement(sql: string): Database.Statement<Record<string, string | bigint>> {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare<Record<string, string | bigint>>(sql).safeIntegers(true).raw(true);
      this.statements.set(sql, st);
    }
    return st;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool?.close();
    this.db.close();
  }
}

function invalidReason(r: UsageRecord): string | undefined {
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end)) return `start/end are not integer ms (${r.start}, ${r.end})`;
  for (const [name, v] of [['bytesDown', r.bytesDown], ['bytesUp', r.bytesUp]] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_INT64) return `${name} ${String(v)} is outside 0..2^63-1`;
  }
  return undefined;
}

function toParams(r: UsageRecord): UpsertParams {
  return {
    id: r.id,
    source: r.source,
    device: r.device,
    subscriber: r.subscriber,
    session: r.session ?? null,
    class: r.class ?? '',
    start_ms: BigInt(r.start),
    end_ms: BigInt(r.end),
    bytes_down: r.bytesDown,
    bytes_up: r.bytesUp,
  };
}
