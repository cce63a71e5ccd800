// Walks one v9/IPFIX data or options record by its template; reads the fields we use and skips the rest.
import { formatIPv6 } from '../pipeline/ip.js';
import type { DecodeErrorReason } from './decode-error.js';
import type { RecordFallback } from './record-fallback.js';
import type { FlowCount, FlowRecord, FlowVisitor } from './flow-record.js';
import { IE, VARIABLE_LENGTH } from './information-elements.js';
import type { StreamOptions } from './template-cache.js';
import { minRecordLength, type StreamKey, type Template } from './template.js';
import { clampFlowTimes, fromNtp, fromSystemInit, fromSysUptime } from './timestamps.js';

/** What the packet header says, needed to turn relative times into absolute ones. */
export interface RecordContext {
  stream: StreamKey;
  /** Header wall clock in ms (v9 unix_secs, IPFIX Export Time). */
  exportMs: number;
  /** v9 header sysUptime in ms; undefined for IPFIX. */
  uptimeMs: number | undefined;
  options: StreamOptions | undefined;
  /** The stream's options, made if need be: only for the rare fallback that keeps per-stream state (the uptime estimate). */
  streamOptions: (stream: StreamKey) => StreamOptions;
  /** Set by decodeRecords() for a set with relative times and no init time anywhere: the stream's estimate. */
  estimatedInitMs?: number;
}

/**
 * Field values of one record; numbers for ≤ 6-octet integers, FlowCount counters. A class with every field set in
 * its constructor, so that all records share one object shape whatever their template (optional properties added
 * in template order gave V8 a different shape per template and slower property access).
 */
class Fields {
  /** IPv4 addresses as unsigned 32-bit numbers (FlowAddress), or IPv6 addresses as they are in the datagram. */
  src: number | Buffer | undefined = undefined;
  dst: number | Buffer | undefined = undefined;
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  octets: FlowCount | undefined = undefined;
  packets: FlowCount | undefined = undefined;
  octetsTotal: FlowCount | undefined = undefined;
  packetsTotal: FlowCount | undefined = undefined;
  absStart: number | undefined = undefined;
  absEnd: number | undefined = undefined;
  upStart: number | undefined = undefined;
  upEnd: number | undefined = undefined;
  deltaStartUs: number | undefined = undefined;
  deltaEndUs: number | undefined = undefined;
  durationMs: number | undefined = undefined;
  initMs: number | undefined = undefined;
  sampling: number | undefined = undefined;
  samplerId: number | undefined = undefined;
  packetInterval: number | undefined = undefined;
  packetSpace: number | undefined = undefined;
  /** Flow times in ms, set by flowTimes(). */
  start = 0;
  end = 0;
}

/** Where decoded records go: each flow, in the reused `scratch`, to `visitor`; errors to `errors`. */
export interface RecordSink {
  readonly visitor: FlowVisitor;
  /** Refilled for every flow (see FlowVisitor). */
  readonly scratch: FlowRecord;
  /** Flows handed to the visitor so far. */
  flows: number;
  readonly errors: DecodeErrorReason[];
  /** One entry per record kept with a repaired time or field (RecordFallback); empty when all was well. */
  readonly fallbacks: RecordFallback[];
}

/** A visitor's own exception on its way out of the decoder, which counts only its own as internal_error. */
export class VisitorFailure {
  constructor(readonly cause: unknown) {}
}

/** Hands one flow to the sink's visitor; what the visitor throws is wrapped in a VisitorFailure. */
export function handOver(out: RecordSink, flow: FlowRecord): void {
  out.flows++;
  try {
    out.visitor.flow(flow);
  } catch (err) {
    throw new VisitorFailure(err);
  }
}

/**
 * A template compiled once for its data: the fields we read with their offsets when every field has a fixed
 * length (nearly all templates), so a record is read at fixed offsets instead of walking the template field by
 * field (checking lengths, enterprise bits and scope fields) for every record.
 */
