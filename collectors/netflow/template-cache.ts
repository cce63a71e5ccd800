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

/** Bounds of the cache: across all exporters, and per exporter address (one source never starves another). */
export interface TemplateLimits {
  /** Templates across all exporters; past it the busiest exporter's least recently used domain goes. */
  maxTemplates: number;
  /** Templates of one exporter address; past it its own least recently used domain goes. */
  maxTemplatesPerExporter: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { maxTemplates: 10_000, maxTemplatesPerExporter: 2_000 };

/** One (exporter, version, domain): its template ids and when it was last used (a logical clock). */
interface DomainEntry {
  stream: StreamKey;
  key: string;
  ids: Set<number>;
  lastUse: number;
}

export class TemplateCache {
  private readonly templates = new Map<string, { stream: StreamKey; template: Template; at: number }>();
  private readonly streams = new Map<string, { stream: StreamKey; options: StreamOptions }>();
  /** Domains by exporter address, then by stream key: the unit of eviction. */
  private readonly domains = new Map<string, Map<string, DomainEntry>>();
  /** Templates per exporter address. */
  private readonly perExporter = new Map<string, number>();
  /** Domains evicted to make room, by exporter address (the metric wispmeter_netflow_template_evictions_total). */
  readonly evictions = new Map<string, number>();
  /** New templates refused (template_limit: one domain alone over the per-exporter bound), by exporter address. */
  readonly refusals = new Map<string, number>();
  private clock = 0;
  private readonly limits: TemplateLimits;
  /**
   * The answer of the last get(), and of the last peekOptions(): an exporter's datagrams nearly all carry one data
   * template, and building the key strings per data set cost a tenth of the decoder's per-datagram work. Cleared
   * on any change to the templates (put, withdraw, eviction), and to the streams for `lastOptions`.
   */
  private lastGet: { stream: StreamKey; id: number; template: Template | undefined; domain: DomainEntry | undefined } | undefined;
  private lastOptions: { stream: StreamKey; options: StreamOptions | undefined } | undefined;

  /** A number is the old global cap alone (per exporter: the default, or the cap if lower). */
  constructor(limits: Partial<TemplateLimits> | number = {}) {
    const l = typeof limits === 'number' ? { maxTemplates: limits } : limits;
    const maxTemplates = l.maxTemplates ?? DEFAULT_TEMPLATE_LIMITS.maxTemplates;
    this.limits = { maxTemplates, maxTemplatesPerExporter: Math.min(maxTemplates, l.maxTemplatesPerExporter ?? DEFAULT_TEMPLATE_LIMITS.maxTemplatesPerExporter) };
  }

  get size(): number {
    return this.templates.size;
  }

  /** Templates cached for one exporter address. */
  exporterSize(exporter: string): number {
    return this.perExporter.get(exporter) ?? 0;
  }

  get(stream: StreamKey, id: number): Template | undefined {
    const last = this.lastGet;
    if (last && last.id === id && sameStream(last.stream, stream)) {
      if (last.domain) last.domain.lastUse = ++this.clock;
      return last.template;
    }
    const template = this.templates.get(templateKey(stream, id))?.template;
    const domain = this.domains.get(stream.exporter)?.get(streamKey(stream));
    if (domain) domain.lastUse = ++this.clock;
    this.lastGet = { stream: { ...stream }, id, template, domain };
    return template;
  }

  /**
   * Adds or replaces: a refresh with a different layout replaces the old one for all later data. A new template past
   * a bound evicts whole domains, least recently used first: of its own exporter past the per-exporter bound, of the
   * exporter with the most templates past the global one. 'limit' only when its own domain alone fills its bound.
   */
  put(stream: StreamKey, template: Template, at: number): PutOutcome {
    const key = templateKey(stream, template.id);
    const old = this.templates.get(key);
    const sKey = streamKey(stream);
    if (!old) {
      while (this.exporterSize(stream.exporter) >= this.limits.maxTemplatesPerExporter) {
        if (!this.evictLeastRecent(stream.exporter, sKey)) return this.refuse(stream.exporter);
      }
      while (this.templates.size >= this.limits.maxTemplates) {
        if (!this.evictLeastRecent(this.busiestExporter(), sKey)) return this.refuse(stream.exporter);
      }
    }
    this.templates.set(key, { stream: { ...stream }, template, at });
    let byStream = this.domains.get(stream.exporter);
    if (!byStream) this.domains.set(stream.exporter, (byStream = new Map()));
    let domain = byStream.get(sKey);
    if (!domain) byStream.set(sKey, (domain = { stream: { ...stream }, key: sKey, ids: new Set(), lastUse: 0 }));
    domain.lastUse = ++this.clock;
    if (!old) {
      domain.ids.add(template.id);
      this.perExporter.set(stream.exporter, this.exporterSize(stream.exporter) + 1);
    }
    this.lastGet = undefined;
    if (!old) return 'new';
    return sameTemplate(old.template, template) ? 'unchanged' : 'refreshed';
  }

