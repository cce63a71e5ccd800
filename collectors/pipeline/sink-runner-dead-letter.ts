// The dead-letter file of a sink: records it rejected for good, one JSON line each, kept for a human to replay.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { toJson, type UsageRecord } from './usage-record.js';

export function deadLetterPath(dir: string, sink: string): string {
  return join(dir, `${sink}.jsonl`);
}

/** One rejected record: what the sink said about it and the spool offset of the entry it came in. */
export interface DeadLetter {
  record: UsageRecord;
  offset: number;
  error: Error;
}

/**
 * Appends the records and fsyncs before returning: the runner commits past these records right after, so this file
 * is then their only copy.
 */
export async function writeDeadLetter(dir: string, sink: string, letters: readonly DeadLetter[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const lines = letters.map((l) => JSON.stringify({ at, sink, spoolOffset: l.offset, error: l.error.message, record: toJson(l.record) }) + '\n').join('');
  const fh = await open(deadLetterPath(dir, sink), 'a');
  try {
    await fh.writeFile(lines);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
