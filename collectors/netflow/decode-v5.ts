// NetFlow v5: a fixed 24-octet header and 48-octet records (Cisco's published format; no templates).
import type { DecodeErrorReason } from './decode-error.js';
import type { FlowRecord } from './flow-record.js';
import { fromSysUptime } from './timestamps.js';

export const V5_HEADER = 24;
export const V5_RECORD = 48;

export interface V5Outcome {
  flows: FlowRecord[];
  errors: DecodeErrorReason[];
}

export function decodeV5(b: Buffer, exporter: string): V5Outcome {
  const errors: DecodeErrorReason[] = [];
  const flows: FlowRecord[] = [];
  if (b.length < V5_HEADER) return { flows, errors: ['truncated'] };
  const count = b.readUInt16BE(2);
  // The count is all the framing v5 has: a datagram shorter than count records is cut, not padded.
  if (b.length < V5_HEADER + count * V5_RECORD) return { flows, errors: ['bad_length'] };
  const uptime = b.readUInt32BE(4);
  const headerMs = b.readUInt32BE(8) * 1000 + Math.floor(b.readUInt32BE(12) / 1e6);
  const domain = (b[20]! << 8) | b[21]!;
  // Top 2 bits: sampling mode; low 14 bits: the interval (0 = unsampled).
  const samplingInterval = b.readUInt16BE(22) & 0x3fff || 1;
  for (let i = 0; i < count; i++) {
    const r = V5_HEADER + i * V5_RECORD;
    const packets = b.readUInt32BE(r + 16);
    const bytes = b.readUInt32BE(r + 20);
    const start = fromSysUptime(b.readUInt32BE(r + 24), uptime, headerMs);
    const end = fromSysUptime(b.readUInt32BE(r + 28), uptime, headerMs);
    // As for v9/IPFIX (decode-record.ts): not after the export time (+1 min), not older than 30 days.
    if (packets > bytes || end < start || end > headerMs + 60_000 || start < headerMs - 30 * 86_400_000) {
      errors.push('bad_record');
      continue;
    }
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
      start,
      end,
      samplingInterval,
    });
  }
  return { flows, errors };
}
