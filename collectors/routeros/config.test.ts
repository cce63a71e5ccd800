// The routeros config section: defaults, round trip, cross-field errors, and the sample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { devicePort, resolveRouterosPaths, routerosSchema } from './config.js';

const device = { name: 'ap1', host: '10.0.0.1', username: 'ro', password: 'pw' };

describe('routerosSchema', () => {
  it('fills defaults, and a parsed config parses to itself', () => {
    const c = routerosSchema.parse({ devices: [device] });
    expect(c).toEqual({
      interval: 60_000,
      timeout: 10_000,
      concurrency: 8,
      backoff: { initial: 1000, max: 300_000 },
      forgetAfter: 7 * 86_400_000,
      dynamicQueues: false,
      subscribers: {
        queues: { from: 'name', pattern: '^(.+)$' },
        ppp: { from: 'name', pattern: '^(.+)$' },
        hotspot: { from: 'user', pattern: '^(.+)$' },
        interfaces: { from: 'comment', pattern: '^cust:(\\S+)$' },
      },
      devices: [{ ...device, tls: false, tables: ['queues'], counterBits: 64 }],
    });
    expect(routerosSchema.parse(c)).toEqual(c);
  });

  it('picks the API port from tls', () => {
    const c = routerosSchema.parse({ devices: [device, { ...device, name: 'ap2', tls: true }, { ...device, name: 'ap3', tls: true, port: 18729 }] });
    expect(c.devices.map(devicePort)).toEqual([8728, 8729, 18729]);
  });

  it.each([
    ['no device', { devices: [] }, 'devices'],
    ['a device name used twice', { devices: [device, device] }, 'devices.1.name'],
    ['a table listed twice', { devices: [{ ...device, tables: ['ppp', 'ppp'] }] }, 'devices.0.tables'],
    ['an unknown table', { devices: [{ ...device, tables: ['queue-tree'] }] }, 'devices.0.tables.0'],
    ['a bad pattern', { subscribers: { ppp: { pattern: '([' } }, devices: [device] }, 'subscribers.ppp.pattern'],
    ['a field a table does not have', { subscribers: { hotspot: { from: 'name' } }, devices: [device] }, 'subscribers.hotspot.from'],
    ['a short fingerprint', { devices: [{ ...device, tls: { fingerprint: 'AB:CD' } }] }, 'devices.0.tls.fingerprint'],
    ['24-bit counters', { devices: [{ ...device, counterBits: 24 }] }, 'devices.0.counterBits'],
    ['an unknown key', { devices: [{ ...device, secret: 'x' }] }, 'devices.0'],
  ])('refuses %s', (_name, input, path) => {
    const r = routerosSchema.safeParse(input);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('resolves a relative tls.ca against the config file folder, and leaves absolute ones', () => {
    const c = routerosSchema.parse({ devices: [{ ...device, tls: { ca: 'certs/ca.pem' } }, { ...device, name: 'ap2', tls: { ca: '/etc/ca.pem' } }, { ...device, name: 'ap3' }] });
    expect(resolveRouterosPaths(c, '/etc/wispmeter').devices.map((d) => d.tls)).toEqual([{ ca: '/etc/wispmeter/certs/ca.pem' }, { ca: '/etc/ca.pem' }, false]);
  });

  it('parses sample.yaml', () => {
    const doc = parse(readFileSync(new URL('./sample.yaml', import.meta.url), 'utf8')) as { routeros: unknown };
    const c = routerosSchema.parse(doc.routeros);
    expect(c.devices.map((d) => [d.name, d.tables, devicePort(d)])).toEqual([['tower-north', ['ppp', 'hotspot'], 8728], ['tower-south', ['queues', 'interfaces'], 8729]]);
    expect(c.devices[1]!.subscribers?.queues?.map).toEqual({ '10.20.5.2': 'alice', '10.20.5.3': 'bob' });
  });
});
