// NetFlow v5: a fixed 24-octet header and 48-octet records (Cisco's published format; no templates).
import type { DecodeErrorReason } from './decode-error.js';
import type { FlowRecord } from './flow-record.js';
import type { RecordFallback } from './record-fallback.js';
import { clampFlowTimes, fromSysUptime } from './timestamps.js';

export const V5_HEADER = 24;
export const V5_RECORD = 48;

export interface V5Outcome {
  flows: FlowRecord[];
  errors: DecodeErrorReason[];
  fallbacks: RecordFallback[];
}

export function decodeV5(b: Buffer, exporter: string): V5Outcome {
  const errors: DecodeErrorReason[] = [];
  const fallbacks: RecordFallback[] = [];
  const flows: FlowRecord[] = [];
  if (b.length < V5_HEADER) return { flows, errors: ['truncated'], fallbacks };
  const count = b.readUInt16BE(2);
  // The count is all the framing v5 has: a datagram shorter than count records is cut, not padded.
  if (b.length < V5_HEADER + count * V5_RECORD) return { flows, errors: ['bad_length'], fallbacks };
  const uptime = b.readUInt32BE(4);
  const headerMs = b.readUInt32BE(8) * 1000 + Math.floor(b.readUInt32BE(12) / 1e6);
  const domain = (b[20]! << 8) | b[21]!;
  // Top 2 bits: sampling mode; low 14 bits: the interval (0 = unsampled).
  const samplingInterval = b.readUInt16BE(22) & 0x3fff || 1;
  for (let i = 0; i < count; i++) {
    const r = V5_HEADER + i * V5_RECORD;
    const packets = b.readUInt32BE(r + 16);
    const bytes = b.readUInt32BE(r + 20);
    const t = { start: fromSysUptime(b.readUInt32BE(r + 24), uptime, headerMs), end: fromSysUptime(b.readUInt32BE(r + 28), uptime, headerMs) };
    // As for v9/IPFIX (decode-record.ts): every v5 record has octets, so none is refused; what is impossible is
    // repaired and counted.
    if (packets > bytes) fallbacks.push('packets_exceed_octets');
    clampFlowTimes(t, headerMs, fallbacks);
    flows.push({
      version: 5,
      exporter,
      domain,
      family: 4,
      srcAddr: b.readUInt32BE(r),
      dstAddr: b.readUInt32BE(r + 4),
      protocol: b[r + 38]!,
      srcPort: b.readUInt16BE(r + 32),
      dstPort: b.readUInt16BE(r + 34),
      bytes,
      packets,
      counter: 'delta',
      start: t.start,
      end: t.end,
      samplingInterval,
    });
  }
  return { flows, errors, fallbacks };
}
