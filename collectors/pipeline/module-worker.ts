// Starts a worker thread on a module beside the caller, compiled or not: the embedded store's readers, the PDF
// pool and the NetFlow receive thread all do.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `name` (e.g. "read-worker") from the caller's folder (`from` = the caller's import.meta.url).
 * Built, that is the .js beside the caller. Under tsx or vitest (tests, benches) it is the .ts source, which a worker
 * thread cannot load by itself (a worker's --import does not reach its own entry in Node 20): a two-line bootstrap
 * registers tsx in the thread first.
 */
export function startModuleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, from).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
