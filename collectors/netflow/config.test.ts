// The netflow config section: defaults, round trip, cross-field errors, and the CLI flag parsers.
import { describe, expect, it } from 'vitest';
import { netflowSchema, parseClassFlag, parseStaticFlag } from './config.js';

describe('netflowSchema', () => {
  it('fills defaults from an empty section, and a parsed config parses to itself', () => {
    const c = netflowSchema.parse({});
    expect(c).toEqual({
      listen: ['0.0.0.0:2055', '[::]:2055', '0.0.0.0:4739', '[::]:4739'],
      receiveBuffer: 8 * 1024 * 1024,
      receiveThread: true,
      receiveMethod: 'auto',
      receiveQueue: 64 * 1024 * 1024,
      exporters: [],
      static: [],
      classes: [],
      templates: { holdTime: 120_000, maxSetsPerTemplate: 64, maxBytes: 16 * 1024 * 1024, maxTemplates: 10_000, maxTemplatesPerExporter: 2_000 },
      quarantine: { minDuration: 60_000 },
      bucket: 60_000,
    });
    expect(netflowSchema.parse(c)).toEqual(c);
  });

  it('parses units and lists', () => {
    const c = netflowSchema.parse({
      receiveBuffer: '16MiB',
      exporters: [{ name: 'ccr', address: '10.0.0.1', samplingInterval: 100 }],
      static: [{ prefix: '203.0.113.0/28', subscriber: 'acme' }],
      classes: [{ name: 'zero-rated', prefixes: ['198.51.100.0/24', '2001:db8:cd0::/48'] }],
      templates: { holdTime: '30s' },
      bucket: '5m',
    });
    expect(c.receiveBuffer).toBe(16 * 1024 * 1024);
    expect(c.templates.holdTime).toBe(30_000);
    expect(c.bucket).toBe(300_000);
  });

  it.each([
    ['a prefix assigned to two subscribers', { static: [{ prefix: '10.0.0.1', subscriber: 'a' }, { prefix: '10.0.0.1/32', subscriber: 'b' }] }, 'static.1.prefix'],
    ['a prefix in two classes', { classes: [{ name: 'a', prefixes: ['10.0.0.0/8'] }, { name: 'b', prefixes: ['10.0.0.0/8'] }] }, 'classes.1.prefixes.0'],
    ['an exporter name used twice', { exporters: [{ name: 'x', address: '10.0.0.1' }, { name: 'x', address: '10.0.0.2' }] }, 'exporters.1.name'],
    ['a bad class name', { classes: [{ name: 'Zero Rated', prefixes: ['10.0.0.0/8'] }] }, 'classes.0.name'],
    ['a bad prefix', { static: [{ prefix: '10.0.0.0/33', subscriber: 'a' }] }, 'static.0.prefix'],
    ['a receive queue under 1 MiB', { receiveQueue: '512KiB' }, 'receiveQueue'],
    ['a receive queue that is no size', { receiveQueue: 'big' }, 'receiveQueue'],
    ['receiveThread not a boolean', { receiveThread: 'yes' }, 'receiveThread'],
    ['an unknown receive method', { receiveMethod: 'io_uring' }, 'receiveMethod'],
    ['an unknown key', { listen: ['0.0.0.0:2055'], port: 2055 }, ''],
  ])('refuses %s', (_name, input, path) => {
    const r = netflowSchema.safeParse(input);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('flag parsers', () => {
  it('parse --static and --class', () => {
    expect(parseStaticFlag('100.64.5.0/24=acme')).toEqual({ prefix: '100.64.5.0/24', subscriber: 'acme' });
    expect(parseStaticFlag('2001:db8::/48=a=b')).toEqual({ prefix: '2001:db8::/48', subscriber: 'a=b' });
    expect(parseClassFlag('zero-rated=198.51.100.0/24')).toEqual({ name: 'zero-rated', prefix: '198.51.100.0/24' });
    expect(parseStaticFlag('acme')).toMatch(/expected CIDR=SUBSCRIBER/);
    expect(parseStaticFlag('10.0.0.0/99=acme')).toMatch(/expected/);
    expect(parseClassFlag('=10.0.0.0/8')).toMatch(/expected NAME=CIDR/);
  });
});

describe('sample.yaml', () => {
  it('parses with the schema', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(new URL('./sample.yaml', import.meta.url), 'utf8')) as { netflow: unknown };
    const c = netflowSchema.parse(doc.netflow);
    expect(c.exporters.map((e) => e.name)).toEqual(['core-ccr', 'towers']);
    expect(c.classes.map((k) => k.name)).toEqual(['zero-rated', 'on-net']);
  });
});
