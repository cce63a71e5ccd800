// The real tools the renderer tests run (xmllint and poppler's pdftotext, pdftoppm, pdfinfo, pdffonts): found, or a failure naming the Debian package.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

const PACKAGES = { xmllint: 'libxml2-utils', pdftotext: 'poppler-utils', pdftoppm: 'poppler-utils', pdfinfo: 'poppler-utils', pdffonts: 'poppler-utils' } as const;
export type Tool = keyof typeof PACKAGES;

/** Runs a tool; a missing tool fails with the package to install (the tests never skip). */
export function run(tool: Tool, args: readonly string[], input?: Buffer | string): SpawnSyncReturns<Buffer> {
  const r = spawnSync(tool, args, { input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${tool} is not installed: apt-get install ${PACKAGES[tool]} (scripts/test.sh installs it)`);
  }
  if (r.error) throw r.error;
  return r;
}
