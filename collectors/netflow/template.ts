// A v9/IPFIX (options) template as received, and the key it is cached under.

export interface TemplateField {
  /** Information Element id, without the IPFIX enterprise bit. */
  id: number;
  /** Octets in the record, or VARIABLE_LENGTH (IPFIX only). */
  length: number;
  /** Private Enterprise Number; 0 for IANA elements. Enterprise fields are skipped, never interpreted. */
  enterprise: number;
}

export interface Template {
  /** 'options' templates describe exporter metadata (sampling, system init time), not flows. */
  kind: 'data' | 'options';
  id: number;
  /** Options templates: how many leading fields are scope fields. 0 for data templates. */
  scopeCount: number;
  fields: TemplateField[];
}

/** Which exporter stream a template belongs to: v9 and IPFIX ids live in separate spaces. */
export interface StreamKey {
  exporter: string;
  version: 9 | 10;
  /** v9 Source ID / IPFIX Observation Domain ID. */
  domain: number;
}

export function streamKey(s: StreamKey): string {
  return `${s.exporter}|${s.version}|${s.domain}`;
}

export function templateKey(s: StreamKey, templateId: number): string {
  return `${streamKey(s)}|${templateId}`;
}

/** Smallest record the template can describe: variable-length fields count their 1-octet length prefix. */
export function minRecordLength(t: Template): number {
  let n = 0;
  for (const f of t.fields) n += f.length === 0xffff ? 1 : f.length;
  return n;
}
