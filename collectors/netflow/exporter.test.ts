// Our IPFIX exporter cross-checked with our decoder: every field of every record comes back as it was sent.
import { describe, expect, it } from 'vitest';
import { ipfixMessages, type ExportFlow } from './exporter.js';
import { FlowDecoder } from './flow-decoder.js';
import { formatFlowAddress } from './flow-record.js';

const T = Date.UTC(2026, 0, 1, 0, 5);
const flow = (i: number, family: 4 | 6 = 4): ExportFlow => ({
  src: family === 4 ? `198.51.100.${i % 250}` : `2001:db8::${(i + 1).toString(16)}`,
  dst: family === 4 ? `100.64.${i >> 8}.${i & 255}` : `2001:db8:1:${((i % 7) + 1).toString(16)}::1`,
  protocol: i % 2 ? 6 : 17,
  srcPort: 443,
  dstPort: 40_000 + i,
  bytes: BigInt(1000 + i * 1_000_003),
  packets: BigInt(1 + i),
  start: T + i * 10,
  end: T + i * 10 + 999,
});

function decodeAll(messages: Buffer[]) {
  const decoder = new FlowDecoder();
  return messages.flatMap((m) => {
    const r = decoder.decode(m, '127.0.0.1', T);
    expect(r.errors).toEqual([]);
    return r.flows;
  });
}

describe('ipfixMessages', () => {
  it('round-trips IPv4 and IPv6 records through the decoder, field by field', () => {
    const flows = Array.from({ length: 300 }, (_, i) => flow(i, i % 5 === 0 ? 6 : 4));
    flows.push({ ...flow(1), bytes: 2n ** 63n + 5n }); // a 64-bit count above 2^53 stays exact
    const messages = ipfixMessages(flows, { domain: 42 });
    expect(messages.every((m) => m.length <= 1400 && m.readUInt16BE(2) === m.length)).toBe(true);
    const got = decodeAll(messages);
    expect(got).toHaveLength(flows.length);
    got.forEach((g, i) => {
      const f = flows[i]!;
      expect({ src: formatFlowAddress(g.srcAddr), dst: formatFlowAddress(g.dstAddr), protocol: g.protocol, srcPort: g.srcPort, dstPort: g.dstPort, bytes: BigInt(g.bytes), packets: BigInt(g.packets), start: g.start, end: g.end })
        .toEqual({ src: f.src, dst: f.dst, protocol: f.protocol, srcPort: f.srcPort, dstPort: f.dstPort, bytes: f.bytes, packets: f.packets, start: f.start, end: f.end });
      expect([g.version, g.domain, g.family, g.counter, g.samplingInterval]).toEqual([10, 42, f.src.includes(':') ? 6 : 4, 'delta', 1]);
    });
  });

  it('numbers messages by records sent, stamps the latest end and repeats templates', () => {
    const flows = Array.from({ length: 400 }, (_, i) => flow(i));
    const messages = ipfixMessages(flows, { templateEvery: 4 });
    let sent = 0;
    messages.forEach((m, n) => {
      expect(m.readUInt32BE(8)).toBe(sent);
      const withTemplates = m.readUInt16BE(16) === 2;
      expect(withTemplates).toBe(n % 4 === 0);
      // Records per message from the data set's length: 45 octets each (IPv4 template).
      const dataSet = withTemplates ? 16 + m.readUInt16BE(18) : 16;
      const count = (m.readUInt16BE(dataSet + 2) - 4) / 45;
      const last = flows[sent + count - 1]!;
      expect(m.readUInt32BE(4)).toBe(Math.ceil(last.end / 1000));
      sent += count;
    });
    expect(sent).toBe(400);
    // A decoder that missed the first message still decodes from the next one carrying templates.
    const late = new FlowDecoder({ hold: { holdMs: 0, maxSetsPerTemplate: 1, maxBytes: 1 } });
    expect(late.decode(messages[4]!, '127.0.0.1', T).flows.length).toBeGreaterThan(0);
  });

  it('refuses flows it cannot encode instead of sending garbage', () => {
    expect(() => ipfixMessages([{ ...flow(1), dst: '2001:db8::1' }])).toThrow(/not a pair of IPv4 or of IPv6/);
    expect(() => ipfixMessages([{ ...flow(1), end: T - 1 }])).toThrow(/ends .* before it starts/);
    expect(() => ipfixMessages([{ ...flow(1), bytes: -1n }])).toThrow(/64 unsigned bits/);
  });
});
