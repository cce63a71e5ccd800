import { describe, expect, it } from 'vitest';
import { DropLog } from './drop-log.js';

describe('DropLog', () => {
  it('logs at most one line per reason per 10 s, carrying the count, and the rest on flush', () => {
    const lines: { o: { reason: string; count: number }; msg: string }[] = [];
    const logger = { warn: (o: { reason: string; count: number }, msg: string) => lines.push({ o, msg }) };
    let now = 0;
    const log = new DropLog<'bad_authenticator' | 'too_short'>(logger as never, 'radius packet dropped', 10_000, () => now);
    for (let i = 0; i < 5; i++) log.drop('bad_authenticator', { source: '10.0.0.1:1' });
    log.drop('too_short', { source: '10.0.0.1:1' });
    now = 10_000;
    log.drop('bad_authenticator', { source: '10.0.0.1:1' });
    log.drop('bad_authenticator', { source: '10.0.0.1:1' });
    log.flush();
    expect(lines.map((l) => [l.o.reason, l.o.count])).toEqual([
      ['bad_authenticator', 1], ['too_short', 1], ['bad_authenticator', 5], ['bad_authenticator', 1],
    ]);
    expect(lines[0]!.msg).toBe('radius packet dropped: bad_authenticator');
  });
});
