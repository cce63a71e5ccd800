// Decodes NetFlow v5, v9 and IPFIX datagrams with a template cache and a hold queue; never throws.
import { emptyErrorCounts, type DecodeErrorCounts, type DecodeErrorReason } from './decode-error.js';
import { decodeRecords, handOver, VisitorFailure, type RecordSink } from './decode-record.js';
import { decodeV5 } from './decode-v5.js';
import type { RecordFallback } from './record-fallback.js';
import { blankFlowRecord, type FlowRecord, type FlowVisitor } from './flow-record.js';
import { DEFAULT_HOLD_LIMITS, HoldQueue, type HeldSet, type HoldLimits } from './hold-queue.js';
import { TemplateCache, type TemplateCacheSnapshot } from './template-cache.js';
import { parseTemplateSet, type TemplateSetKind } from './template-set.js';
import type { StreamKey } from './template.js';

export interface DecodeOutcome {
  /** Flows of this datagram, plus those of held data sets its templates released. */
  flows: FlowRecord[];
  /** One entry per bad packet, set or record; empty when all was well. */
  errors: DecodeErrorReason[];
  /** Data sets of this datagram put on hold for a template not yet seen. */
  held: number;
  /** One entry per record kept with a repaired time or field (RecordFallback). */
  fallbacks: RecordFallback[];
}

/** What visit() reports besides the flows it handed to the visitor. */
export interface DecodeSummary {
  /** How many flows the visitor was given (this datagram's and those of held sets its templates released). */
  flows: number;
  /** One entry per bad packet, set or record; empty when all was well. */
  errors: DecodeErrorReason[];
  /** Data sets of this datagram put on hold for a template not yet seen. */
  held: number;
  /** One entry per record kept with a repaired time or field (RecordFallback); empty when all was well. */
  fallbacks: RecordFallback[];
}

/** One datagram's decoding: the sink decodeRecords() writes to, plus the sets held. */
interface Run extends RecordSink {
  held: number;
}

export interface FlowDecoderOptions {
  hold?: Partial<HoldLimits>;
  /** Cap on cached templates across all exporters (spoofed floods). */
  maxTemplates?: number;
  /** Cap on cached templates of one exporter address; its least recently used domains go first. */
  maxTemplatesPerExporter?: number;
  /** false: walk every record field by field instead of reading fixed-length templates at compiled offsets (for tests). */
  compiledLayouts?: boolean;
}

const V9_HEADER = 20;
const IPFIX_HEADER = 16;

export class FlowDecoder {
  readonly cache: TemplateCache;
  private readonly hold: HoldQueue;
  /** Running totals by reason, including held sets dropped by expire(); the collector exports them. */
  readonly errorTotals: DecodeErrorCounts = emptyErrorCounts();
  private readonly compiled: boolean;
  /** The FlowRecord every flow is decoded into (see FlowVisitor). */
  private readonly scratch = blankFlowRecord();
  /** RecordContext.streamOptions, bound once (not a closure per data set). */
  private readonly streamOptions = (stream: StreamKey) => this.cache.options(stream);

  constructor(opts: FlowDecoderOptions = {}) {
    this.compiled = opts.compiledLayouts ?? true;
    this.cache = new TemplateCache({
      ...(opts.maxTemplates !== undefined ? { maxTemplates: opts.maxTemplates } : {}),
      ...(opts.maxTemplatesPerExporter !== undefined ? { maxTemplatesPerExporter: opts.maxTemplatesPerExporter } : {}),
    });
    this.hold = new HoldQueue({ ...DEFAULT_HOLD_LIMITS, ...opts.hold });
  }

  /** Decodes one datagram into an array of flows (copies): for tests and tools; the collector uses visit(). */
  decode(packet: Buffer, exporter: string, arrivalMs: number): DecodeOutcome {
    const flows: FlowRecord[] = [];
    const { errors, held, fallbacks } = this.visit(packet, exporter, arrivalMs, { flow: (f) => void flows.push({ ...f }) });
    return { flows, errors, held, fallbacks };
  }

  /**
   * Decodes one datagram, handing each flow to `visitor` as it is read, in one reused FlowRecord: no object per
   * flow. What the visitor throws ends the datagram and is thrown on (flows before it were handed over); it is the
   * caller's failure, not a decoder internal_error.
   */
  visit(packet: Buffer, exporter: string, arrivalMs: number, visitor: FlowVisitor): DecodeSummary {
    const run: Run = { visitor, scratch: this.scratch, flows: 0, errors: [], fallbacks: [], held: 0 };
    try {
      this.decodeInto(packet, exporter, arrivalMs, run);
    } catch (err) {
      if (err instanceof VisitorFailure) throw err.cause;
      // A bug of ours on some input: count it rather than let one datagram take the collector down.
      run.errors.push('internal_error');
    }
    for (const e of run.errors) this.errorTotals[e]++;
    return { flows: run.flows, errors: run.errors, held: run.held, fallbacks: run.fallbacks };
  }

