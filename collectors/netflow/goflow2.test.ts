// A real Cisco NetFlow v9 packet pair from goflow2's tests (testdata/goflow2-nfv9.ts), checked field by field.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import { GOFLOW2_V9_DATA, GOFLOW2_V9_TEMPLATE } from './testdata/goflow2-nfv9.js';
import { hex, ipv4 } from './testdata/packets.js';

describe('goflow2 NetFlow v9 capture', () => {
  it('decodes template 260 then its first record', () => {
    const d = new FlowDecoder();
    expect(d.decode(hex(GOFLOW2_V9_TEMPLATE), '192.0.2.9', 0)).toEqual({ flows: [], errors: [], held: 0, fallbacks: [] });
    const r = d.decode(hex(GOFLOW2_V9_DATA), '192.0.2.9', 0);
    expect(r.errors).toEqual([]);
    expect(r.flows).toEqual([{
      version: 9, exporter: '192.0.2.9', domain: 256, family: 4,
      srcAddr: ipv4('198.38.120.222'), dstAddr: ipv4('88.121.217.208'), protocol: 6, srcPort: 443, dstPort: 15184,
      bytes: 1500, packets: 1, counter: 'delta',
      // LAST = FIRST = 0xb3bfe6f9, header uptime 0xb3bff683: 3978 ms before unix_secs 1636475816.
      start: 1_636_475_812_022, end: 1_636_475_812_022,
      // FLOW_SAMPLER_ID 1, but no options data told us its interval.
      samplingInterval: 1,
    }]);
  });
});
