// Prometheus gauge of the embedded store's size on disk (wispmeter_embedded_store_bytes): it keeps every record.
import { statSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';

/** The SQLite file plus its write-ahead log, read at scrape time. */
export function registerEmbeddedStoreMetrics(registry: Registry, path: string): void {
  new Gauge({
    name: 'wispmeter_embedded_store_bytes',
    help: 'Size of the embedded SQLite store on disk (file + WAL); it has no retention, usage is kept for billing.',
    registers: [registry],
    collect() {
      let bytes = 0;
      for (const f of [path, `${path}-wal`]) {
        try {
          bytes += statSync(f).size;
        } catch {
          // no WAL between checkpoints
        }
      }
      this.set(bytes);
    },
  });
}
