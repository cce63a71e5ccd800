// Child process of spool-crash.test.ts: appends as fast as it can and prints each id once its append resolved.
import { pino } from 'pino';
import { Spool } from './spool.js';

const [dir, round] = process.argv.slice(2);
if (!dir || !round) throw new Error('usage: spool-crash-child.ts <dir> <round>');

const spool = await Spool.open(dir, { maxBytes: 1 << 30, segmentBytes: 64 * 1024, logger: pino({ level: 'warn' }, process.stderr) });
process.stdout.write('ready\n');
// Runs until the parent kills it with SIGKILL.
await Promise.all(
  Array.from({ length: 16 }, async (_, a) => {
    for (let i = 0; ; i++) {
      const id = `${round}:${a}:${i}`;
      await spool.append({
        records: [{ id, source: 'radius', device: 'nas1', subscriber: `sub${a}`, start: i, end: i + 1, bytesDown: BigInt(i), bytesUp: 0n }],
        state: [{ scope: 'crash', key: `${round}:${a}`, value: i }],
      });
      process.stdout.write(`${id}\n`);
    }
  }),
);
