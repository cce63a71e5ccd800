// Real exporter packets: softflowd 1.1.0 replaying an mkpcap capture (testdata/make-softflowd-captures.sh).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import { formatFlowAddress } from './flow-record.js';

const dir = new URL('./testdata/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, { in: number; out: number }>;

function datagrams(version: number): Buffer[] {
  return readFileSync(new URL(`softflowd-v${version}.hex`, dir), 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from(l, 'hex'));
}

describe.each([5, 9, 10])('softflowd -v %i', (version) => {
  it('decodes to mkpcap\'s per-address totals exactly, with sane times and no errors', () => {
    const d = new FlowDecoder();
    const totals = new Map<string, { in: bigint; out: bigint }>();
    const at = (a: string) => totals.get(a) ?? (totals.set(a, { in: 0n, out: 0n }), totals.get(a)!);
    let flows = 0;
    const packets = datagrams(version);
    // The capture spans the 30 minutes (mkpcap --span 1800, on a minute boundary) before softflowd ran, and
    // softflowd stamps those flows with uptimes from before its own start: read unsigned, they would land
    // 49.7 days late. Every flow must lie in that window before its datagram's export time.
    for (const p of packets) {
      const r = d.decode(p, '127.0.0.1', 0);
      expect(r.errors).toEqual([]);
      const exportMs = (version === 10 ? p.readUInt32BE(4) : p.readUInt32BE(8)) * 1000;
      for (const f of r.flows) {
        flows++;
        expect(f.samplingInterval).toBe(1);
        expect(f.counter).toBe('delta');
        expect(f.end).toBeGreaterThanOrEqual(f.start);
        expect(f.start).toBeGreaterThan(exportMs - 1_800_000 - 120_000);
        expect(f.end).toBeLessThanOrEqual(exportMs + 1000);
        const dst = formatFlowAddress(f.dstAddr);
        const src = formatFlowAddress(f.srcAddr);
        if (truth[dst]) at(dst).in += BigInt(f.bytes);
        if (truth[src]) at(src).out += BigInt(f.bytes);
      }
    }
    expect(flows).toBeGreaterThan(1000);
    expect(d.held.sets).toBe(0);
    const want = Object.fromEntries(Object.entries(truth).map(([a, t]) => [a, { in: BigInt(t.in), out: BigInt(t.out) }]));
    expect(Object.fromEntries(totals)).toEqual(want);
  });
});
