// Worker threads with read-only connections to the embedded store: usage queries run beside the rating engine
// instead of blocking it (better-sqlite3 is synchronous), one query at a time per worker, least busy first.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../collectors/pipeline/module-worker.js';
import type { ReadRequest, ReadResponse, ReadWorkerData, RowColumns } from './read-columns.js';

interface Pending {
  resolve: (cols: RowColumns) => void;
  reject: (err: Error) => void;
}

interface Reader {
  worker: Worker;
  pending: Map<number, Pending>;
}

function spawnReader(data: ReadWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'read-worker', { workerData: data });
}

export class ReadPool {
  private readonly readers: Reader[];
  private nextId = 1;
  private failed: Error | undefined;

  constructor(readonly path: string, size: number, busyTimeoutMs: number) {
    const data: ReadWorkerData = { path, busyTimeoutMs };
    this.readers = Array.from({ length: size }, () => {
      const reader: Reader = { worker: spawnReader(data), pending: new Map() };
      reader.worker.on('message', (res: ReadResponse) => {
        const p = reader.pending.get(res.id);
        if (!p) return;
        reader.pending.delete(res.id);
        if (reader.pending.size === 0) reader.worker.unref();
        if ('columns' in res) p.resolve(res.columns);
        else p.reject(Object.assign(new Error(res.error.message), res.error.code ? { code: res.error.code } : {}));
      });
      const fail = (err: Error) => {
        this.failed ??= err;
        for (const p of reader.pending.values()) p.reject(err);
        reader.pending.clear();
      };
      reader.worker.on('error', (err) => fail(new Error(`embedded store ${path}: read worker failed`, { cause: err })));
      reader.worker.on('exit', (code) => fail(new Error(`embedded store ${path}: read worker exited (${code})`)));
      // Idle readers must not keep a finished CLI run alive; a reader with queries in flight does (run() refs it).
      reader.worker.unref();
      return reader;
    });
  }

  /** Runs one usage query on the least busy reader. */
  run(sql: string, params: ReadRequest['params'], byClass: boolean): Promise<RowColumns> {
    if (this.failed) return Promise.reject(this.failed);
    let reader = this.readers[0]!;
    for (const r of this.readers) if (r.pending.size < reader.pending.size) reader = r;
    const id = this.nextId++;
    return new Promise<RowColumns>((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      reader.worker.ref();
      const req: ReadRequest = { id, sql, params, byClass };
      reader.worker.postMessage(req);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error(`embedded store ${this.path}: closed`);
    await Promise.all(this.readers.map((r) => r.worker.terminate()));
  }
}
