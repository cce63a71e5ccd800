// API rows → readings: each table's direction, the PPP session ↔ interface join, skipped and malformed rows,
// duplicate keys, RouterOS durations, and the subscriber rules.
import { describe, expect, it } from 'vitest';
import { subscriberRulesSchema } from './config.js';
import { compileRules } from './subscriber-rules.js';
import { parseUptime, readTables, type DeviceRows } from './table-readings.js';

describe('readTables', () => {
  const all = { tables: ['queues', 'ppp', 'hotspot', 'interfaces'] as const, dynamicQueues: false };

  it('names directions from the subscriber: queue upload/download, hotspot in/out, interface rx/tx', () => {
    const r = readTables({
      queues: [{ '.id': '*1', name: 'alice', dynamic: 'false', bytes: '111/999' }],
      hotspot: [{ '.id': '*2', user: 'erin', uptime: '5m', 'bytes-in': '22', 'bytes-out': '888' }],
      interfaces: [{ '.id': '*3', name: 'vlan7', type: 'vlan', comment: 'cust:frank', 'rx-byte': '33', 'tx-byte': '777' }],
    }, all);
    expect(r.readings.map((x) => [x.table, x.key, x.up, x.down])).toEqual([
      ['queues', 'alice', 111n, 999n],
      ['hotspot', 'erin', 22n, 888n],
      ['interfaces', 'vlan7', 33n, 777n],
    ]);
    expect(r.readings[1]!.startedAgoMs).toBe(300_000);
  });

  it('reads a PPP session from its <service-name> interface, and leaves those interfaces to the ppp table', () => {
    const r = readTables({
      ppp: [
        { '.id': '*80000001', name: 'bob', service: 'pppoe', uptime: '1h2m3s', 'session-id': '0x81400001' },
        { '.id': '*80000002', name: 'joe', service: 'l2tp', uptime: '10s', 'session-id': '0x81400002' },
      ],
      interfaces: [
        { '.id': '*F1', name: '<pppoe-bob>', type: 'pppoe-in', dynamic: 'true', 'rx-byte': '10', 'tx-byte': '90' },
        { '.id': '*F2', name: 'ether1', type: 'ether', 'rx-byte': '1', 'tx-byte': '1' },
      ],
    }, all);
    expect(r.readings.map((x) => [x.table, x.key, x.identity, x.up, x.down, x.startedAgoMs])).toEqual([
      ['ppp', 'bob', '*80000001|0x81400001|*F1', 10n, 90n, 3_723_000],
      ['interfaces', 'ether1', '*F2', 1n, 1n, undefined],
    ]);
    // joe's interface is not in this print yet (the session started between the two prints): next poll.
    expect(r.skipped).toEqual({ ppp: 1, interfaces: 1 });
    // Without the ppp table, PPP interfaces are interfaces like any other.
    const ifOnly = readTables({ interfaces: [{ '.id': '*F1', name: '<pppoe-bob>', type: 'pppoe-in', 'rx-byte': '10', 'tx-byte': '90' }] }, { tables: ['interfaces'], dynamicQueues: false });
    expect(ifOnly.readings.map((x) => x.key)).toEqual(['<pppoe-bob>']);
  });

  it('skips dynamic queues unless asked, and counts malformed rows without failing the rest', () => {
    const rows: DeviceRows = {
      queues: [
        { '.id': '*1', name: '<pppoe-bob>', dynamic: 'true', bytes: '1/2' },
        { '.id': '*2', name: 'bad', dynamic: 'false', bytes: '12' },
        { name: 'no-id', dynamic: 'false', bytes: '1/2' },
        { '.id': '*4', name: 'big', dynamic: 'false', bytes: '18446744073709551615/0' },
      ],
      hotspot: [{ '.id': '*5', user: 'x', uptime: 'soon', 'bytes-in': '1', 'bytes-out': '1' }],
    };
    const r = readTables(rows, all);
    expect(r.readings.map((x) => [x.key, x.up])).toEqual([['big', 2n ** 64n - 1n]]);
    expect(r.malformed).toEqual({ queues: 2, hotspot: 1 });
    expect(r.skipped).toEqual({ queues: 1 });
    expect(readTables(rows, { ...all, dynamicQueues: true }).readings.map((x) => x.key)).toEqual(['<pppoe-bob>', 'big']);
  });

  it('gives a second row with the same key its own key', () => {
    const r = readTables({ hotspot: [
      { '.id': '*1', user: 'shared', uptime: '1m', 'bytes-in': '1', 'bytes-out': '1' },
      { '.id': '*2', user: 'shared', uptime: '2m', 'bytes-in': '2', 'bytes-out': '2' },
    ] }, all);
    expect(r.readings.map((x) => x.key)).toEqual(['shared', 'shared#*2']);
  });
});

describe('parseUptime', () => {
  it.each([
    ['0s', 0],
    ['45s', 45_000],
    ['1w2d3h4m5s', ((7 + 2) * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000],
    ['3h2m1s230ms', (3 * 3600 + 2 * 60 + 1) * 1000 + 230],
    ['2d03:04:05', (2 * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000],
    ['00:00:09', 9000],
  ])('%s is %i ms', (s, ms) => {
    expect(parseUptime(s)).toBe(ms);
  });

  it.each(['', 'soon', '5x', '1h 2m', '-3s'])('refuses %j', (s) => {
    expect(parseUptime(s)).toBeUndefined();
  });
});

describe('subscriber rules', () => {
  const section = subscriberRulesSchema.parse({
    queues: { from: 'target', pattern: '^([\\d.]+)/32$', map: { '10.0.5.2': 'alice' } },
    interfaces: {},
  });

  it('applies field, pattern and map; unlisted or unmatched keys map to nobody', () => {
    const of = compileRules(section);
    expect(of('queues', { target: '10.0.5.2/32' })).toBe('alice');
    expect(of('queues', { target: '10.0.5.3/32' })).toBeUndefined();
    expect(of('queues', { target: '10.0.5.0/24' })).toBeUndefined();
    expect(of('ppp', { name: 'bob@realm' })).toBe('bob@realm');
    expect(of('interfaces', { comment: 'cust:frank' })).toBe('frank');
    expect(of('interfaces', { comment: 'cust:frank uplink' })).toBeUndefined();
    expect(of('interfaces', { comment: 'transit' })).toBeUndefined();
    expect(of('hotspot', { user: '' })).toBeUndefined();
  });

  it('lets a device replace one table rule', () => {
    const of = compileRules(section, { ppp: subscriberRulesSchema.shape.ppp.parse({ pattern: '^([^@]+)@' }) });
    expect(of('ppp', { name: 'bob@realm' })).toBe('bob');
    expect(of('queues', { target: '10.0.5.2/32' })).toBe('alice');
  });
});
