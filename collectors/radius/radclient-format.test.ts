// radclient input format and fixture generator tests: parsing, round trip, determinism, expected totals.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_OPTIONS, generateSessions } from '../../scripts/gen-radius-fixtures.js';
import { formatRadclientInput, parseRadclientInput } from './radclient-format.js';

describe('radclient input format', () => {
  it('parses blocks, comma-separated pairs, quotes, escapes and comments', () => {
    const text = [
      '# a comment',
      'User-Name = "WISP\\\\bob", Acct-Status-Type = Start',
      'Acct-Session-Id = "a \\"quoted\\" id"  # trailing comment',
      'Packet-Dst-Port = 1813',
      '',
      '',
      'Acct-Status-Type = Accounting-On',
      '',
    ].join('\n');
    expect(parseRadclientInput(text)).toEqual([
      [{ name: 'User-Name', value: 'WISP\\bob' }, { name: 'Acct-Status-Type', value: 'Start' }, { name: 'Acct-Session-Id', value: 'a "quoted" id' }],
      [{ name: 'Acct-Status-Type', value: 'Accounting-On' }],
    ]);
    expect(() => parseRadclientInput('User-Name "x"')).toThrow(/line 1/);
  });

  it('round-trips what it formats', () => {
    const packets = generateSessions({ sessions: 3, interims: 1, seed: 1 }).packets;
    const back = parseRadclientInput(formatRadclientInput(packets));
    expect(back).toEqual(packets.map((p) => p.map((a) => ({ name: a.name, value: String(a.value) }))));
  });
});

describe('generateSessions', () => {
  it('is deterministic and matches the committed demo fixture', () => {
    const g = generateSessions(DEMO_OPTIONS);
    expect(generateSessions(DEMO_OPTIONS)).toEqual(g);
    const committed = readFileSync('fixtures/radius/demo.txt', 'utf8');
    expect(committed.endsWith(g.text)).toBe(true);
    const expected = JSON.parse(readFileSync('fixtures/radius/demo.expected.json', 'utf8')) as { subscribers: unknown };
    expect(expected.subscribers).toEqual(g.expected.subscribers);
  });

  it('has an Accounting-On, realms, and a session past 4 GiB; timestamps follow startTime', () => {
    const g = generateSessions({ sessions: 50, interims: 3, seed: 5, startTime: 1_900_000_000 });
    expect(g.packets).toHaveLength(1 + 50 * 5);
    expect(g.packets[0]).toContainEqual({ name: 'Acct-Status-Type', value: 'Accounting-On' });
    expect(g.packets[0]).toContainEqual({ name: 'Event-Timestamp', value: 1_900_000_000 });
    expect(g.text).toMatch(/Acct-Output-Gigawords = [1-9]/);
    expect(g.text).toContain('@wisp.example');
    expect(g.text).toContain('WISP\\\\');
    const sum = Object.values(g.expected.subscribers).reduce((s, t) => s + BigInt(t.bytesDown), 0n);
    expect(sum.toString()).toBe(g.expected.totals.bytesDown);
  });
});
