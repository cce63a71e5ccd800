// The spool's on-disk frame: u32 length, u32 CRC-32 of the payload, then the payload (JSON of a SpoolEntry).
import { crc32 } from 'node:zlib';
import type { SpoolEntry, StateChange } from './spool-types.js';
import { fromJson, toJson, type UsageRecordJson } from './usage-record.js';

/** Both header fields are little-endian. */
export const HEADER_BYTES = 8;
/** The smallest payload we ever write is `{"records":[]}`; anything shorter is not ours (e.g. a run of zeros). */
const MIN_PAYLOAD = 14;
const OPEN_BRACE = 0x7b;

/**
 * State values are the collectors' own (often bigint counters), so bigints are tagged as {"$bigint":"…"};
 * records do not need it: toJson() already writes their bigints as strings.
 */
export function stateReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
}

export function reviveBigints(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveBigints);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$bigint' && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = reviveBigints(o[k]);
    return out;
  }
  return value;
}

/**
 * Most state carries no bigint (RADIUS keeps counters as strings), and a replacer function costs a call per key:
 * try the plain form first and pay for the replacer only when a bigint makes JSON.stringify throw.
 */
function stringifyState(state: readonly StateChange[]): string {
  try {
    return JSON.stringify(state);
  } catch (e) {
    if (e instanceof TypeError) return JSON.stringify(state, stateReplacer);
    throw e;
  }
}

export function encodeFrame(entry: SpoolEntry): Buffer {
  // Records and state are stringified apart so the replacer's cost is only paid by state.
  let json = '{"records":' + JSON.stringify(entry.records.map(toJson));
  if (entry.state && entry.state.length > 0) json += ',"state":' + stringifyState(entry.state);
  json += '}';
  const len = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + len);
  frame.write(json, HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(len, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER_BYTES)), 4);
  return frame;
}

interface EntryJson {
  records: UsageRecordJson[];
  state?: StateChange[];
}

function isEntryJson(v: unknown): v is EntryJson {
  if (v === null || typeof v !== 'object') return false;
  const o = v as { records?: unknown; state?: unknown };
  return Array.isArray(o.records) && (o.state === undefined || Array.isArray(o.state));
}

export type FrameResult =
  | { kind: 'ok'; entry: SpoolEntry; next: number }
  /** The header or payload runs past the end of `buf`: read more, or at the end of a segment it is torn. */
  | { kind: 'short'; need: number }
  | { kind: 'corrupt'; reason: string };

/** Decodes the frame at buf[pos]; positions are relative to `buf`. */
export function decodeFrameAt(buf: Buffer, pos: number): FrameResult {
  if (buf.length - pos < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES };
  const len = buf.readUInt32LE(pos);
  if (len < MIN_PAYLOAD) return { kind: 'corrupt', reason: `length ${len} too small` };
  const end = pos + HEADER_BYTES + len;
  if (end > buf.length) return { kind: 'short', need: HEADER_BYTES + len };
  const payload = buf.subarray(pos + HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return { kind: 'corrupt', reason: 'CRC mismatch' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'corrupt', reason: 'payload is not JSON' };
  }
  if (!isEntryJson(parsed)) return { kind: 'corrupt', reason: 'payload is not a spool entry' };
  const entry: SpoolEntry = { records: parsed.records.map(fromJson) };
  if (parsed.state) entry.state = parsed.state.map((c) => ({ ...c, value: reviveBigints(c.value) }));
  return { kind: 'ok', entry, next: end };
}

/**
 * The position of the next valid frame after a corrupt one, or undefined. The '{' check makes the scan cheap:
 * a CRC is only computed where a payload could start. A frame found inside the payload of a larger one is
 * practically impossible: JSON text has no NUL bytes, so it cannot hold a plausible u32 length.
 */
export function findNextFrame(buf: Buffer, from: number): { pos: number; entry: SpoolEntry; next: number } | undefined {
  for (let p = from; p + HEADER_BYTES + MIN_PAYLOAD <= buf.length; p++) {
    if (buf[p + HEADER_BYTES] !== OPEN_BRACE) continue;
    const r = decodeFrameAt(buf, p);
    if (r.kind === 'ok') return { pos: p, entry: r.entry, next: r.next };
  }
  return undefined;
}