interface RecordLayout {
  /** Smallest record: variable-length fields count their 1-octet length prefix. */
  minLength: number;
  /** Octets per record when no field has a variable length; 0 otherwise (each record is walked, readFields). */
  fixedLength: number;
  /** fixedLength > 0: the fields readField() reads, with their offsets in the record. */
  reads: { id: number; offset: number; length: number }[];
  /** fixedLength > 0: `reads` as one straight-line function (compileReader), else undefined. */
  read: RecordReader | undefined;
  /** IPFIX data with flowStart/EndSysUpTime but no systemInitTimeMilliseconds: may need an estimated init time. */
  relativeWithoutInit: boolean;
}

/** Reads one record at `off` of the set, through `v`, a DataView of the same octets as `b`. */
type RecordReader = (b: Buffer, v: DataView, off: number, f: Fields) => void;

/** Layouts by template object: a refreshed template is a new object, so its layout is compiled anew. */
const layouts = new WeakMap<Template, RecordLayout>();

function layoutOf(t: Template, version: 9 | 10): RecordLayout {
  let layout = layouts.get(t);
  if (layout) return layout;
  const read = (id: number): boolean => t.fields.some((f, i) => f.id === id && !skipped(t, i, version));
  layout = {
    minLength: minRecordLength(t), fixedLength: 0, reads: [], read: undefined,
    relativeWithoutInit: version === 10 && t.kind === 'data' && (read(IE.flowStartSysUpTime) || read(IE.flowEndSysUpTime)) && !read(IE.systemInitTimeMilliseconds),
  };
  if (t.fields.every((f) => f.length !== VARIABLE_LENGTH)) {
    let offset = 0;
    t.fields.forEach((f, i) => {
      if (!skipped(t, i, version) && READ.has(f.id)) layout!.reads.push({ id: f.id, offset, length: f.length });
      offset += f.length;
    });
    layout.fixedLength = offset;
    layout.read = compileReader(layout.reads);
  }
  layouts.set(t, layout);
  return layout;
}

/**
 * Decodes every record of a data set body into `out`. Trailing bytes shorter than the template's minimum record
 * are padding (RFC 3954 §5.3, RFC 7011 §3.3.1). Every record consumes ≥ 1 octet (templates of length 0 are
 * refused upstream), so the loop always ends. `compiled: false` walks every record as templates with
 * variable-length fields are (the fuzz test checks that both ways agree).
 */
export function decodeRecords(body: Buffer, t: Template, ctx: RecordContext, out: RecordSink, compiled = true): void {
  const version = ctx.stream.version;
  const layout = layoutOf(t, version);
  const fixed = compiled ? layout.fixedLength : 0;
  // A compiled layout writes the same fields for every record (lengths are fixed), so one Fields serves the whole
  // set without a reset; a walked record may leave a field unwritten (a variable-length address of another
  // length), so each gets a fresh one.
  const shared = fixed ? new Fields() : undefined;
  // Multi-octet fields of a compiled layout are read through a DataView: V8 compiles getUint32() to one load, where
  // reading a Buffer octet by octet costs four loads, each bounds-checked.
  const view = fixed ? new DataView(body.buffer, body.byteOffset, body.length) : undefined;
  if (layout.relativeWithoutInit && ctx.options?.systemInitMs === undefined) {
    const newest = newestUptime(body, t, version, layout, fixed, view);
    if (newest !== undefined) ctx.estimatedInitMs = estimatedInit(ctx, newest);
  }
  let off = 0;
  while (body.length - off >= layout.minLength) {
    const f = shared ?? new Fields();
    if (fixed) {
      // minLength equals fixedLength here, so the whole record is inside the body.
      layout.read!(body, view!, off, f);
      off += fixed;
    } else {
      const next = readFields(body, off, t, version, f);
      if (next < 0) {
        out.errors.push('bad_length');
        return;
      }
      off = next;
    }
    if (t.kind === 'options') applyOptions(f, ctx);
    else if (toFlow(f, ctx, out.scratch, out.fallbacks)) handOver(out, out.scratch);
    else {
      // Only a record without any octet counter: nothing to bill, and nothing to repair.
      out.errors.push('bad_record');
    }
  }
}

