// Fuzz: random and mutated datagrams must never throw, never hit internal_error, and yield only sane flows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowDecoder, type DecodeOutcome } from './flow-decoder.js';
import type { FlowAddress, FlowRecord } from './flow-record.js';
import { hex, IPFIX, IPFIX_SAMPLING, ipfixHeader, V5, V9 } from './testdata/packets.js';
import { mulberry32 } from '../../scripts/prng.js';

/** NETFLOW_FUZZ_CASES=5000000 for a long run; the default keeps CI at a few seconds. */
const CASES = Number(process.env['NETFLOW_FUZZ_CASES'] ?? 100_000);
const SEED = Number(process.env['NETFLOW_FUZZ_SEED'] ?? 20261126);
const HOLD_MAX_BYTES = 256 * 1024;

const rng = mulberry32;

const corpus: Buffer[] = [V5, V9, IPFIX, Buffer.concat([hex(ipfixHeader(16 + IPFIX_SAMPLING.length)), IPFIX_SAMPLING])];
const HAND = corpus.length;
for (const v of [5, 9, 10]) {
  const lines = readFileSync(new URL(`./testdata/softflowd-v${v}.hex`, import.meta.url), 'utf8').split('\n').filter(Boolean);
  // The first datagrams carry the templates; a few data ones after them.
  corpus.push(...lines.slice(0, 4).map((l) => Buffer.from(l, 'hex')));
}

function mutate(src: Buffer, r: () => number): Buffer {
  const int = (n: number) => Math.floor(r() * n);
  let b = Buffer.from(src);
  const steps = 1 + int(4);
  for (let s = 0; s < steps; s++) {
    switch (int(7)) {
      case 0: if (b.length) b[int(b.length)] = int(256); break; // random byte
      case 1: if (b.length) b[int(b.length)]! ^= 1 << int(8); break; // bit flip
      case 2: b = b.subarray(0, int(b.length + 1)); break; // truncate
      case 3: if (b.length >= 2) b.writeUInt16BE([0, 1, 3, 4, 0xffff, 0xfffe, 256][int(7)]!, int(b.length - 1)); break; // nasty 16-bit values
      case 4: b = Buffer.concat([b, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]); break; // trailing junk
      case 5: { const o = corpus[int(corpus.length)]!; const at = int(o.length); b = Buffer.concat([b.subarray(0, int(b.length)), o.subarray(at, at + int(200))]); break; } // splice
      case 6: if (b.length > 4) { const at = int(b.length - 4); b.copy(b, int(b.length - 4), at, at + 4); } break; // duplicate a word
    }
  }
  return b;
}

function random(r: () => number): Buffer {
  const b = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
  // Mostly a plausible version, so the fuzz gets past the first check.
  if (b.length >= 2 && r() < 0.9) b.writeUInt16BE([5, 9, 10][Math.floor(r() * 3)]!, 0);
  return b;
}

function saneFlow(f: FlowRecord): boolean {
  return Number.isFinite(f.start) && Number.isFinite(f.end) && f.end >= f.start && f.bytes >= 0n && f.packets >= 0n &&
    f.samplingInterval >= 1 && Number.isInteger(f.samplingInterval) && saneAddress(f.srcAddr, f.family) && saneAddress(f.dstAddr, f.family);
}

function sameOutcome(a: DecodeOutcome, b: DecodeOutcome): boolean {
  return a.held === b.held && a.errors.join() === b.errors.join() && a.fallbacks.join() === b.fallbacks.join() && a.flows.length === b.flows.length &&
    a.flows.every((f, i) => (Object.keys(f) as (keyof FlowRecord)[]).every((k) => f[k] === b.flows[i]![k]));
}

/** IPv4: an unsigned 32-bit integer (FlowAddress); IPv6: text. */
function saneAddress(a: FlowAddress, family: 4 | 6): boolean {
  return family === 4 ? typeof a === 'number' && Number.isInteger(a) && a >= 0 && a <= 0xffffffff : typeof a === 'string';
}

describe('fuzz', () => {
  it(`${CASES} random and mutated datagrams: no throw, no internal error, sane flows, bounded state`, () => {
    const r = rng(SEED);
    const d = new FlowDecoder({ maxTemplates: 500, hold: { holdMs: 50, maxBytes: HOLD_MAX_BYTES } });
    // The same datagrams through a decoder that walks every record field by field: compiled layouts must agree.
    const walking = new FlowDecoder({ maxTemplates: 500, hold: { holdMs: 50, maxBytes: HOLD_MAX_BYTES }, compiledLayouts: false });
    const started = performance.now();
    let flows = 0;
    let errors = 0;
    for (let i = 0; i < CASES; i++) {
      // Hand-written packets (the first HAND entries) are picked as often as softflowd's long datagrams, which
      // mostly decode whole and would otherwise dominate the run time.
      const pick = r() < 0.5 ? Math.floor(r() * HAND) : HAND + Math.floor(r() * (corpus.length - HAND));
      const packet = r() < 0.2 ? random(r) : mutate(corpus[pick]!, r);
      const exporter = `10.0.0.${Math.floor(r() * 4)}`;
      const out = d.decode(packet, exporter, i);
      const walked = walking.decode(packet, exporter, i);
      if (i % 100 === 0) {
        d.expire(i);
        walking.expire(i);
      }
      if (!sameOutcome(out, walked)) throw new Error(`compiled and walking decoders differ on case ${i}: ${packet.toString('hex')}`);
      flows += out.flows.length;
      errors += out.errors.length;
      for (const f of out.flows) if (!saneFlow(f)) throw new Error(`insane flow from case ${i}: ${packet.toString('hex')}`);
      if (out.errors.includes('internal_error')) throw new Error(`internal_error on case ${i}: ${packet.toString('hex')}`);
    }
    const ms = performance.now() - started;
    expect(d.errorTotals.internal_error).toBe(0);
    expect(d.held.bytes).toBeLessThanOrEqual(HOLD_MAX_BYTES);
    expect(d.cache.size).toBeLessThanOrEqual(500);
    expect(errors).toBeGreaterThan(CASES / 10);
    console.log(`netflow fuzz: ${CASES} cases in ${ms.toFixed(0)} ms, ${flows} flows, ${errors} errors counted, ${JSON.stringify(d.errorTotals)}`);
  }, Math.max(60_000, CASES * 0.2)); // long mode: about 60 µs a case on this machine
});
