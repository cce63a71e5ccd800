// Reads and writes radclient's input format: `Attr-Name = value` lines, one packet per blank-line-separated block.
import type { AttributeInput } from './encode.js';

/**
 * Parses radclient input. Attributes may also be comma-separated on one line; `#` starts a comment outside quotes;
 * double-quoted values take \" \\ \n \t escapes. radclient's control pseudo-attributes (Packet-*) are skipped.
 */
export function parseRadclientInput(text: string): AttributeInput[][] {
  const packets: AttributeInput[][] = [];
  let current: AttributeInput[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const pairs = splitPairs(line, i + 1);
    if (pairs === undefined) {
      if (current.length) packets.push(current);
      current = [];
      return;
    }
    for (const p of pairs) if (!p.name.startsWith('Packet-')) current.push(p);
  });
  if (current.length) packets.push(current);
  return packets;
}

/** undefined for a blank (or comment-only) line: a packet boundary. */
function splitPairs(line: string, lineNo: number): AttributeInput[] | undefined {
  const out: AttributeInput[] = [];
  let i = 0;
  const skipWs = (): void => { while (i < line.length && /\s/.test(line[i]!)) i++; };
  skipWs();
  if (i >= line.length || line[i] === '#') return undefined;
  while (i < line.length) {
    skipWs();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(=|:=|\+=|==)\s*/.exec(line.slice(i));
    if (!m) throw new Error(`radclient input line ${lineNo}: expected "Attr-Name = value" at column ${i + 1}`);
    i += m[0].length;
    let value = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) {
          const e = line[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
        } else value += line[i++];
      }
      if (line[i] !== '"') throw new Error(`radclient input line ${lineNo}: unterminated string`);
      i++;
    } else {
      const start = i;
      while (i < line.length && line[i] !== ',' && line[i] !== '#') i++;
      value = line.slice(start, i).trim();
    }
    out.push({ name: m[1]!, value });
    skipWs();
    if (line[i] === ',') i++;
    else if (line[i] === '#' || i >= line.length) break;
  }
  return out;
}

/** Writes packets in radclient's format; string-like values are quoted, numbers and enum labels are bare. */
export function formatRadclientInput(packets: readonly (readonly AttributeInput[])[]): string {
  return packets
    .map((attrs) => attrs.map((a) => `${a.name} = ${formatValue(a.value)}`).join('\n'))
    .join('\n\n') + '\n';
}

function formatValue(v: AttributeInput['value']): string {
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v !== 'string') return String(v);
  return /^[A-Za-z0-9.:/-]+$/.test(v) && !/^\d+$/.test(v) && !/[@\\]/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
