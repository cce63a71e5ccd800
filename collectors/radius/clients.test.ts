// NAS lookup tests: most specific prefix wins, IPv4-mapped IPv6 sources match IPv4 prefixes, families stay apart.
import { describe, expect, it } from 'vitest';
import { ClientTable } from './clients.js';

describe('ClientTable', () => {
  const table = new ClientTable([
    { name: 'pop', address: '10.0.0.0/8', secret: 'a' },
    { name: 'tower-3', address: '10.3.0.0/16', secret: 'b' },
    { name: 'core', address: '10.3.0.1', secret: 'c' },
    { name: 'v6-pop', address: '2001:db8::/32', secret: 'd' },
    { name: 'v6-host', address: '2001:db8::1', secret: 'e' },
  ]);

  it.each([
    ['10.9.9.9', 'pop'],
    ['10.3.200.1', 'tower-3'],
    ['10.3.0.1', 'core'],
    ['::ffff:10.3.0.1', 'core'],
    ['::ffff:10.9.0.1', 'pop'],
    ['2001:db8::1', 'v6-host'],
    ['2001:db8:0:0::2', 'v6-pop'],
    ['11.0.0.1', undefined],
    ['::a03:1', undefined], // IPv4-compatible (deprecated) is not IPv4-mapped
    ['not-an-ip', undefined],
  ])('%s → %s', (addr, name) => {
    expect(table.lookup(addr)?.name).toBe(name);
  });
});
