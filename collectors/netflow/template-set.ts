// Parses v9 (RFC 3954 §5.2, §6.1) and IPFIX (RFC 7011 §3.4) template and options-template sets.
import type { DecodeErrorReason } from './decode-error.js';
import { VARIABLE_LENGTH } from './information-elements.js';
import { minRecordLength, type Template, type TemplateField } from './template.js';

export type TemplateSetItem =
  | { kind: 'template'; template: Template }
  /** IPFIX: a template record with field count 0; `all-*` when the id is the set id itself (§8.1). */
  | { kind: 'withdraw'; id: number | 'all-data' | 'all-options' }
  | { kind: 'error'; reason: DecodeErrorReason };

export type TemplateSetKind = 'v9-template' | 'v9-options' | 'ipfix-template' | 'ipfix-options';

/** Every template record of one set body (after the 4-octet set header). Never throws; always advances. */
export function parseTemplateSet(body: Buffer, kind: TemplateSetKind): TemplateSetItem[] {
  const items: TemplateSetItem[] = [];
  let off = 0;
  for (;;) {
    const r = parseOne(body, off, kind);
    if (r === 'end') return items;
    items.push(r.item);
    if (r.next <= off) return items; // cannot happen (each header is ≥ 4 octets); guards against a loop
    off = r.next;
    if (r.item.kind === 'error' && r.stop) return items;
  }
}

type One = 'end' | { item: TemplateSetItem; next: number; stop?: boolean };

function parseOne(b: Buffer, off: number, kind: TemplateSetKind): One {
  const headerLength = kind === 'v9-options' || kind === 'ipfix-options' ? 6 : 4;
  // Fewer octets than a template header left: set padding (RFC 3954 §5.3, RFC 7011 §3.3.1).
  if (b.length - off < headerLength) return 'end';
  const id = b.readUInt16BE(off);
  const second = b.readUInt16BE(off + 2);
  if (kind === 'v9-options') {
    // Scope and option lengths are in octets, 4 per field (type, length).
    const third = b.readUInt16BE(off + 4);
    if (id === 0 && second === 0 && third === 0) return 'end'; // zero padding
    const fieldsStart = off + 6;
    const next = fieldsStart + second + third;
    if (second % 4 !== 0 || third % 4 !== 0 || next > b.length) return { item: err('bad_template'), next: b.length, stop: true };
    const fields = readV9Fields(b, fieldsStart, (second + third) / 4);
    return { item: validate({ kind: 'options', id, scopeCount: second / 4, fields }, 9), next };
  }
  if (kind === 'v9-template') {
    if (id === 0 && second === 0) return 'end'; // zero padding
    const next = off + 4 + second * 4;
    if (next > b.length) return { item: err('bad_template'), next: b.length, stop: true };
    return { item: validate({ kind: 'data', id, scopeCount: 0, fields: readV9Fields(b, off + 4, second) }, 9), next };
  }
  const options = kind === 'ipfix-options';
  if (second === 0) {
    // RFC 7011 §8.1: field count 0 withdraws; the set id (2 or 3) as template id withdraws all of that kind.
    if (id === 0) return 'end'; // zero padding
    const setId = options ? 3 : 2;
    const what = id === setId ? (options ? 'all-options' : 'all-data') : id;
    if (typeof what === 'number' && what < 256) return { item: err('bad_template'), next: off + 4 };
    return { item: { kind: 'withdraw', id: what }, next: off + 4 };
  }
  const scopeCount = options ? b.readUInt16BE(off + 4) : 0;
  const fields: TemplateField[] = [];
  let p = off + headerLength;
  for (let i = 0; i < second; i++) {
    if (p + 4 > b.length) return { item: err('bad_template'), next: b.length, stop: true };
    const raw = b.readUInt16BE(p);
    const length = b.readUInt16BE(p + 2);
    p += 4;
    let enterprise = 0;
    // The top bit marks an enterprise-specific element followed by its 4-octet Private Enterprise Number.
    if (raw & 0x8000) {
      if (p + 4 > b.length) return { item: err('bad_template'), next: b.length, stop: true };
      enterprise = b.readUInt32BE(p);
      p += 4;
    }
    fields.push({ id: raw & 0x7fff, length, enterprise });
  }
  // RFC 7011 §3.4.2.2: an options template has at least one scope field.
  if (options && (scopeCount === 0 || scopeCount > second)) return { item: err('bad_template'), next: p };
  return { item: validate({ kind: options ? 'options' : 'data', id, scopeCount, fields }, 10), next: p };
}

function readV9Fields(b: Buffer, start: number, n: number): TemplateField[] {
  const fields: TemplateField[] = [];
  for (let i = 0; i < n; i++) fields.push({ id: b.readUInt16BE(start + i * 4), length: b.readUInt16BE(start + i * 4 + 2), enterprise: 0 });
  return fields;
}

/**
 * Ids below 256 are set ids, not template ids. A template whose records occupy 0 octets would make a data
 * set decoder spin forever (goflow2's classic bug report), so it is refused here. v9 has no variable length.
 */
function validate(t: Template, version: 9 | 10): TemplateSetItem {
  if (t.id < 256 || t.fields.length === 0 || minRecordLength(t) === 0) return err('bad_template');
  if (version === 9 && t.fields.some((f) => f.length === VARIABLE_LENGTH)) return err('bad_template');
  return { kind: 'template', template: t };
}

const err = (reason: DecodeErrorReason): TemplateSetItem => ({ kind: 'error', reason });
