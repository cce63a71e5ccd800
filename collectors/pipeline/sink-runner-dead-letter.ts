// The dead-letter file of a sink: records it rejected for good, one JSON line each, kept for a human to replay.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { toJson, type UsageRecord } from './usage-record.js';

export function deadLetterPath(dir: string, sink: string): string {
  return join(dir, `${sink}.jsonl`);
}

/**
 * Appends the batch and fsyncs before returning: the runner commits past these records right after, so this file
 * is then their only copy.
 */
export async function writeDeadLetter(dir: string, sink: string, batch: readonly UsageRecord[], error: Error, spoolOffset: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const lines = batch.map((r) => JSON.stringify({ at, sink, spoolOffset, error: error.message, record: toJson(r) }) + '\n').join('');
  const fh = await open(deadLetterPath(dir, sink), 'a');
  try {
    await fh.writeFile(lines);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
