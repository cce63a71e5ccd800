// device_health line protocol: bounded tags, float fields, ns timestamps; best-effort writes that drop and count.
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HealthWriter, healthLine } from './health-writer.js';
import { createSnmpMetrics } from './metrics.js';

describe('healthLine', () => {
  it('writes tags escaped, fields as floats and the poll time in ns', () => {
    expect(healthLine({ device: 'tower 1', profile: 'airmax-station', entity: '04:18:d6:aa:bb:cc', fields: { signal_dbm: -63, ccq_percent: 91 }, at: 1_767_225_600_000 }))
      .toBe('device_health,device=tower\\ 1,entity=04:18:d6:aa:bb:cc,profile=airmax-station,tower=- signal_dbm=-63,ccq_percent=91 1767225600000000000');
    expect(healthLine({ device: 'ap1', profile: 'device', entity: 'device', tower: 'north hill', fields: { up: 1, uptime_s: 12.34 }, at: 1 }))
      .toBe('device_health,device=ap1,entity=device,profile=device,tower=north\\ hill up=1,uptime_s=12.34 1000000');
    expect(healthLine({ device: 'd', profile: 'device', entity: 'device', fields: { x: Number.NaN }, at: 0 })).toBeUndefined();
  });
});

describe('HealthWriter', () => {
  it('drops and counts a batch Influx refused, then writes the next', async () => {
    const registry = new Registry();
    const metrics = createSnmpMetrics(registry, []);
    const sent: string[][] = [];
    let fail = true;
    const writer = new HealthWriter({
      metrics, logger: pino({ level: 'silent' }),
      write: async (lines) => {
        sent.push([...lines]);
        return fail ? { result: { status: 'retryable', error: new Error('down') }, operatorError: false, tooLarge: false } : { result: { status: 'ok' }, operatorError: false, tooLarge: false };
      },
    });
    const point = { device: 'd', profile: 'device', entity: 'device', fields: { up: 1 }, at: 1 };
    writer.add([point, point]);
    await writer.flush();
    fail = false;
    writer.add([point]);
    await writer.stop();
    expect(sent.map((b) => b.length)).toEqual([2, 1]);
    const text = await registry.metrics();
    expect(text).toContain('wispmeter_snmp_health_points_total{result="dropped"} 2');
    expect(text).toContain('wispmeter_snmp_health_points_total{result="written"} 1');
  });
});