/**
 * The latest flowEndSysUpTime (else flowStartSysUpTime) of a set, read ahead of decoding it: the flow that ended last
 * is the one nearest its export time, whatever its place in the set. Only for streams that need an estimated init
 * time (decodeRecords), so it costs nothing to exporters that send one.
 */
function newestUptime(body: Buffer, t: Template, version: 9 | 10, layout: RecordLayout, fixed: number, view: DataView | undefined): number | undefined {
  let newest: number | undefined;
  let off = 0;
  while (body.length - off >= layout.minLength) {
    const f = new Fields();
    if (fixed) {
      layout.read!(body, view!, off, f);
      off += fixed;
    } else {
      const next = readFields(body, off, t, version, f);
      if (next < 0) break;
      off = next;
    }
    const up = f.upEnd ?? f.upStart;
    if (up !== undefined && (newest === undefined || up > newest)) newest = up;
  }
  return newest;
}

/**
 * One function per compiled layout that reads its fields at constant offsets: no loop over `reads`, no switch on
 * the field id per field, and the common fields (IPv4 addresses, ports, protocol, 4-octet counters and uptimes)
 * read inline by their length. Every other field calls readField(), so the result is the same by construction (the
 * fuzz test checks it against the walking decoder). Only integers from `reads` are written into the source.
 */
