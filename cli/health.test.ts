// Table tests of /healthz's decisions: each threshold on its own, at and past its limit.
import { describe, expect, it } from 'vitest';
import { healthSchema } from '../config/schema.js';
import { evaluateHealth, type HealthInputs } from './health.js';

const config = healthSchema.parse({ sinkFailingAfter: '30s' });
const NOW = 1_800_000_000_000;
const MiB = 1024 * 1024;
const healthy = (): HealthInputs => ({
  spool: { unconsumedBytes: 10 * MiB, maxBytes: 100 * MiB },
  sinks: [{ sink: 'embedded', lagBytes: 0, lastSuccess: NOW - 1000 }, { sink: 'influx', lagBytes: 4096, lastSuccess: NOW - 2000 }],
  listeners: [{ collector: 'radius', configured: ['0.0.0.0:1813', '[::]:1813'], bound: ['0.0.0.0:1813', '[::]:1813'] }],
  now: NOW,
});

describe('evaluateHealth', () => {
  it('is ok with every part ok, and names every part', () => {
    const r = evaluateHealth(healthy(), config);
    expect(r.status).toBe('ok');
    expect(Object.keys(r.parts).sort()).toEqual(['listener:radius', 'sink:embedded', 'sink:influx', 'spool']);
    expect(Object.values(r.parts).every((p) => p.ok && p.reason === undefined)).toBe(true);
  });

  const cases: { name: string; change: (h: HealthInputs) => void; part: string; reason: RegExp | undefined }[] = [
    { name: 'a sink failing for less than the limit', change: (h) => Object.assign(h.sinks[1]!, { failingSince: NOW - 29_999, lastError: 'ECONNREFUSED' }), part: 'sink:influx', reason: undefined },
    { name: 'a sink failing for the limit', change: (h) => Object.assign(h.sinks[1]!, { failingSince: NOW - 30_000, lastError: 'connect ECONNREFUSED 127.0.0.1:8086' }), part: 'sink:influx', reason: /^writes failing for 30 s \(limit 30 s\): connect ECONNREFUSED 127\.0\.0\.1:8086$/ },
    { name: 'a sink behind by more than half the spool cap (the default)', change: (h) => (h.sinks[0]!.lagBytes = 50 * MiB + 1), part: 'sink:embedded', reason: /^50\.0 MiB behind the spool \(limit 50\.0 MiB\)$/ },
    { name: 'a sink behind by exactly half the spool cap', change: (h) => (h.sinks[0]!.lagBytes = 50 * MiB), part: 'sink:embedded', reason: undefined },
    { name: 'the spool at 89 %', change: (h) => (h.spool!.unconsumedBytes = 89 * MiB), part: 'spool', reason: undefined },
    { name: 'the spool at 90 %', change: (h) => (h.spool!.unconsumedBytes = 90 * MiB), part: 'spool', reason: /^90 % full \(90\.0 MiB of 100\.0 MiB, limit 90 %\)/ },
    { name: 'the spool unable to write', change: (h) => (h.spool!.failure = new Error('EIO')), part: 'spool', reason: /^writes fail: EIO$/ },
    { name: 'a listener not bound', change: (h) => (h.listeners[0]!.bound = ['0.0.0.0:1813']), part: 'listener:radius', reason: /^1 of 2 listen addresses not bound \(configured 0\.0\.0\.0:1813, \[::\]:1813; bound 0\.0\.0\.0:1813\)$/ },
  ];
  it.each(cases)('$name', ({ change, part, reason }) => {
    const h = healthy();
    change(h);
    const r = evaluateHealth(h, config);
    expect(r.parts[part]?.reason).toSatisfy((got: string | undefined) => (reason === undefined ? got === undefined : reason.test(got ?? '')));
    expect(r.status).toBe(reason ? 'unhealthy' : 'ok');
    // Only that part changes.
    for (const [name, p] of Object.entries(r.parts)) if (name !== part) expect(p.ok, name).toBe(true);
  });

  it('uses an explicit sinkMaxLag over the default', () => {
    const h = healthy();
    h.sinks[1]!.lagBytes = 2 * MiB;
    expect(evaluateHealth(h, healthSchema.parse({ sinkMaxLag: '1MiB' })).parts['sink:influx']?.ok).toBe(false);
    expect(evaluateHealth(h, healthSchema.parse({})).parts['sink:influx']?.ok).toBe(true);
  });
});
