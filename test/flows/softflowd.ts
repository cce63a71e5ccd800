// A real NetFlow/IPFIX exporter for tests: softflowd replays a capture made by ../shared/tools/mkpcap.py.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../wispmeter/collector-process.js';
import { findBinary } from '../servers/server-process.js';

const run = promisify(execFile);

/** mkpcap.py ships in shared/tools beside the checkout (the workplace's tools folder, also present in CI). */
export const MKPCAP = join(ROOT, '..', 'shared', 'tools', 'mkpcap.py');

/** Per subscriber address: bytes to it ("in") and from it ("out"), as mkpcap counts them (IP total length). */
export type Truth = Record<string, { in: number; out: number }>;

/** Writes a deterministic capture and returns mkpcap's own per-address totals. */
export async function makeCapture(out: string, opts: { subs: number; packets: number; seed: number; start: number; span: number }): Promise<Truth> {
  if (!existsSync(MKPCAP)) throw new Error(`${MKPCAP} is missing: the flow tests need the shared tools folder beside the checkout`);
  const { stdout } = await run('python3', [MKPCAP, out, '--subs', String(opts.subs), '--packets', String(opts.packets), '--seed', String(opts.seed), '--start', String(opts.start), '--span', String(opts.span)], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Truth;
}

/**
 * softflowd -r reads the capture, exports every flow (it expires all at the end of the file) and exits.
 * `version` 5, 9 or 10 (IPFIX). -d keeps it in the foreground; -A milli makes v9/IPFIX send absolute times.
 */
export async function replayWithSoftflowd(capture: string, target: string, version: 5 | 9 | 10): Promise<string> {
  const binary = findBinary('softflowd', 'apt-get install softflowd');
  const { stdout, stderr } = await run(binary, ['-r', capture, '-n', target, '-v', String(version), '-d'], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout + stderr;
}

export function readTruth(file: string): Truth {
  return JSON.parse(readFileSync(file, 'utf8')) as Truth;
}
