// Attribution and classes: longest prefix across leases and static entries, lease time windows, IPv6.
import { describe, expect, it } from 'vitest';
import type { Lease } from '../pipeline/lease.js';
import { SubscriberMap } from './attribution.js';
import { PrefixTable } from './prefix-table.js';
import { DEFAULT_CLASS, TrafficClassifier } from './traffic-class.js';
import { ipv4 } from './testdata/packets.js';
import { mulberry32 } from '../../scripts/prng.js';

const lease = (subscriber: string, prefix: string, from: number, to?: number): Lease => ({
  subscriber, prefix, kind: prefix.includes(':') ? 'delegated-ipv6-prefix' : 'framed-ip', device: 'nas', session: `s-${subscriber}`, from, ...(to === undefined ? {} : { to }),
});
const flow = (srcAddr: string, dstAddr: string, start = 1000, end = start) => ({ srcAddr, dstAddr, start, end });

describe('PrefixTable', () => {
  it('matches the longest prefix, IPv4 and IPv6, odd lengths, IPv4-mapped IPv6', () => {
    const t = new PrefixTable<string>();
    expect(t.add('10.0.0.0/8', 'a')).toBe(true);
    t.add('10.1.0.0/17', 'b');
    t.add('10.1.2.3', 'c');
    t.add('2001:db8::/32', 'v6');
    t.add('2001:db8:ab00::/41', 'v6-long');
    expect(t.add('10.0.0.0/33', 'x')).toBe(false);
    expect(t.lookup('10.1.2.3')).toEqual({ value: 'c', bits: 32 });
    expect(t.lookup('10.1.127.1')?.value).toBe('b');
    expect(t.lookup('10.1.128.1')?.value).toBe('a');
    expect(t.lookup('::ffff:10.1.2.3')?.value).toBe('c');
    expect(t.lookup('2001:db8:ab7f::1')?.value).toBe('v6-long');
    expect(t.lookup('2001:db8:ab80::1')?.value).toBe('v6');
    expect(t.lookup('11.0.0.1')).toBeUndefined();
    expect(t.lookup('not an address')).toBeUndefined();
    expect(t.lookup('1.2.3')).toBeUndefined();
    expect(t.lookup('10.1.2.256')).toBeUndefined();
    expect(t.lookup('10.1.2.3.4')).toBeUndefined();
  });

  it('a /0 matches everything of its family only', () => {
    const t = new PrefixTable<string>();
    t.add('0.0.0.0/0', 'all4');
    t.add('255.255.255.255', 'bcast');
    expect(t.lookup('192.0.2.1')).toEqual({ value: 'all4', bits: 0 });
    expect(t.lookup('255.255.255.255')).toEqual({ value: 'bcast', bits: 32 });
    expect(t.lookup('2001:db8::1')).toBeUndefined();
  });
});

describe('SubscriberMap', () => {
  const map = new SubscriberMap(
    [{ prefix: '203.0.113.0/28', subscriber: 'static-co' }, { prefix: '100.64.0.0/16', subscriber: 'pool-default' }],
    [
      lease('alice', '100.64.0.10', 0, 5000),
      lease('bob', '100.64.0.10', 5000), // the same address, handed to bob when alice's session closed
      lease('carol', '2001:db8:1::/48', 0),
    ],
  );

  it('destination is down, source is up, with the remote end for classes', () => {
    expect(map.attribute(flow('198.51.100.1', '100.64.0.10'))).toEqual({ kind: 'subscriber', subscriber: 'alice', direction: 'down', remote: '198.51.100.1' });
    expect(map.attribute(flow('203.0.113.5', '198.51.100.1'))).toEqual({ kind: 'subscriber', subscriber: 'static-co', direction: 'up', remote: '198.51.100.1' });
    expect(map.attribute(flow('2001:db8:1:2::9', '2001:db8:ffff::1'))).toMatchObject({ subscriber: 'carol', direction: 'up' });
  });

  it('picks the lease valid at the flow time; a /32 lease beats the /16 static pool', () => {
    expect(map.subscriberAt('100.64.0.10', 4999)).toBe('alice');
    expect(map.subscriberAt('100.64.0.10', 5000)).toBe('bob');
    expect(map.subscriberAt('100.64.0.11', 5000)).toBe('pool-default');
    // A flow ending after alice's lease and before any other: attributed at its start.
    const m = new SubscriberMap([], [lease('alice', '100.64.0.10', 0, 5000)]);
    expect(m.attribute(flow('198.51.100.1', '100.64.0.10', 4000, 6000))).toMatchObject({ subscriber: 'alice' });
    expect(m.attribute(flow('198.51.100.1', '100.64.0.10', 6000, 7000))).toEqual({ kind: 'unattributed' });
  });

  it('counts subscriber-to-subscriber traffic as internal and unknown ends as unattributed', () => {
    expect(map.attribute(flow('203.0.113.1', '100.64.0.10'))).toEqual({ kind: 'internal', down: 'alice', up: 'static-co' });
    expect(map.attribute(flow('198.51.100.1', '198.51.100.2'))).toEqual({ kind: 'unattributed' });
  });
});