  private refuse(exporter: string): PutOutcome {
    this.refusals.set(exporter, (this.refusals.get(exporter) ?? 0) + 1);
    return 'limit';
  }

  private busiestExporter(): string {
    let best = '';
    let most = -1;
    for (const [exporter, n] of this.perExporter) if (n > most) [best, most] = [exporter, n];
    return best;
  }

  /** Drops the least recently used domain of `exporter` other than `keep` (templates and options); false when none. */
  private evictLeastRecent(exporter: string, keep: string): boolean {
    let victim: DomainEntry | undefined;
    for (const d of this.domains.get(exporter)?.values() ?? []) if (d.key !== keep && (!victim || d.lastUse < victim.lastUse)) victim = d;
    if (!victim) return false;
    for (const id of victim.ids) this.templates.delete(templateKey(victim.stream, id));
    this.perExporter.set(exporter, this.exporterSize(exporter) - victim.ids.size);
    if (!this.exporterSize(exporter)) this.perExporter.delete(exporter);
    const byStream = this.domains.get(exporter)!;
    byStream.delete(victim.key);
    if (!byStream.size) this.domains.delete(exporter);
    this.streams.delete(victim.key);
    this.evictions.set(exporter, (this.evictions.get(exporter) ?? 0) + 1);
    this.lastGet = undefined;
    this.lastOptions = undefined;
    return true;
  }

  /** Forgets one template id of a stream (withdrawal), keeping the per-exporter counts. */
  private forget(stream: StreamKey, id: number): boolean {
    if (!this.templates.delete(templateKey(stream, id))) return false;
    const domain = this.domains.get(stream.exporter)?.get(streamKey(stream));
    domain?.ids.delete(id);
    // An emptied domain goes (its options stay until the sweep in options()): announce-and-withdraw floods stay bounded.
    if (domain && !domain.ids.size) this.domains.get(stream.exporter)?.delete(domain.key);
    this.perExporter.set(stream.exporter, this.exporterSize(stream.exporter) - 1);
    return true;
  }

  /** IPFIX withdrawal (RFC 7011 §8.1): one template id, or every template of a kind in the stream. */
  withdraw(stream: StreamKey, id: number | 'all-data' | 'all-options'): number {
    this.lastGet = undefined;
    if (typeof id === 'number') return this.forget(stream, id) ? 1 : 0;
    const kind = id === 'all-data' ? 'data' : 'options';
    let n = 0;
    for (const tid of [...(this.domains.get(stream.exporter)?.get(streamKey(stream))?.ids ?? [])]) {
      if (this.templates.get(templateKey(stream, tid))?.template.kind === kind && this.forget(stream, tid)) n++;
    }
    return n;
  }

  options(stream: StreamKey): StreamOptions {
    const key = streamKey(stream);
    let s = this.streams.get(key);
    if (!s) {
      // Options of domains whose templates all went (evicted, withdrawn) are swept when the map reaches the bound.
      if (this.streams.size >= this.limits.maxTemplates) {
        for (const [k, v] of this.streams) if (!this.domains.get(v.stream.exporter)?.has(k)) this.streams.delete(k);
      }
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
      // Least recently used domains first: restore() puts them in this order, so under its bounds the most recent win.
      templates: [...this.templates.values()]
        .map((t) => ({ t, use: this.domains.get(t.stream.exporter)?.get(streamKey(t.stream))?.lastUse ?? 0 }))
        .sort((a, b) => a.use - b.use)
        .map(({ t }) => ({ stream: { ...t.stream }, template: cloneTemplate(t.template), at: t.at })),
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
