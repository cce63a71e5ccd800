// A device's failures are logged once per distinct message, repeats at most once per interval with their count.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FailureLog } from './failure-log.js';

describe('FailureLog', () => {
  it('logs a new message at once, a repeat only after the interval with the count in between', () => {
    const lines: { msg: string; repeatedSinceLastLog: number }[] = [];
    const logger = pino(new Writable({ write(c: Buffer, _e, done) { lines.push(JSON.parse(c.toString()) as never); done(); } }));
    let t = 0;
    const log = new FailureLog(logger, 600_000, () => t);
    log.failed('A', {});
    for (let i = 0; i < 5; i++) {
      t += 60_000;
      log.failed('A', {});
    }
    expect(lines.map((l) => l.msg)).toEqual(['A']);
    t += 300_000; // 11 min after the first line
    log.failed('A', {});
    log.failed('B', {});
    log.reset();
    log.failed('B', {});
    expect(lines.map((l) => [l.msg, l.repeatedSinceLastLog])).toEqual([['A', 0], ['A', 5], ['B', 0], ['B', 0]]);
  });
});
