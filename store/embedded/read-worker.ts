// A read-only connection to the embedded store in a worker thread: runs usage queries and sends the rows back as
// columns in transferable buffers, so the main thread neither waits on SQLite nor deserializes millions of values.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { packRows, type ReadRequest, type ReadResponse, type ReadWorkerData } from './read-columns.js';

const { path, busyTimeoutMs } = workerData as ReadWorkerData;
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const statements = new Map<string, Database.Statement<Record<string, string | bigint>>>();

parentPort!.on('message', (req: ReadRequest) => {
  let res: ReadResponse;
  try {
    let st = statements.get(req.sql);
    if (!st) {
      st = db.prepare<Record<string, string | bigint>>(req.sql).safeIntegers(true).raw(true);
      statements.set(req.sql, st);
    }
    const columns = packRows(st.all(req.params) as unknown[][], req.byClass);
    res = { id: req.id, columns };
    // Freshly allocated (never shared), so every buffer is an ArrayBuffer and moves without a copy.
    const buffers = [columns.time, columns.down, columns.up, columns.subscriber, columns.class].map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage(res, buffers);
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    res = { id: req.id, error: { message: String(e.message ?? err), ...(typeof e.code === 'string' ? { code: e.code } : {}) } };
    parentPort!.postMessage(res);
  }
});
