// Flows as CSV, one per line, for fixtures a person can read and diff: the demo's bundled NetFlow traffic.
import { isIP } from 'node:net';
import type { ExportFlow } from './exporter.js';

export const FLOW_CSV_COLUMNS = ['start', 'end', 'src', 'dst', 'protocol', 'src_port', 'dst_port', 'packets', 'bytes'] as const;

/** Header line, then one line per flow; times as ISO 8601 UTC with milliseconds. */
export function formatFlowCsv(flows: readonly ExportFlow[]): string {
  const lines = flows.map((f) => [new Date(f.start).toISOString(), new Date(f.end).toISOString(), f.src, f.dst, f.protocol, f.srcPort, f.dstPort, f.packets, f.bytes].join(','));
  return [FLOW_CSV_COLUMNS.join(','), ...lines].join('\n') + '\n';
}

/** Parses formatFlowCsv's output; `#` lines and blank lines are skipped. Errors name the file and line. */
export function parseFlowCsv(text: string, file = 'flows.csv'): ExportFlow[] {
  const flows: ExportFlow[] = [];
  let header = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    if (!header) {
      if (line !== FLOW_CSV_COLUMNS.join(',')) throw new Error(`${where}: expected the header "${FLOW_CSV_COLUMNS.join(',')}"`);
      header = true;
      return;
    }
    const cells = line.split(',');
    if (cells.length !== FLOW_CSV_COLUMNS.length) throw new Error(`${where}: ${cells.length} columns, expected ${FLOW_CSV_COLUMNS.length}`);
    const [start, end, src, dst, protocol, srcPort, dstPort, packets, bytes] = cells as [string, string, string, string, string, string, string, string, string];
    const time = (s: string, col: string) => {
      const t = Date.parse(s);
      if (!/^\d{4}-\d\d-\d\dT/.test(s) || Number.isNaN(t)) throw new Error(`${where}: ${col} "${s}" is not an ISO 8601 time`);
      return t;
    };
    const uint = (s: string, col: string, max: number) => {
      if (!/^\d+$/.test(s) || Number(s) > max) throw new Error(`${where}: ${col} "${s}" is not an integer from 0 to ${max}`);
      return Number(s);
    };
    const count = (s: string, col: string) => {
      if (!/^\d+$/.test(s) || BigInt(s) >= 2n ** 64n) throw new Error(`${where}: ${col} "${s}" is not a 64-bit unsigned count`);
      return BigInt(s);
    };
    for (const [a, col] of [[src, 'src'], [dst, 'dst']] as const) if (!isIP(a)) throw new Error(`${where}: ${col} "${a}" is not an IP address`);
    flows.push({
      start: time(start, 'start'), end: time(end, 'end'), src, dst,
      protocol: uint(protocol, 'protocol', 255), srcPort: uint(srcPort, 'src_port', 65535), dstPort: uint(dstPort, 'dst_port', 65535),
      packets: count(packets, 'packets'), bytes: count(bytes, 'bytes'),
    });
  });
  if (!header) throw new Error(`${file}: no header line`);
  return flows;
}
