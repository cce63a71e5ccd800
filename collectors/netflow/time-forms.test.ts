// Every IPFIX time form and counter kind through one-field-at-a-time templates, plus the conversion helpers.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import { hex, ipfixHeader, T } from './testdata/packets.js';
import { fromNtp, fromSystemInit, fromSysUptime } from './timestamps.js';

/** Template 256 = src, dst, octetDeltaCount(4) + the extra fields; one record of the given extra values. */
function packet(extraFields: string, extraValues: string, counter = '0001 0004', counterValue = '00000064'): Buffer {
  const fields = `0008 0004 000c 0004 ${counter} ${extraFields}`.replace(/\s+/g, '');
  const values = `64400002 c6336401 ${counterValue} ${extraValues}`.replace(/\s+/g, '');
  const tpl = hex('0002', (8 + fields.length / 2).toString(16).padStart(4, '0'), '0100', (fields.length / 8).toString(16).padStart(4, '0'), fields);
  const data = hex('0100', (4 + values.length / 2).toString(16).padStart(4, '0'), values);
  return Buffer.concat([hex(ipfixHeader(16 + tpl.length + data.length)), tpl, data]);
}

// NTP seconds of T (1600000000 + 2208988800 = 3808988800 = 0xe3088e80); fraction 0x80000000 = half a second.
describe('IPFIX time forms', () => {
  it.each([
    ['flowStart/EndSeconds', '0096 0004 0097 0004', '5f5e0ff6 5f5e1000', T - 10_000, T],
    ['flowStart/EndMilliseconds', '0098 0008 0099 0008', '00000174876e7c18 00000174876e8000', T - 1000, T],
    ['flowStart/EndMicroseconds (NTP)', '009a 0008 009b 0008', 'e3088e7f80000000 e3088e8000000000', T - 500, T],
    ['flowStart/EndNanoseconds (NTP)', '009c 0008 009d 0008', 'e3088e7f00000000 e3088e8040000000', T - 1000, T + 250],
    ['flowStart/EndDeltaMicroseconds (before export)', '009e 0004 009f 0004', '001e8480 000f4240', T - 2000, T - 1000],
    ['flowStartMilliseconds + flowDurationMilliseconds', '0098 0008 00a1 0004', '00000174876e7c18 000001f4', T - 1000, T - 500],
    ['flowEndSeconds + flowDurationMicroseconds', '0097 0004 00a2 0004', '5f5e1000 000f4240', T - 1000, T],
    ['no time field: the export time', '', '', T, T],
    ['flowStart/EndSysUpTime with systemInitTimeMilliseconds in the record', '00a0 0008 0016 0004 0015 0004', '00000174876e7c18 00000064 000003e8', T - 900, T],
  ])('%s', (_name, fields, values, start, end) => {
    const r = new FlowDecoder().decode(packet(fields, values), '10.0.0.1', 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toMatchObject([{ start, end }]);
  });

  it('keeps a record whose times are impossible, repaired and counted (relative-times.test.ts has the hours)', () => {
    const keep = (fields: string, values: string) => new FlowDecoder().decode(packet(fields, values), 'x', 0);
    expect(keep('0016 0004', '00000064')).toMatchObject({ errors: [], fallbacks: ['uptime_estimated'], flows: [{ bytes: 100, start: T, end: T }] });
    expect(keep('0096 0004 0097 0004', '5f5e1000 5f5e0ff6')).toMatchObject({ errors: [], fallbacks: ['end_before_start'], flows: [{ start: T - 10_000, end: T - 10_000 }] });
    // Ends 61 s after the export time; starts 31 days before it; ends 60 s after it (allowed).
    expect(keep('0096 0004 0097 0004', '5f5e1000 5f5e103d')).toMatchObject({ errors: [], fallbacks: ['future_clamped'], flows: [{ start: T, end: T }] });
    expect(keep('0096 0004 0097 0004', '5f353180 5f5e1000')).toMatchObject({ errors: [], fallbacks: ['too_old_clamped'], flows: [{ start: T, end: T }] });
    expect(keep('0096 0004 0097 0004', '5f5e1000 5f5e103c')).toMatchObject({ errors: [], fallbacks: [], flows: [{ start: T, end: T + 60_000 }] });
  });
});

describe('counters and sampling in records', () => {
  it('octetTotalCount alone is marked as a total; 8-octet and reduced-size counters read exactly', () => {
    expect(new FlowDecoder().decode(packet('', '', '0055 0004'), 'x', 0).flows).toMatchObject([{ bytes: 100, counter: 'total' }]);
    // octetDeltaCount twice (3 octets, then 8): the last one wins, 2^64-1 exactly.
    const big = packet('0001 0008', 'ffffffffffffffff', '0001 0003', '000064');
    expect(new FlowDecoder().decode(big, 'x', 0).flows).toMatchObject([{ bytes: 2n ** 64n - 1n }]);
    // Counts are numbers up to 2^53 − 1 (exact in a double) and bigints from 2^53 on (FlowCount).
    expect(new FlowDecoder().decode(packet('', '', '0001 0008', '001fffffffffffff'), 'x', 0).flows).toMatchObject([{ bytes: 2 ** 53 - 1 }]);
    expect(new FlowDecoder().decode(packet('', '', '0001 0008', '0020000000000000'), 'x', 0).flows).toMatchObject([{ bytes: 2n ** 53n }]);
    expect(new FlowDecoder().decode(packet('', '', '0001 0003', '0186a0'), 'x', 0).flows).toMatchObject([{ bytes: 100_000 }]);
  });

  it('samplingPacketInterval/Space per selectorId from options data', () => {
    const d = new FlowDecoder();
    const opts = hex(
      '0003 0016', '0101 0003 0001', // options template 257, 3 fields, 1 scope
      '012e 0002 0131 0004 0132 0004', // scope selectorId (302, 2 octets); samplingPacketInterval, samplingPacketSpace
      '0101 000e', '0007 00000001 00000063', // selector 7: 1 selected, 99 skipped → 1 in 100
    );
    d.decode(Buffer.concat([hex(ipfixHeader(16 + opts.length)), opts]), 'x', 0);
    expect(d.decode(packet('012e 0002', '0007'), 'x', 0).flows).toMatchObject([{ samplingInterval: 100 }]);
    expect(d.decode(packet('012e 0002', '0008'), 'x', 0).flows).toMatchObject([{ samplingInterval: 1 }]);
  });
});

describe('timestamp helpers', () => {
  it('take the signed 32-bit difference and the nearest wrap', () => {
    expect(fromSysUptime(0xffffffff, 1, T)).toBe(T - 2);
    expect(fromSysUptime(5, 0xfffffffe, T)).toBe(T + 7);
    expect(fromSystemInit(1000, T - 2 ** 32 - 5000, T)).toBe(T - 4000); // uptime wrapped once since init
    expect(fromNtp(3_808_988_800, 2 ** 31)).toBe(T + 500);
  });
});