describe('SubscriberMap memo (IPv4 answers with the time range they hold over)', () => {
  const a = ipv4('100.64.0.10');

  it('a lease that ends mid-stream: later flows are not given the memoized subscriber, earlier ones still are', () => {
    const m = new SubscriberMap([{ prefix: '100.64.0.0/16', subscriber: 'pool-default' }], [lease('alice', '100.64.0.10', 1000, 5000)]);
    const times = [1000, 4999, 5000, 9000, 4000, 999, 0, 1000];
    expect(times.map((t) => m.subscriberAt(a, t))).toEqual(['alice', 'alice', 'pool-default', 'pool-default', 'alice', 'pool-default', 'pool-default', 'alice']);
    // A flow that ends after the lease: attributed at its start, asked after the end's answer was memoized.
    const n = new SubscriberMap([], [lease('alice', '100.64.0.10', 0, 5000)]);
    expect(n.subscriberAt(a, 6000)).toBeUndefined();
    expect(n.subscriberOf(a, 4000, 6000)).toBe('alice');
    expect(n.subscriberOf(a, 6000, 7000)).toBeUndefined();
  });

  it('static-only and uncovered addresses answer the same at any time, including the second lookup at the start', () => {
    const m = new SubscriberMap([{ prefix: '203.0.113.0/28', subscriber: 'static-co' }], [lease('alice', '100.64.0.10', 0, 5000)]);
    expect(m.subscriberOf(ipv4('203.0.113.5'), 0, 1e13)).toBe('static-co');
    expect(m.subscriberOf(ipv4('198.51.100.1'), 0, 1e13)).toBeUndefined();
    expect(m.subscriberAt(ipv4('198.51.100.1'), -1e13)).toBeUndefined();
  });

  it('equals a fresh map (no memo) for random leases, statics and times', () => {
    const r = mulberry32(7);
    const int = (n: number) => Math.floor(r() * n);
    for (let round = 0; round < 20; round++) {
      const addresses = Array.from({ length: 6 }, (_, i) => `100.64.${int(2)}.${i}`);
      const prefixes = [...addresses, '100.64.0.0/24', '100.64.0.0/16', '100.64.1.0/30'];
      const leases = Array.from({ length: 8 }, (_, i) => {
        const from = int(100) * 10;
        return lease(`l${i}`, prefixes[int(prefixes.length)]!, from, r() < 0.3 ? undefined : from + int(50) * 10);
      });
      const statics = r() < 0.5 ? [{ prefix: prefixes[6 + int(3)]!, subscriber: 'static' }] : [];
      const m = new SubscriberMap(statics, leases);
      for (let q = 0; q < 300; q++) {
        const address = ipv4(addresses[int(addresses.length)]!);
        const t = int(160) * 10 - 50 + int(3) * 5;
        expect(m.subscriberAt(address, t)).toBe(new SubscriberMap(statics, leases).subscriberAt(address, t));
      }
    }
  });
});

describe('TrafficClassifier', () => {
  it('gives the class of the longest matching prefix, else the default class', () => {
    const c = new TrafficClassifier([
      { name: 'on-net', prefixes: ['198.51.100.0/24'] },
      { name: 'zero-rated', prefixes: ['198.51.100.128/25', '2001:db8:cd0::/48'] },
    ]);
    expect(c.classify('198.51.100.1')).toBe('on-net');
    expect(c.classify('198.51.100.200')).toBe('zero-rated');
    expect(c.classify('2001:db8:cd0::53')).toBe('zero-rated');
    expect(c.classify('192.0.2.1')).toBe(DEFAULT_CLASS);
  });

  it('answers IPv4 numbers (memoized) as it answers their text, on every repeat', () => {
    const c = new TrafficClassifier([{ name: 'on-net', prefixes: ['198.51.100.0/24'] }, { name: 'zero-rated', prefixes: ['198.51.100.128/25'] }]);
    const addresses = ['198.51.100.1', '198.51.100.200', '192.0.2.1', '0.0.0.0', '255.255.255.255'];
    for (let round = 0; round < 3; round++) {
      expect(addresses.map((a) => c.classify(ipv4(a)))).toEqual(['on-net', 'zero-rated', DEFAULT_CLASS, DEFAULT_CLASS, DEFAULT_CLASS]);
    }
  });
});
