// Durable small-file writes for the spool: a file replaced atomically, a directory entry made durable.
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory so a create, rename or unlink in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash leaves either the old or the new content, never a mix:
 * write a temp file, fsync it, rename it over, and (when asked) fsync the directory for the rename itself.
 */
export async function writeFileAtomic(path: string, data: string, opts: { syncDir: boolean }): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (opts.syncDir) await fsyncDir(dirname(path));
}

export function isErrnoException(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
