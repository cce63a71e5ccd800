// Committed offsets of the spool's named consumers, one small file each under dir/offsets/.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrnoException, writeFileAtomic } from './spool-files.js';

/** A consumer name becomes a file name (and a metric label): keep it to a safe alphabet. */
const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertConsumerName(name: string): void {
  if (!CONSUMER_NAME.test(name)) throw new Error(`spool: bad consumer name "${name}" (letters, digits, ".", "_", "-")`);
}

export async function loadOffsets(dir: string, onBad: (file: string, why: string) => void): Promise<Map<string, number>> {
  const offsets = new Map<string, number>();
  for (const name of await readdir(dir)) {
    if (name.endsWith('.tmp')) {
      // Left by a crash between write and rename; the committed file beside it is still valid.
      await unlink(join(dir, name)).catch(() => undefined);
      continue;
    }
    if (!CONSUMER_NAME.test(name)) continue;
    const text = (await readFile(join(dir, name), 'utf8')).trim();
    const offset = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(offset)) {
      onBad(name, `not an offset: "${text.slice(0, 40)}"`);
      continue;
    }
    offsets.set(name, offset);
  }
  return offsets;
}

/**
 * The rename is not made durable here (no directory fsync): losing it in a crash only replays a batch, which
 * sinks absorb because records are idempotent. The spool fsyncs the directory before it deletes a segment.
 */
export async function writeOffset(dir: string, name: string, offset: number): Promise<void> {
  await writeFileAtomic(join(dir, name), `${offset}\n`, { syncDir: false });
}

export async function removeOffset(dir: string, name: string): Promise<void> {
  try {
    await unlink(join(dir, name));
  } catch (e) {
    if (!(isErrnoException(e) && e.code === 'ENOENT')) throw e;
  }
}
