// Decoder tests on hand-written datagrams (testdata/packets.ts): good packets first, then every malformed kind.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import type { FlowRecord } from './flow-record.js';
import { hex, ipv4, IPFIX, IPFIX_DATA, IPFIX_SAMPLING, IPFIX_TEMPLATE, ipfixHeader, T, V5, V9, V9_DATA, V9_TEMPLATE, v9Header } from './testdata/packets.js';

const EXP = '10.0.0.1';
const ipfix = (...sets: Buffer[]): Buffer => {
  const body = Buffer.concat(sets);
  return Buffer.concat([hex(ipfixHeader(16 + body.length)), body]);
};
const v9 = (sourceId: number, ...sets: Buffer[]): Buffer => Buffer.concat([hex(v9Header(sets.length, sourceId)), ...sets]);

describe('NetFlow v5', () => {
  it('decodes header sampling, engine domain and uptime-relative times', () => {
    const r = new FlowDecoder().decode(V5, EXP, 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toEqual([{
      version: 5, exporter: EXP, domain: 0x0102, family: 4, srcAddr: ipv4('100.64.0.2'), dstAddr: ipv4('198.51.100.1'),
      protocol: 6, srcPort: 8080, dstPort: 443, bytes: 5000, packets: 10, counter: 'delta',
      start: T - 2000, end: T - 1000, samplingInterval: 100,
    }]);
  });

  it('refuses a count of records longer than the datagram', () => {
    expect(new FlowDecoder().decode(V5.subarray(0, 60), EXP, 0).errors).toEqual(['bad_length']);
  });
});

describe('NetFlow v9', () => {
  it('decodes template then data, reading FIRST_SWITCHED before an uptime wrap as a negative offset', () => {
    const r = new FlowDecoder().decode(V9, EXP, 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toEqual([{
      version: 9, exporter: EXP, domain: 7, family: 4, srcAddr: ipv4('100.64.0.2'), dstAddr: ipv4('198.51.100.1'),
      protocol: 17, srcPort: 0, dstPort: 0, bytes: 1500, packets: 2, counter: 'delta',
      start: T - 2000, end: T, samplingInterval: 1,
    }]);
  });

  it('applies a sampler table from options data (FLOW_SAMPLER_ID → FLOW_SAMPLER_RANDOM_INTERVAL)', () => {
    const options = hex(
      '0001 0018', // options template flowset, length 24
      '0102 0004 0008', // template 258, scope length 4, option length 8 (octets)
      '0001 0004', // scope: System (v9 scope type 1, not an IE)
      '0030 0001 0032 0004', // FLOW_SAMPLER_ID, FLOW_SAMPLER_RANDOM_INTERVAL
      '0000', // padding
      '0102 0010', // data flowset 258, length 16
      '00000000 05 00000400', // system, sampler 5: 1 in 1024
      '000000', // padding
    );
    const template = hex(
      '0000 0014', // template flowset, length 20
      '0103 0003', // template 259, 3 fields
      '0008 0004 000c 0004 0030 0001', // src, dst, FLOW_SAMPLER_ID
      '0103 0010', // data 259, length 16: no byte counter
      '64400002 c6336401', '05', '000000',
    );
    const d = new FlowDecoder();
    const r = d.decode(v9(7, options, template), EXP, 0);
    // A flow without octets is refused, but the sampler table is learned.
    expect(r.errors).toEqual(['bad_record']);
    expect(d.cache.peekOptions({ exporter: EXP, version: 9, domain: 7 })?.samplers.get(5)).toBe(1024);
    const withBytes = hex('0000 0018', '0104 0004', '0008 0004 000c 0004 0001 0004 0030 0001', '0104 0014', '64400002 c6336401 00000064 05', '000000');
    expect(d.decode(v9(7, withBytes), EXP, 0).flows[0]).toMatchObject({ bytes: 100, samplingInterval: 1024, start: T, end: T });
  });

  it('keeps templates apart per source id on one exporter address', () => {
    const d = new FlowDecoder();
    d.decode(v9(7, V9_TEMPLATE), EXP, 0);
    const other = d.decode(v9(8, V9_DATA), EXP, 0);
    expect(other.flows).toEqual([]);
    expect(other.held).toBe(1);
    expect(d.decode(v9(7, V9_DATA), EXP, 0).flows).toHaveLength(1);
    expect(d.decode(v9(7, V9_DATA), '10.0.0.2', 0).held).toBe(1);
  });

  it('a template refresh with a new layout replaces the old one for later data', () => {
    const d = new FlowDecoder();
    d.decode(V9, EXP, 0);
    const refreshed = hex(
      '0000 0010', // template flowset, length 16
      '0100 0002', // template 256 again, now 2 fields
      '000c 0004 0001 0004', // IPV4_DST_ADDR, IN_BYTES — no source: a flow record without it is refused
      '0000 0014', // a second refresh in the same set? no: a new flowset header (id 0, length 20)
      '0100 0003 0008 0004 000c 0004 0001 0008', // template 256, 3 fields: src, dst, 8-octet IN_BYTES
    );
    const data = hex('0100 0014', 'c6336401 64400002', '0000000100000000'); // 198.51.100.1 → 100.64.0.2, 2^32 octets
    const r = d.decode(v9(7, refreshed, data), EXP, 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toMatchObject([{ srcAddr: ipv4('198.51.100.1'), dstAddr: ipv4('100.64.0.2'), bytes: 2 ** 32, packets: 0, start: T, end: T }]);
  });
});

describe('FlowDecoder.visit', () => {
  it('hands over each flow in one reused record; decode() copies them', () => {
    const d = new FlowDecoder();
    const seen: FlowRecord[] = [];
    const copies: FlowRecord[] = [];
    const summary = d.visit(IPFIX, EXP, 0, { flow: (f) => void (seen.push(f), copies.push({ ...f })) });
    expect(summary).toEqual({ flows: 2, errors: [], held: 0, fallbacks: [] });
    expect(seen[0]).toBe(seen[1]);
    expect(copies).toEqual(new FlowDecoder().decode(IPFIX, EXP, 0).flows);
  });

  it("throws on what the visitor throws: the caller's failure, not the decoder's internal_error", () => {
    const d = new FlowDecoder();
    const failure = new Error('accounting broke');
    expect(() => d.visit(IPFIX, EXP, 0, { flow: () => { throw failure; } })).toThrow(failure);
    expect(() => d.visit(V5, EXP, 0, { flow: () => { throw failure; } })).toThrow(failure);
    expect(d.errorTotals.internal_error).toBe(0);
  });
});

describe('IPFIX', () => {
  it('decodes IPv6, millisecond times, and skips enterprise and variable-length fields', () => {
    const r = new FlowDecoder().decode(IPFIX, EXP, 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toMatchObject([
      { version: 10, domain: 1, family: 6, srcAddr: '2001:db8::1', dstAddr: '2001:db8:1::2', bytes: 10000, start: T - 1000, end: T },
      { srcAddr: '2001:db8:1::2', dstAddr: '2001:db8::1', bytes: 1000, start: T - 2000, end: T - 1000 },
    ]);
  });

  it('applies samplingInterval from options data to later flows of the domain', () => {
    const d = new FlowDecoder();
    d.decode(ipfix(IPFIX_SAMPLING), EXP, 0);
    expect(d.decode(IPFIX, EXP, 0).flows.map((f) => f.samplingInterval)).toEqual([256, 256]);
    // Options learned after data of the domain was decoded unsampled apply from then on (the cache's last answer
    // for the stream, "no options", must not stick).
    const late = new FlowDecoder();
    expect(late.decode(IPFIX, EXP, 0).flows.map((f) => f.samplingInterval)).toEqual([1, 1]);
    late.decode(ipfix(IPFIX_SAMPLING), EXP, 0);
    expect(late.decode(ipfix(IPFIX_DATA), EXP, 0).flows.map((f) => f.samplingInterval)).toEqual([256, 256]);
  });

  it('reads flowStart/EndSysUpTime from systemInitTimeMilliseconds, choosing the wrap nearest the export time', () => {
    const tpl = hex('0002 0018', '0100 0004', '0008 0004 000c 0004 0016 0004 0015 0004'); // src, dst, flowStartSysUpTime, flowEndSysUpTime
    const opts = hex(
      '0003 0012', '0101 0002 0001', // options template 257, 2 fields, 1 scope
      '0095 0004 00a0 0008', // scope observationDomainId; systemInitTimeMilliseconds
      '0101 0010', '00000001', '00000174876e8000', // init = T (the exporter started at the export time)
    );
    // start: uptime 2^32 - 5000 means 5 s before init (as softflowd -r sends for older captures); end: 0.
    const data = hex('0100 0014', '64400002 c6336401', 'ffffec78 00000000');
    const r = new FlowDecoder().decode(ipfix(tpl, opts, data), EXP, 0);
    expect(r.errors).toEqual(['bad_record']); // data template lacks octetDeltaCount
    const tpl2 = hex('0002 001c', '0102 0005', '0008 0004 000c 0004 0016 0004 0015 0004 0001 0004');
    const data2 = hex('0102 0018', '64400002 c6336401', 'ffffec78 00000000', '00000064');
    const d = new FlowDecoder();
    d.decode(ipfix(opts), EXP, 0);
    expect(d.decode(ipfix(tpl2, data2), EXP, 0).flows).toMatchObject([{ start: T - 5000, end: T, bytes: 100 }]);
  });

  it('withdraws one template, and all data templates with template id 2', () => {
    const d = new FlowDecoder();
    d.decode(IPFIX, EXP, 0);
    expect(d.decode(ipfix(hex('0002 0008', '0100 0000')), EXP, 0).errors).toEqual([]);
    expect(d.decode(ipfix(IPFIX_DATA), EXP, 0)).toMatchObject({ flows: [], held: 1 });
    const d2 = new FlowDecoder();
    d2.decode(IPFIX, EXP, 0);
    d2.decode(ipfix(IPFIX_SAMPLING), EXP, 0);
    d2.decode(ipfix(hex('0002 0008', '0002 0000')), EXP, 0); // template id 2 = the set id: all data templates
    expect(d2.cache.size).toBe(1); // the options template stays
  });

  it('keeps several observation domains on one exporter apart', () => {
    const d = new FlowDecoder();
    d.decode(IPFIX, EXP, 0);
    const dom2 = Buffer.concat([hex(ipfixHeader(16 + 125, 2)), IPFIX_DATA]);
    expect(d.decode(dom2, EXP, 0)).toMatchObject({ flows: [], held: 1 });
  });
});

describe('data before template', () => {
  it('holds the data set and decodes it when the template arrives', () => {
    const d = new FlowDecoder();
    expect(d.decode(ipfix(IPFIX_DATA), EXP, 1000)).toMatchObject({ flows: [], errors: [], held: 1 });
    const r = d.decode(ipfix(IPFIX_TEMPLATE), EXP, 2000);
    expect(r.flows.map((f) => f.bytes)).toEqual([10000, 1000]);
    expect(d.held).toEqual({ sets: 0, bytes: 0 });
  });

  it('counts held sets as no_template after the hold time, and past the per-template bound', () => {
    const d = new FlowDecoder({ hold: { holdMs: 5000, maxSetsPerTemplate: 2 } });
    for (let i = 0; i < 3; i++) d.decode(ipfix(IPFIX_DATA), EXP, 1000 + i);
    expect(d.errorTotals.no_template).toBe(1);
    expect(d.expire(5999)).toBe(0);
    expect(d.expire(6002)).toBe(2);
    expect(d.errorTotals.no_template).toBe(3);
    expect(d.decode(ipfix(IPFIX_TEMPLATE), EXP, 7000).flows).toEqual([]);
  });
});

describe('template persistence', () => {
  it('snapshot() survives JSON and restore() lets data decode after a restart', () => {
    const before = new FlowDecoder();
    before.decode(ipfix(IPFIX_SAMPLING, IPFIX_TEMPLATE), EXP, 0);
    before.decode(v9(7, V9_TEMPLATE), EXP, 0);
    const saved = JSON.parse(JSON.stringify(before.snapshot())) as unknown;
    const after = new FlowDecoder();
    expect(after.restore(saved)).toBe(0);
    expect(after.decode(ipfix(IPFIX_DATA), EXP, 0).flows.map((f) => f.samplingInterval)).toEqual([256, 256]);
    expect(after.decode(v9(7, V9_DATA), EXP, 0).flows).toHaveLength(1);
  });

  it('restore() skips entries of the wrong shape instead of throwing', () => {
    const d = new FlowDecoder();
    expect(d.restore(null)).toBe(1);
    expect(d.restore({ format: 1, templates: [{ stream: { exporter: 'x', version: 9, domain: 1 }, template: { kind: 'data', id: 12, scopeCount: 0, fields: [] } }, 7], streams: [{}] })).toBe(3);
    expect(d.cache.size).toBe(0);
  });
});

describe('malformed input is counted, never thrown', () => {
  it.each([
    ['an empty datagram', hex(''), ['truncated']],
    ['a v9 header cut short', hex('0009 0001 00000000'), ['truncated']],
    ['an IPFIX header cut short', hex('000a 0010 00000000'), ['truncated']],
    ['unknown version 7', hex('0007 0000', '00'.repeat(30)), ['unknown_version']],
    ['IPFIX length past the datagram', hex(ipfixHeader(200)), ['bad_length']],
    ['IPFIX length below its header', hex(ipfixHeader(8)), ['bad_length']],
    ['a set length past the end', ipfix(hex('0002 0040 0100 0001')), ['bad_length']],
    ['a set length of 0 (would never advance)', ipfix(hex('0100 0000 0000 0000')), ['bad_length']],
    ['a zero-length template (fields of length 0)', ipfix(hex('0002 0010 0100 0002 0008 0000 000c 0000')), ['bad_template']],
    ['template id < 256', ipfix(hex('0002 000c 00ff 0001 0008 0004')), ['bad_template']],
    ['a template field list past its set', ipfix(hex('0002 000c 0100 0005 0008 0004')), ['bad_template']],
    ['an options template with no scope field', ipfix(hex('0003 000e 0101 0001 0000 0022 0004')), ['bad_template']],
    ['a v9 template with the variable length IPFIX-only marker', v9(7, hex('0000 000c 0100 0001 0008 ffff')), ['bad_template']],
    ['a v9 options template whose lengths pass the set', v9(7, hex('0001 000c 0102 0004 0040 0001')), ['bad_template']],
    ['a reserved set id', ipfix(hex('0004 0008 00000000')), ['reserved_set']],
    ['a variable-length field past the set', ipfix(IPFIX_TEMPLATE, hex('0100 0040', '00'.repeat(56), 'ff ff')), ['bad_length']],
  ] as const)('%s', (_name, packet, errors) => {
    const r = new FlowDecoder().decode(packet, EXP, 0);
    expect(r.flows).toEqual([]);
    expect(r.errors).toEqual(errors);
  });

  // A record with octets is never a bad_record: its octets are kept, what is wrong is repaired and counted.
  it.each([
    ['an IPv4 source with an IPv6 destination: unattributed 0.0.0.0 ends', ipfix(hex('0002 0014 0100 0003 0008 0004 001c 0010 0001 0004'), hex('0100 001c', '64400002', '00'.repeat(16), '00000001')),
      { bytes: 1, srcAddr: 0, dstAddr: 0, family: 4 }, ['no_addresses']],
    ['more packets than octets: the octets as sent', v9(7, hex('0000 0018 0100 0004 0008 0004 000c 0004 0001 0004 0002 0004'), hex('0100 0014 64400002 c6336401 00000001 00000002')),
      { bytes: 1, packets: 2 }, ['packets_exceed_octets']],
  ] as const)('%s', (_name, packet, flow, fallbacks) => {
    const r = new FlowDecoder().decode(packet, EXP, 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toMatchObject([flow]);
    expect(r.fallbacks).toEqual(fallbacks);
  });

  it('a data record without any octet counter is the only bad_record', () => {
    const r = new FlowDecoder().decode(ipfix(hex('0002 0010 0100 0002 0008 0004 000c 0004'), hex('0100 000c 64400002 c6336401')), EXP, 0);
    expect(r).toMatchObject({ flows: [], errors: ['bad_record'], fallbacks: [] });
  });
});
