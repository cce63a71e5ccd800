// Templates and per-stream options (sampling, system init time) by (exporter, version, domain); serializable.
import { streamKey, templateKey, type StreamKey, type Template, type TemplateField } from './template.js';

/** What options data taught us about one exporter stream. */
export interface StreamOptions {
  /** Exporter-wide 1-in-N from samplingInterval / samplingPacketInterval+Space options. */
  samplingInterval?: number;
  /** Sampler/selector id → 1-in-N, from options records scoped to a sampler (v9 FLOW_SAMPLER_ID, IPFIX selectorId). */
  samplers: Map<number, number>;
  /** IPFIX systemInitTimeMilliseconds: the base of flowStart/EndSysUpTime. */
  systemInitMs?: number;
  /** IPFIX without any systemInitTimeMilliseconds: the init time estimated from export times (decode-record.ts), not persisted. */
  estimatedInitMs?: number;
}

/** JSON-safe form of the cache, for the spool state or a file. `restore()` accepts what `snapshot()` gives. */
export interface TemplateCacheSnapshot {
  format: 1;
  templates: { stream: StreamKey; template: Template; at: number }[];
  streams: { stream: StreamKey; samplingInterval?: number; samplers: [number, number][]; systemInitMs?: number }[];
}

export type PutOutcome = 'new' | 'refreshed' | 'unchanged' | 'limit';

export class TemplateCache {
  private readonly templates = new Map<string, { stream: StreamKey; template: Template; at: number }>();
  private readonly streams = new Map<string, { stream: StreamKey; options: StreamOptions }>();
  /**
   * The answer of the last get(), and of the last peekOptions(): an exporter's datagrams nearly all carry one data
   * template, and building the key strings per data set cost a tenth of the decoder's per-datagram work. Cleared
   * on any change to the templates (put, withdraw), and to the streams for `lastOptions`.
   */
  private lastGet: { stream: StreamKey; id: number; template: Template | undefined } | undefined;
  private lastOptions: { stream: StreamKey; options: StreamOptions | undefined } | undefined;

  constructor(private readonly maxTemplates = 10_000) {}

  get size(): number {
    return this.templates.size;
  }

  get(stream: StreamKey, id: number): Template | undefined {
    const last = this.lastGet;
    if (last && last.id === id && sameStream(last.stream, stream)) return last.template;
    const template = this.templates.get(templateKey(stream, id))?.template;
    this.lastGet = { stream: { ...stream }, id, template };
    return template;
  }

  /** Adds or replaces: a refresh with a different layout replaces the old one for all later data. */
  put(stream: StreamKey, template: Template, at: number): PutOutcome {
    const key = templateKey(stream, template.id);
    const old = this.templates.get(key);
    if (!old && this.templates.size >= this.maxTemplates) return 'limit';
    this.templates.set(key, { stream: { ...stream }, template, at });
    this.lastGet = undefined;
    if (!old) return 'new';
    return sameTemplate(old.template, template) ? 'unchanged' : 'refreshed';
  }

  /** IPFIX withdrawal (RFC 7011 §8.1): one template id, or every template of a kind in the stream. */
  withdraw(stream: StreamKey, id: number | 'all-data' | 'all-options'): number {
    this.lastGet = undefined;
    if (typeof id === 'number') return this.templates.delete(templateKey(stream, id)) ? 1 : 0;
    const prefix = `${streamKey(stream)}|`;
    const kind = id === 'all-data' ? 'data' : 'options';
    let n = 0;
    for (const [k, v] of this.templates) {
      if (k.startsWith(prefix) && v.template.kind === kind) {
        this.templates.delete(k);
        n++;
      }
    }
    return n;
  }

  options(stream: StreamKey): StreamOptions {
    const key = streamKey(stream);
    let s = this.streams.get(key);
    if (!s) {
      s = { stream: { ...stream }, options: { samplers: new Map() } };
      this.streams.set(key, s);
      this.lastOptions = undefined;
    }
    return s.options;
  }