  /** Drops held data sets past the hold time; returns how many (also added to errorTotals.no_template). */
  expire(now: number): number {
    const n = this.hold.expire(now);
    this.errorTotals.no_template += n;
    return n;
  }

  get held(): { sets: number; bytes: number } {
    return { sets: this.hold.heldSets, bytes: this.hold.heldBytes };
  }

  snapshot(): TemplateCacheSnapshot {
    return this.cache.snapshot();
  }

  /** Returns how many snapshot entries were unusable and skipped. */
  restore(snapshot: unknown): number {
    return this.cache.restore(snapshot);
  }

  private decodeInto(b: Buffer, exporter: string, now: number, out: Run): void {
    if (b.length < 2) return void out.errors.push('truncated');
    const version = b.readUInt16BE(0);
    switch (version) {
      case 5: {
        const r = decodeV5(b, exporter);
        for (const f of r.flows) handOver(out, f);
        out.errors.push(...r.errors);
        out.fallbacks.push(...r.fallbacks);
        return;
      }
      case 9: {
        if (b.length < V9_HEADER) return void out.errors.push('truncated');
        const stream: StreamKey = { exporter, version: 9, domain: b.readUInt32BE(16) };
        // v9's header count (records, not sets) is unreliable across exporters: walk the sets by length.
        return this.decodeSets(b.subarray(V9_HEADER), stream, b.readUInt32BE(8) * 1000, b.readUInt32BE(4), now, out);
      }
      case 10: {
        if (b.length < IPFIX_HEADER) return void out.errors.push('truncated');
        const length = b.readUInt16BE(2);
        if (length < IPFIX_HEADER || length > b.length) return void out.errors.push('bad_length');
        const stream: StreamKey = { exporter, version: 10, domain: b.readUInt32BE(12) };
        return this.decodeSets(b.subarray(IPFIX_HEADER, length), stream, b.readUInt32BE(4) * 1000, undefined, now, out);
      }
      default:
        out.errors.push('unknown_version');
    }
  }

  private decodeSets(sets: Buffer, stream: StreamKey, exportMs: number, uptimeMs: number | undefined, now: number, out: Run): void {
    let off = 0;
    // Fewer than 4 octets left cannot be a set header: trailing padding some v9 exporters add.
    while (sets.length - off >= 4) {
      const setId = sets.readUInt16BE(off);
      const length = sets.readUInt16BE(off + 2);
      // A set shorter than its own header would never advance; one past the end was cut in transit.
      if (length < 4 || off + length > sets.length) return void out.errors.push('bad_length');
      const body = sets.subarray(off + 4, off + length);
      off += length;
      const kind = templateSetKind(stream.version, setId);
      if (kind) this.learnTemplates(body, kind, stream, now, out);
      else if (setId >= 256) this.decodeData(body, setId, stream, exportMs, uptimeMs, now, out);
      else out.errors.push('reserved_set');
    }
  }

  private learnTemplates(body: Buffer, kind: TemplateSetKind, stream: StreamKey, now: number, out: Run): void {
    for (const item of parseTemplateSet(body, kind)) {
      switch (item.kind) {
        case 'error':
          out.errors.push(item.reason);
          break;
        case 'withdraw':
          this.cache.withdraw(stream, item.id);
          break;
        case 'template': {
          if (this.cache.put(stream, item.template, now) === 'limit') {
            out.errors.push('template_limit');
            break;
          }
          for (const h of this.hold.release(stream, item.template.id)) this.decodeHeld(h, out);
          break;
        }
        default: {
          const never: never = item;
          return never;
        }
      }
    }
  }

  private decodeData(body: Buffer, templateId: number, stream: StreamKey, exportMs: number, uptimeMs: number | undefined, now: number, out: Run): void {
    const t = this.cache.get(stream, templateId);
    if (!t) {
      // Never decode as garbage: wait for the template (exporters resend them periodically).
      out.held++;
      const dropped = this.hold.hold({ stream, templateId, body, exportMs, uptimeMs, at: now });
      for (let i = 0; i < dropped; i++) out.errors.push('no_template');
      return;
    }
    const ctx = { stream, exportMs, uptimeMs, options: t.kind === 'options' ? this.cache.options(stream) : this.cache.peekOptions(stream), streamOptions: this.streamOptions };
    decodeRecords(body, t, ctx, out, this.compiled);
  }

  private decodeHeld(h: HeldSet, out: Run): void {
    const t = this.cache.get(h.stream, h.templateId);
    if (!t) return void out.errors.push('no_template');
    const ctx = { stream: h.stream, exportMs: h.exportMs, uptimeMs: h.uptimeMs, options: t.kind === 'options' ? this.cache.options(h.stream) : this.cache.peekOptions(h.stream), streamOptions: this.streamOptions };
    decodeRecords(h.body, t, ctx, out, this.compiled);
  }
}

function templateSetKind(version: 9 | 10, setId: number): TemplateSetKind | undefined {
  if (version === 9) return setId === 0 ? 'v9-template' : setId === 1 ? 'v9-options' : undefined;
  return setId === 2 ? 'ipfix-template' : setId === 3 ? 'ipfix-options' : undefined;
}
