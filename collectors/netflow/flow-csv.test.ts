// The flow CSV the demo's NetFlow fixture is written in: round trip, clear errors, and the committed fixture.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateNetflow } from '../../scripts/gen-netflow-fixtures.js';
import { formatFlowCsv, parseFlowCsv } from './flow-csv.js';

describe('flow CSV', () => {
  it('round-trips flows, IPv6 and 64-bit counts included', () => {
    const flows = [
      { start: Date.UTC(2026, 0, 1, 0, 0, 1, 5), end: Date.UTC(2026, 0, 1, 0, 1), src: '198.51.100.1', dst: '100.64.0.2', protocol: 6, srcPort: 443, dstPort: 50_000, packets: 3n, bytes: 4000n },
      { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 0, 1), src: '2001:db8::1', dst: '2001:db8:1::2', protocol: 17, srcPort: 0, dstPort: 0, packets: 1n, bytes: 2n ** 64n - 1n },
    ];
    expect(parseFlowCsv(`# a comment\n${formatFlowCsv(flows)}\n`)).toEqual(flows);
  });

  it('names the file, line and column of what is wrong', () => {
    const head = 'start,end,src,dst,protocol,src_port,dst_port,packets,bytes\n';
    const ok = '2026-01-01T00:00:00Z,2026-01-01T00:00:01Z,198.51.100.1,100.64.0.2,6,443,50000,1,100';
    expect(() => parseFlowCsv(ok, 'f.csv')).toThrow(/^f\.csv:1: expected the header/);
    expect(() => parseFlowCsv(head + ok.replace('100.64.0.2', '100.64.0'), 'f.csv')).toThrow(/^f\.csv:2: dst "100\.64\.0" is not an IP address$/);
    expect(() => parseFlowCsv(head + ok.replace(',6,', ',256,'), 'f.csv')).toThrow(/^f\.csv:2: protocol "256" is not an integer from 0 to 255$/);
    expect(() => parseFlowCsv(head + ok.replace(/,100$/, `,${2n ** 64n}`), 'f.csv')).toThrow(/bytes .* is not a 64-bit unsigned count/);
    expect(() => parseFlowCsv(head + ok.replace('2026-01-01T00:00:00Z', 'yesterday'), 'f.csv')).toThrow(/start "yesterday" is not an ISO 8601 time/);
    expect(() => parseFlowCsv(head + ok + ',1', 'f.csv')).toThrow(/10 columns, expected 9/);
    expect(() => parseFlowCsv('# only a comment\n', 'f.csv')).toThrow(/^f\.csv: no header line$/);
  });

  it('is what scripts/gen-netflow-fixtures.ts generates, and its totals equal the RADIUS demo fixture', () => {
    const g = generateNetflow();
    expect(parseFlowCsv(readFileSync('fixtures/netflow/demo.flows.csv', 'utf8'))).toEqual(g.flows);
    expect(JSON.parse(readFileSync('fixtures/netflow/demo.expected.json', 'utf8'))).toEqual(g.expected);
    const radius = JSON.parse(readFileSync('fixtures/radius/demo.expected.json', 'utf8')) as { subscribers: Record<string, { bytesDown: string; bytesUp: string }> };
    for (const [who, t] of Object.entries(radius.subscribers)) expect([g.expected.subscribers[who]?.bytesDown, g.expected.subscribers[who]?.bytesUp]).toEqual([t.bytesDown, t.bytesUp]);
  });
});