  /** Options of a stream if any were learned, without creating an entry. */
  peekOptions(stream: StreamKey): StreamOptions | undefined {
    const last = this.lastOptions;
    if (last && sameStream(last.stream, stream)) return last.options;
    const options = this.streams.get(streamKey(stream))?.options;
    this.lastOptions = { stream: { ...stream }, options };
    return options;
  }

  snapshot(): TemplateCacheSnapshot {
    return {
      format: 1,
      templates: [...this.templates.values()].map((t) => ({ stream: { ...t.stream }, template: cloneTemplate(t.template), at: t.at })),
      streams: [...this.streams.values()].map(({ stream, options: o }) => ({
        stream: { ...stream },
        ...(o.samplingInterval !== undefined ? { samplingInterval: o.samplingInterval } : {}),
        samplers: [...o.samplers],
        ...(o.systemInitMs !== undefined ? { systemInitMs: o.systemInitMs } : {}),
      })),
    };
  }

  /**
   * Loads a snapshot from untrusted storage (a file someone may have edited): entries that do not have the
   * expected shape are skipped and counted, never thrown on. Returns how many entries were skipped.
   */
  restore(snapshot: unknown): number {
    if (!isRecord(snapshot) || snapshot['format'] !== 1) return 1;
    let skipped = 0;
    for (const t of asArray(snapshot['templates'])) {
      const stream = isRecord(t) ? parseStream(t['stream']) : undefined;
      const template = isRecord(t) ? parseTemplate(t['template']) : undefined;
      const at = isRecord(t) && typeof t['at'] === 'number' ? t['at'] : 0;
      if (!stream || !template || this.put(stream, template, at) === 'limit') skipped++;
    }
    for (const s of asArray(snapshot['streams'])) {
      const stream = isRecord(s) ? parseStream(s['stream']) : undefined;
      if (!stream || !isRecord(s)) {
        skipped++;
        continue;
      }
      const o = this.options(stream);
      if (isPositiveInt(s['samplingInterval'])) o.samplingInterval = s['samplingInterval'];
      if (typeof s['systemInitMs'] === 'number' && Number.isFinite(s['systemInitMs'])) o.systemInitMs = s['systemInitMs'];
      for (const pair of asArray(s['samplers'])) {
        if (Array.isArray(pair) && isUint(pair[0]) && isPositiveInt(pair[1])) o.samplers.set(pair[0], pair[1]);
        else skipped++;
      }
    }
    return skipped;
  }
}

const sameStream = (a: StreamKey, b: StreamKey): boolean => a.exporter === b.exporter && a.version === b.version && a.domain === b.domain;

function sameTemplate(a: Template, b: Template): boolean {
  return a.kind === b.kind && a.scopeCount === b.scopeCount && a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f.id === b.fields[i]!.id && f.length === b.fields[i]!.length && f.enterprise === b.fields[i]!.enterprise);
}

function cloneTemplate(t: Template): Template {
  return { kind: t.kind, id: t.id, scopeCount: t.scopeCount, fields: t.fields.map((f) => ({ ...f })) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isUint = (v: unknown, max = 0xffffffff): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function parseStream(v: unknown): StreamKey | undefined {
  if (!isRecord(v) || typeof v['exporter'] !== 'string' || (v['version'] !== 9 && v['version'] !== 10) || !isUint(v['domain'])) return undefined;
  return { exporter: v['exporter'], version: v['version'], domain: v['domain'] };
}

function parseTemplate(v: unknown): Template | undefined {
  if (!isRecord(v) || (v['kind'] !== 'data' && v['kind'] !== 'options') || !isUint(v['id'], 0xffff) || v['id'] < 256) return undefined;
  if (!isUint(v['scopeCount'], 0xffff) || !Array.isArray(v['fields']) || v['fields'].length === 0) return undefined;
  const fields: TemplateField[] = [];
  for (const f of v['fields']) {
    if (!isRecord(f) || !isUint(f['id'], 0x7fff) || !isUint(f['length'], 0xffff) || !isUint(f['enterprise'])) return undefined;
    fields.push({ id: f['id'], length: f['length'], enterprise: f['enterprise'] });
  }
  if (v['scopeCount'] > fields.length) return undefined;
  return { kind: v['kind'], id: v['id'], scopeCount: v['scopeCount'], fields };
}
