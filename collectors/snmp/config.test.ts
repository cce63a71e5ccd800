// The snmp section: the sample parses, defaults are stated once, per-target rules replace the section's.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { snmpCrossChecks, snmpSchema } from './config.js';

describe('snmp config', () => {
  it('parses sample.yaml', () => {
    const doc = parse(readFileSync(new URL('./sample.yaml', import.meta.url), 'utf8')) as { snmp: unknown };
    const c = snmpSchema.parse(doc.snmp);
    expect(c.targets.map((t) => t.name)).toEqual(['core-ccr', 'pppoe-bng', 'tower-north-ap1', 'cpe-c1004']);
    expect(c.interval).toBe(60_000);
    expect(c.targets[2]!.interval).toBe(300_000);
    expect(c.subscribers['if-mib'].pattern).toBe('^cust:(\\S+)$');
    // A target's rule replaces the section's for that profile only; the others stay unset (the section's apply).
    expect(c.targets[1]!.subscribers).toEqual({
      'if-mib': { from: 'name', pattern: '^<pppoe-(.+)>$', facing: 'subscriber' },
      'mikrotik-queue': { from: 'target', pattern: '^(.+)$', map: { '10.0.5.2': 'C-1001', '10.0.6.0/29': 'C-1002' } },
    });
    expect(snmpCrossChecks(doc.snmp)).toEqual([]);
  });

  it('fills every default from an empty section', () => {
    expect(snmpSchema.parse({})).toEqual({
      interval: 60_000, timeout: 2_000, retries: 1, concurrency: 32, maxRepetitions: 20,
      subscribers: {
        'if-mib': { from: 'alias', pattern: '^cust:(\\S+)$', facing: 'subscriber' },
        'mikrotik-queue': { from: 'name', pattern: '^(.+)$' },
        'airmax-station': { from: 'mac', pattern: '^(.+)$' },
      },
      health: { influx: true },
      targets: [],
    });
  });
});
