// Profiles read walked columns: which counters, which direction, which subscriber key; auto-selection by sysObjectID.
import { describe, expect, it } from 'vitest';
import { subscriberRulesSchema } from '../config.js';
import type { Cell, Column } from '../snmp-client.js';
import { airmaxStationProfile, macFromIndex } from './airmax-station.js';
import { ifMibProfile } from './if-mib.js';
import { mikrotikQueueProfile, targetAddress } from './mikrotik-queue.js';
import { resolveProfiles } from './registry.js';

const RULES = subscriberRulesSchema.parse({});
const c32 = (v: bigint): Cell => ({ kind: 'counter32', value: v });
const c64 = (v: bigint): Cell => ({ kind: 'counter64', value: v });
const str = (s: string): Cell => ({ kind: 'octets', value: Buffer.from(s) });
const int = (v: bigint): Cell => ({ kind: 'integer', value: v });
const col = (entries: [string, Cell][]): Column => new Map(entries);

describe('if-mib', () => {
  // ifDescr, ifOperStatus, ifInOctets, ifOutOctets, ifName, ifHCInOctets, ifHCOutOctets, ifAlias, ifCounterDiscontinuityTime
  const columns = [
    col([['1', str('ether1')], ['2', str('ether2')], ['3', str('wlan1')]]),
    col([['1', int(1n)], ['2', int(2n)], ['3', int(1n)]]),
    col([['1', c32(10n)], ['2', c32(20n)], ['3', c32(30n)]]),
    col([['1', c32(11n)], ['2', c32(21n)]]),
    col([['1', str('ether1')], ['2', str('ether2')]]),
    col([['1', c64(10_000_000_000n)]]),
    col([['1', c64(11_000_000_000n)]]),
    col([['1', str('cust:1234')], ['2', str('uplink')]]),
    col([['1', { kind: 'timeticks', value: 42n }]]),
  ];

  it('prefers the 64-bit pair, falls back to the 32-bit one, skips an interface without counters', () => {
    const r = ifMibProfile.read(columns, RULES);
    expect(r.rows.map((x) => [x.key, x.down, x.up, x.subscriberKey])).toEqual([
      // Facing the subscriber: out is download.
      ['if:1', { value: 11_000_000_000n, width: 64 }, { value: 10_000_000_000n, width: 64 }, 'cust:1234'],
      ['if:2', { value: 21n, width: 32 }, { value: 20n, width: 32 }, 'uplink'],
    ]);
    expect(r.rows[0]!.discontinuity).toBe(42n);
    expect(r.rows.map((x) => x.health.oper_up)).toEqual([1, 0]);
    expect(r.skipped).toEqual({ if_no_counters: 1 });
  });

  it('swaps directions for an interface facing upstream, and reads the name instead of the alias when told', () => {
    const rules = subscriberRulesSchema.parse({ 'if-mib': { from: 'name', facing: 'upstream' } });
    const r = ifMibProfile.read(columns, rules);
    expect(r.rows[0]).toMatchObject({ subscriberKey: 'ether1', down: { value: 10_000_000_000n }, up: { value: 11_000_000_000n } });
  });
});

describe('mikrotik-queue', () => {
  it('reads BytesOut as download and BytesIn as upload, the target as address or prefix', () => {
    const ip = (s: string): Cell => ({ kind: 'ip', value: s });
    const r = mikrotikQueueProfile.read([
      col([['7', str('cust-alice')], ['8', str('cust-net')]]),
      col([['7', ip('10.0.5.2')], ['8', ip('10.0.6.0')]]),
      col([['7', ip('255.255.255.255')], ['8', ip('255.255.255.248')]]),
      col([['7', c64(100n)], ['8', c64(1n)]]),
      col([['7', c64(900n)], ['8', c64(2n)]]),
    ], subscriberRulesSchema.parse({ 'mikrotik-queue': { from: 'target' } }));
    expect(r.rows.map((x) => [x.key, x.label, x.subscriberKey, x.down.value, x.up.value])).toEqual([
      ['queue:7', 'cust-alice', '10.0.5.2', 900n, 100n],
      ['queue:8', 'cust-net', '10.0.6.0/29', 2n, 1n],
    ]);
    expect(targetAddress('0.0.0.0', '0.0.0.0')).toBeUndefined();
  });
});

describe('airmax-station', () => {
  it('reads tx as download, the MAC from the index, and the gauges', () => {
    const idx = '1.4.24.214.170.187.204';
    const r = airmaxStationProfile.read([
      col([[idx, str('house-12')]]), col([[idx, int(-63n)]]), col([[idx, int(91n)]]), col([[idx, int(78n)]]),
      col([[idx, c64(5000n)]]), col([[idx, c64(700n)]]), col([[idx, int(130_000n)]]), col([[idx, int(90_000n)]]),
    ], RULES);
    expect(r.rows).toEqual([{
      key: `sta:${idx}`, label: '04:18:d6:aa:bb:cc', subscriberKey: '04:18:d6:aa:bb:cc',
      down: { value: 5000n, width: 64 }, up: { value: 700n, width: 64 },
      health: { signal_dbm: -63, ccq_percent: 91, airmax_capacity_percent: 78, tx_capacity_kbps: 130_000, rx_capacity_kbps: 90_000 },
    }]);
  });

  it("puts the station's radio noise floor on it, and the radio table's own index makes no row", () => {
    const idx = '1.4.24.214.170.187.204';
    const other = '2.4.24.214.170.187.205'; // a station on radio 2, which reports no noise floor
    const both = (a: Cell, b: Cell) => col([[idx, a], [other, b]]);
    const r = airmaxStationProfile.read([
      both(str('a'), str('b')), col([]), col([]), col([]), both(c64(1n), c64(2n)), both(c64(1n), c64(2n)), col([]), col([]),
      col([['1', int(-95n)]]), // ubntWlStatNoiseFloor of radio 1
    ], RULES);
    expect(r.skipped).toEqual({});
    expect(r.rows.map((row) => [row.key, row.health])).toEqual([[`sta:${idx}`, { noise_floor_dbm: -95 }], [`sta:${other}`, {}]]);
  });

  it('refuses an index that is not radio + 6 octets', () => {
    expect(macFromIndex('1.4.24.214')).toBeUndefined();
    expect(macFromIndex('1.4.24.214.170.187.999')).toBeUndefined();
    const r = airmaxStationProfile.read([col([]), col([]), col([]), col([]), col([['1.2.3', c64(1n)]]), col([['1.2.3', c64(1n)]]), col([]), col([])], RULES);
    expect(r).toEqual({ rows: [], skipped: { station_bad_index: 1 } });
  });
});

describe('resolveProfiles', () => {
  it.each([
    ['.1.3.6.1.4.1.14988.1', ['if-mib', 'mikrotik-queue']],
    ['1.3.6.1.4.1.41112.1.4', ['if-mib', 'airmax-station']],
    ['1.3.6.1.4.1.10002.1', ['if-mib', 'airmax-station']],
    ['1.3.6.1.4.1.8072.3.2.10', ['if-mib']],
    [undefined, ['if-mib']],
  ])('auto for %s', (oid, want) => {
    expect(resolveProfiles(['auto'], oid)).toEqual(want);
  });

  it('keeps explicit profiles and does not take 149880 for MikroTik', () => {
    expect(resolveProfiles(['airmax-station'], '1.3.6.1.4.1.14988.1')).toEqual(['airmax-station']);
    expect(resolveProfiles(['auto'], '1.3.6.1.4.1.149880.1')).toEqual(['if-mib']);
  });
});