function compileReader(reads: readonly { id: number; offset: number; length: number }[]): RecordReader {
  const lines = reads.map(({ id, offset, length }) => {
    if (!Number.isInteger(id) || !Number.isInteger(offset) || !Number.isInteger(length)) throw new Error('netflow: bad compiled layout');
    const at = `off + ${offset}`;
    const inline = length === 1 ? `b[${at}]` : length === 2 ? `v.getUint16(${at})` : length === 4 ? `v.getUint32(${at})` : undefined;
    const target = INLINE_TARGETS.get(id);
    if (target && inline && (length === 4 || !target.u32Only)) return `f.${target.name} = ${inline};`;
    const wide = length === 8 ? INLINE_8.get(id) : undefined;
    if (wide) return `f.${wide.name} = ${wide.read}(v, ${at});`;
    return `readField(b, ${at}, ${length}, ${id}, f);`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from integers only (above)
  const make = new Function('uint64', 'count64', 'readField', `return function readRecord(b, v, off, f) {\n${lines.join('\n')}\n};`) as
    (a: typeof uint64, b: typeof count64, c: typeof readField) => RecordReader;
  return make(uint64, count64, readField);
}

/**
 * 8-octet fields read without readField's switch (IPFIX counters and millisecond times), as readField reads them,
 * by helpers small enough for V8 to inline (count() and uint() switch on the length and were not).
 */
const INLINE_8: ReadonlyMap<number, { name: keyof Fields; read: 'uint64' | 'count64' }> = new Map([
  [IE.octetDeltaCount, { name: 'octets', read: 'count64' }],
  [IE.packetDeltaCount, { name: 'packets', read: 'count64' }],
  [IE.octetTotalCount, { name: 'octetsTotal', read: 'count64' }],
  [IE.packetTotalCount, { name: 'packetsTotal', read: 'count64' }],
  [IE.flowStartMilliseconds, { name: 'absStart', read: 'uint64' }],
  [IE.flowEndMilliseconds, { name: 'absEnd', read: 'uint64' }],
]);

/** Fields compileReader() reads inline; `u32Only`: only at 4 octets (as readField reads them: addresses). */
const INLINE_TARGETS: ReadonlyMap<number, { name: keyof Fields; u32Only: boolean }> = new Map([
  [IE.sourceIPv4Address, { name: 'src', u32Only: true }],
  [IE.destinationIPv4Address, { name: 'dst', u32Only: true }],
  [IE.protocolIdentifier, { name: 'protocol', u32Only: false }],
  [IE.sourceTransportPort, { name: 'srcPort', u32Only: false }],
  [IE.destinationTransportPort, { name: 'dstPort', u32Only: false }],
  [IE.octetDeltaCount, { name: 'octets', u32Only: false }],
  [IE.packetDeltaCount, { name: 'packets', u32Only: false }],
  [IE.octetTotalCount, { name: 'octetsTotal', u32Only: false }],
  [IE.packetTotalCount, { name: 'packetsTotal', u32Only: false }],
  [IE.flowStartSysUpTime, { name: 'upStart', u32Only: false }],
  [IE.flowEndSysUpTime, { name: 'upEnd', u32Only: false }],
]);

/** v9 scope fields use their own type space (System, Interface, ...), not IEs; enterprise fields are not ours. */
const skipped = (t: Template, i: number, version: 9 | 10): boolean => t.fields[i]!.enterprise !== 0 || (version === 9 && i < t.scopeCount);

/** Fills `f` walking a template with variable-length fields; returns the offset after the record, or -1 when a field runs past the set. */
function readFields(b: Buffer, start: number, t: Template, version: 9 | 10, f: Fields): number {
  let off = start;
  for (let i = 0; i < t.fields.length; i++) {
    const field = t.fields[i]!;
    let len = field.length;
    if (len === VARIABLE_LENGTH) {
      // RFC 7011 §7: one length octet, or 255 then a 2-octet length.
      if (off + 1 > b.length) return -1;
      len = b[off++]!;
      if (len === 255) {
        if (off + 2 > b.length) return -1;
        len = b.readUInt16BE(off);
        off += 2;
      }
    }
    if (off + len > b.length) return -1;
    if (!skipped(t, i, version)) readField(b, off, len, field.id, f);
    off += len;
  }
  return off;
}

/** The IEs readField() reads; a compiled layout keeps only these. */
const READ: ReadonlySet<number> = new Set([
  IE.sourceIPv4Address, IE.destinationIPv4Address, IE.sourceIPv6Address, IE.destinationIPv6Address, IE.protocolIdentifier,
  IE.sourceTransportPort, IE.destinationTransportPort, IE.octetDeltaCount, IE.packetDeltaCount, IE.octetTotalCount,
  IE.packetTotalCount, IE.flowStartSysUpTime, IE.flowEndSysUpTime, IE.flowStartSeconds, IE.flowEndSeconds,
  IE.flowStartMilliseconds, IE.flowEndMilliseconds, IE.flowStartMicroseconds, IE.flowStartNanoseconds,
  IE.flowEndMicroseconds, IE.flowEndNanoseconds, IE.flowStartDeltaMicroseconds, IE.flowEndDeltaMicroseconds,
  IE.flowDurationMilliseconds, IE.flowDurationMicroseconds, IE.systemInitTimeMilliseconds, IE.samplingInterval,
  IE.samplerRandomInterval, IE.samplerId, IE.selectorId, IE.samplingPacketInterval, IE.samplingPacketSpace,
]);

function readField(b: Buffer, off: number, len: number, id: number, f: Fields): void {
  switch (id) {
    case IE.sourceIPv4Address: if (len === 4) f.src = u32(b, off); return;
    case IE.destinationIPv4Address: if (len === 4) f.dst = u32(b, off); return;
    case IE.sourceIPv6Address: if (len === 16) f.src = b.subarray(off, off + 16); return;
    case IE.destinationIPv6Address: if (len === 16) f.dst = b.subarray(off, off + 16); return;
    case IE.protocolIdentifier: f.protocol = uint(b, off, len) ?? 0; return;
    case IE.sourceTransportPort: f.srcPort = uint(b, off, len) ?? 0; return;
    case IE.destinationTransportPort: f.dstPort = uint(b, off, len) ?? 0; return;
    case IE.octetDeltaCount: f.octets = count(b, off, len); return;
    case IE.packetDeltaCount: f.packets = count(b, off, len); return;
    case IE.octetTotalCount: f.octetsTotal = count(b, off, len); return;
    case IE.packetTotalCount: f.packetsTotal = count(b, off, len); return;
    case IE.flowStartSysUpTime: f.upStart = uint(b, off, len); return;
    case IE.flowEndSysUpTime: f.upEnd = uint(b, off, len); return;
    case IE.flowStartSeconds: f.absStart = times(uint(b, off, len), 1000); return;
    case IE.flowEndSeconds: f.absEnd = times(uint(b, off, len), 1000); return;
    case IE.flowStartMilliseconds: f.absStart = uint(b, off, len); return;
    case IE.flowEndMilliseconds: f.absEnd = uint(b, off, len); return;
    case IE.flowStartMicroseconds:
    case IE.flowStartNanoseconds: if (len === 8) f.absStart = fromNtp(b.readUInt32BE(off), b.readUInt32BE(off + 4)); return;
    case IE.flowEndMicroseconds:
    case IE.flowEndNanoseconds: if (len === 8) f.absEnd = fromNtp(b.readUInt32BE(off), b.readUInt32BE(off + 4)); return;
    case IE.flowStartDeltaMicroseconds: f.deltaStartUs = uint(b, off, len); return;
    case IE.flowEndDeltaMicroseconds: f.deltaEndUs = uint(b, off, len); return;
    case IE.flowDurationMilliseconds: f.durationMs = uint(b, off, len); return;
    case IE.flowDurationMicroseconds: f.durationMs = times(uint(b, off, len), 1 / 1000); return;
    case IE.systemInitTimeMilliseconds: f.initMs = uint(b, off, len); return;
    case IE.samplingInterval:
    case IE.samplerRandomInterval: f.sampling = uint(b, off, len); return;
    case IE.samplerId:
    case IE.selectorId: f.samplerId = uint(b, off, len); return;
    case IE.samplingPacketInterval: f.packetInterval = uint(b, off, len); return;
    case IE.samplingPacketSpace: f.packetSpace = uint(b, off, len); return;
    default: return;
  }
}

/** Unsigned big-endian integer of 1..6 octets (reduced-size encoding, RFC 7011 §6.2); else undefined. */
function uint(b: Buffer, off: number, len: number): number | undefined {
  switch (len) {
    case 1: return b[off]!;
    case 2: return (b[off]! << 8) | b[off + 1]!;
    case 4: return u32(b, off);
    // 64-bit millisecond timestamps and ids: exact while below 2^53, which real values are.
    case 8: return below2p53(b, off) ? u32(b, off) * TWO_32 + u32(b, off + 4) : undefined;
    default: return len >= 1 && len <= 6 ? b.readUIntBE(off, len) : undefined;
  }
}

/** A counter of 1..8 octets: a number below 2^53 (all real ones), else a bigint (FlowCount). */
function count(b: Buffer, off: number, len: number): FlowCount | undefined {
  if (len === 8 && !below2p53(b, off)) return b.readBigUInt64BE(off);
  return uint(b, off, len);
}

/** uint(b, off, 8) through a DataView of b: a number below 2^53, else undefined. */
function uint64(v: DataView, off: number): number | undefined {
  const high = v.getUint32(off);
  return high < 0x200000 ? high * TWO_32 + v.getUint32(off + 4) : undefined;
}

/** count(b, off, 8) through a DataView of b: a number below 2^53, else a bigint. */
function count64(v: DataView, off: number): FlowCount {
  const high = v.getUint32(off);
  return high < 0x200000 ? high * TWO_32 + v.getUint32(off + 4) : v.getBigUint64(off);
}

/**
 * Big-endian uint32 from octets the caller has already bounds-checked (record and field lengths): Buffer's
 * readUInt32BE validates its offset again on every call, a tenth of the decoder's time.
 */
const u32 = (b: Buffer, off: number): number => b[off]! * 0x1000000 + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);

/** Whether the 8-octet integer at `off` is below 2^53: its high 32 bits are below 2^21. */
const below2p53 = (b: Buffer, off: number): boolean => u32(b, off) < 0x200000;

const TWO_32 = 4_294_967_296;

const times = (v: number | undefined, k: number): number | undefined => (v === undefined ? undefined : Math.round(v * k));

function samplingOf(f: Fields): number | undefined {
  if (f.packetInterval && f.packetSpace !== undefined) return Math.round((f.packetInterval + f.packetSpace) / f.packetInterval);
  return f.sampling || undefined; // 0 means "not sampled" on some exporters
}

/** Options data: sampling (exporter-wide or per sampler id) and the IPFIX system init time. */
function applyOptions(f: Fields, ctx: RecordContext): void {
  const o = ctx.options;
  if (!o) return;
  const n = samplingOf(f);
  if (n !== undefined && n >= 1) {
    if (f.samplerId !== undefined) o.samplers.set(f.samplerId, n);
    else o.samplingInterval = n;
  }
  if (f.initMs !== undefined) o.systemInitMs = f.initMs;
}

/**
 * Fills `flow` with the flow a data record describes; false only for a record without octets (a bad_record). A
 * record with octets is always a flow: what cannot be interpreted falls back and is pushed to `fallbacks`.
 */
function toFlow(f: Fields, ctx: RecordContext, flow: FlowRecord, fallbacks: RecordFallback[]): boolean {
  const delta = f.octets !== undefined;
  const bytes = f.octets ?? f.octetsTotal;
  if (bytes === undefined) return false;
  const packets = (delta ? f.packets : f.packetsTotal) ?? 0;
  // A packet has at least one octet; more packets than octets is a corrupt or mis-templated record, but its octet
  // count is all we bill on. (A number and a bigint compare by value.)
  if (packets > bytes) fallbacks.push('packets_exceed_octets');
  flowTimes(f, ctx, fallbacks);
  const { stream, options } = ctx;
  let sampling = samplingOf(f);
  if (sampling === undefined && f.samplerId !== undefined) sampling = options?.samplers.get(f.samplerId);
  sampling ??= options?.samplingInterval ?? 1;
  flow.version = stream.version;
  flow.exporter = stream.exporter;
  flow.domain = stream.domain;
  if (f.src === undefined || f.dst === undefined || typeof f.src !== typeof f.dst) {
    // No address pair to attribute by (an L2-only template, a v4/v6 mix): unattributed usage, never lost.
    fallbacks.push('no_addresses');
    flow.family = 4;
    flow.srcAddr = 0;
    flow.dstAddr = 0;
  } else {
    flow.family = typeof f.src === 'number' ? 4 : 6;
    flow.srcAddr = typeof f.src === 'number' ? f.src : formatIPv6(f.src);
    flow.dstAddr = typeof f.dst === 'number' ? f.dst : formatIPv6(f.dst);
  }
  flow.protocol = f.protocol;
  flow.srcPort = f.srcPort;
  flow.dstPort = f.dstPort;
  flow.bytes = bytes;
  flow.packets = packets;
  flow.counter = delta ? 'delta' : 'total';
  flow.start = f.start;
  flow.end = f.end;
  flow.samplingInterval = sampling;
  return true;
}

/**
 * Sets f.start/f.end from whichever time form the record carries, in this order: absolute times (150–157), then
 * relative ones (21/22: v9 against the header's sysUptime; IPFIX against systemInitTimeMilliseconds of the record,
 * else of the stream's options, else an init time estimated from the export time), then delta times (158/159),
 * then start/end ± duration, then the other end, then the export time. Impossible results are clamped, never
 * refused: each repair is pushed to `fallbacks`.
 */
function flowTimes(f: Fields, ctx: RecordContext, fallbacks: RecordFallback[]): void {
  // Plain helpers, no closures: this runs once per record.
  let init = f.initMs ?? ctx.options?.systemInitMs;
  const estimated = init === undefined && ctx.uptimeMs === undefined &&
    ((f.absStart === undefined && f.upStart !== undefined) || (f.absEnd === undefined && f.upEnd !== undefined));
  if (estimated) {
    // IPFIX without systemInitTimeMilliseconds (older RouterOS, SonicWALL, several Cisco images): the estimate
    // decodeRecords() made from the set (or, for a record whose template did not announce it, from this record).
    fallbacks.push('uptime_estimated');
    init = ctx.estimatedInitMs ?? estimatedInit(ctx, (f.upEnd ?? f.upStart)!);
  }
  let start = f.absStart ?? relative(f.upStart, init, ctx) ?? beforeExport(f.deltaStartUs, ctx);
  let end = f.absEnd ?? relative(f.upEnd, init, ctx) ?? beforeExport(f.deltaEndUs, ctx);
  if (start === undefined && end !== undefined && f.durationMs !== undefined) start = end - f.durationMs;
  if (end === undefined && start !== undefined && f.durationMs !== undefined) end = start + f.durationMs;
  start ??= end ?? ctx.exportMs;
  end ??= start;
  f.start = start;
  f.end = end;
  clampFlowTimes(f, ctx.exportMs, fallbacks);
  if (ctx.uptimeMs === undefined && init !== undefined && !estimated && f.start < init - BOOT_SLACK_MS) {
    fallbacks.push('before_boot_clamped');
    f.start = Math.min(init, f.end);
  }
}

/**
 * How long before the exporter's init time a flow may start before it is clamped: softflowd -r replays a capture
 * older than its own start (its flows start up to the capture's span before init), and clocks are often set just
 * after boot. Only IPFIX: a v9 sysUptime may have wrapped, so its boot time is unknown.
 */
const BOOT_SLACK_MS = 3_600_000;
/** A candidate init time this much after the stream's estimate means the exporter rebooted (or its uptime wrapped). */
const ESTIMATE_RESET_MS = 3_600_000;

function relative(up: number | undefined, init: number | undefined, ctx: RecordContext): number | undefined {
  if (up === undefined) return undefined;
  if (ctx.uptimeMs !== undefined) return fromSysUptime(up, ctx.uptimeMs, ctx.exportMs);
  // flowTimes() estimated an init time when neither the record nor the options had one.
  return init === undefined ? Number.NaN : fromSystemInit(up, init, ctx.exportMs);
}

/**
 * The exporter's init time estimated from its records: a flow ends no later than the datagram reporting it, so
 * exportMs − flowEndSysUpTime is an upper bound of the init time, and the lowest seen on the stream is the best
 * (the flow that ended just before its export: with a 1-minute active timeout one does in nearly every datagram).
 * A candidate more than ESTIMATE_RESET_MS above the estimate means a reboot or a 2^32 ms uptime wrap: it restarts.
 */
function estimatedInit(ctx: RecordContext, newestUp: number): number {
  const o = ctx.options ?? ctx.streamOptions(ctx.stream);
  const candidate = ctx.exportMs - newestUp;
  const est = o.estimatedInitMs;
  if (est === undefined || candidate < est || candidate - est > ESTIMATE_RESET_MS) o.estimatedInitMs = candidate;
  return o.estimatedInitMs!;
}

function beforeExport(us: number | undefined, ctx: RecordContext): number | undefined {
  return us === undefined ? undefined : ctx.exportMs - Math.round(us / 1000);
}
