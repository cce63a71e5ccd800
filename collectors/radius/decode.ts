// Decodes RADIUS packets (RFC 2865 §3, §5) from untrusted bytes into typed attributes; never throws.
import type { AttributeType, Dictionary } from './dictionary.js';
import { formatIPv6 } from '../pipeline/ip.js';

/*
 * Why our own decoder and not `radius`.decode() (v1.1.4), checked against RFC 2865/2866/2869/6929:
 * - it accepts a Length field below 20 (and above 4096): RFC 2865 §3 says such packets are silently discarded;
 * - an attribute whose Length runs past the end is silently truncated (`slice`), not rejected;
 * - a 1-octet attribute tail or a VSA shorter than 4 octets makes it throw a bare RangeError;
 * - integer attributes of the wrong length are read anyway (8 octets read as the first 4, 2 octets throw);
 * - `integer64`, `ipv6addr`, `ipv6prefix` values are not decoded at all;
 * - unknown attributes vanish from `attributes` (only the top level survives in `raw_attributes`);
 * - all VSAs are merged into one hash by name, losing the vendor id; a vendor that does not use the
 *   RFC 2865 §5.26 sub-attribute layout makes the whole packet throw instead of keeping that one VSA raw;
 * - the request authenticator is hashed over the whole datagram, including padding past Length, and compared
 *   with `Buffer#toString()` (UTF-8), under which distinct invalid byte sequences compare equal;
 * - dictionaries and the "current secret" are module-global state shared by every caller.
 * We keep the package's RFC dictionaries (dictionary.ts) and cross-check its decoding in radius-lib.test.ts.
 */

export type AttributeValue =
  | { kind: 'string'; value: string }
  | { kind: 'octets'; value: Buffer }
  | { kind: 'integer'; value: number; label?: string }
  | { kind: 'integer64'; value: bigint }
  /** Seconds since the Unix epoch. */
  | { kind: 'date'; value: number }
  | { kind: 'ipaddr'; value: string }
  | { kind: 'ipv6addr'; value: string }
  /** CIDR form, e.g. "2001:db8:1::/48". */
  | { kind: 'ipv6prefix'; value: string }
  | { kind: 'ifid'; value: string }
  /** A known attribute whose value has the wrong shape (RFC 6929 §2.8: an "invalid attribute", kept raw). */
  | { kind: 'invalid'; value: Buffer; reason: string };

export interface DecodedAttribute {
  /** 0 for RFC attributes, else the vendor id of the Vendor-Specific attribute that carried it. */
  vendor: number;
  type: number;
  name: string;
  value: AttributeValue;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  attributes: DecodedAttribute[];
  /** Exactly `Length` octets: padding past Length is not part of the packet (RFC 2865 §3). */
  raw: Buffer;
}

export type DecodeFailure = 'too_short' | 'bad_length' | 'bad_attribute';

export type DecodeResult =
  | { ok: true; packet: RadiusPacket }
  | { ok: false; reason: DecodeFailure; detail: string };

export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const VENDOR_SPECIFIC = 26;

export function decodePacket(buf: Buffer, dict: Dictionary): DecodeResult {
  if (buf.length < HEADER_LENGTH) return { ok: false, reason: 'too_short', detail: `${buf.length} octets, need ${HEADER_LENGTH}` };
  const length = buf.readUInt16BE(2);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) {
    return { ok: false, reason: 'bad_length', detail: `Length field ${length} outside ${HEADER_LENGTH}..${MAX_PACKET_LENGTH}` };
  }
  // A datagram shorter than its Length field was truncated in transit: RFC 2865 §3 says discard it.
  if (buf.length < length) return { ok: false, reason: 'too_short', detail: `Length field ${length}, datagram ${buf.length}` };
  const raw = buf.subarray(0, length);
  const attributes: DecodedAttribute[] = [];
  const err = decodeAttributes(raw.subarray(HEADER_LENGTH), 0, dict, attributes);
  if (err) return { ok: false, reason: 'bad_attribute', detail: err };
  return {
    ok: true,
    packet: { code: raw[0]!, identifier: raw[1]!, authenticator: raw.subarray(4, HEADER_LENGTH), attributes, raw },
  };
}

/** Walks Type-Length-Value triples; returns an error text when the framing is broken, else undefined. */
function decodeAttributes(data: Buffer, vendor: number, dict: Dictionary, out: DecodedAttribute[]): string | undefined {
  let off = 0;
  while (off < data.length) {
    if (off + 2 > data.length) return `attribute header cut at offset ${off}`;
    const type = data[off]!;
    const len = data[off + 1]!;
    // Length 0 or 1 cannot cover its own header: a naive parser would loop here forever.
    if (len < 2) return `attribute ${type} has length ${len} at offset ${off}`;
    if (off + len > data.length) return `attribute ${type} length ${len} overflows the packet at offset ${off}`;
    const value = data.subarray(off + 2, off + len);
    if (vendor === 0 && type === VENDOR_SPECIFIC) out.push(...decodeVendorSpecific(value, dict));
    else out.push(decodeAttribute(vendor, type, value, dict));
    off += len;
  }
  return undefined;
}

/**
 * RFC 2865 §5.26: Vendor-Id (4 octets, high octet 0) then, by recommendation only, vendor sub-attributes in
 * the same Type-Length-Value layout. A VSA that does not follow it is kept whole and raw; the packet stays good.
 */
function decodeVendorSpecific(value: Buffer, dict: Dictionary): DecodedAttribute[] {
  const invalid = (reason: string, vendor = 0): DecodedAttribute[] => [
    { vendor, type: VENDOR_SPECIFIC, name: 'Vendor-Specific', value: { kind: 'invalid', value: Buffer.from(value), reason } },
  ];
  if (value.length < 5) return invalid(`Vendor-Specific of ${value.length} octets`);
  const vendor = value.readUInt32BE(0);
  if (value[0] !== 0) return invalid('Vendor-Id high octet is not 0', vendor);
  const subs: DecodedAttribute[] = [];
  const err = decodeAttributes(value.subarray(4), vendor, dict, subs);
  return err ? invalid(`vendor ${vendor}: ${err}`, vendor) : subs;
}

function decodeAttribute(vendor: number, type: number, value: Buffer, dict: Dictionary): DecodedAttribute {
  const def = dict.byCode(vendor, type);
  if (!def) {
    const name = vendor === 0 ? `Attr-${type}` : `Vendor-${vendor}-Attr-${type}`;
    return { vendor, type, name, value: { kind: 'octets', value: Buffer.from(value) } };
  }
  return { vendor, type, name: def.name, value: decodeValue(def.valueType, value, def.values) };
}

/** Decodes one value by its dictionary type; a wrong length yields `invalid`, never an exception. */
export function decodeValue(t: AttributeType, v: Buffer, labels: ReadonlyMap<number, string>): AttributeValue {
  const bad = (expected: string): AttributeValue => ({ kind: 'invalid', value: Buffer.from(v), reason: `${t} needs ${expected}, got ${v.length} octets` });
  switch (t) {
    case 'string':
      return { kind: 'string', value: v.toString('utf8') };
    case 'octets':
      return { kind: 'octets', value: Buffer.from(v) };
    case 'integer': {
      if (v.length !== 4) return bad('4');
      const n = v.readUInt32BE(0);
      const label = labels.get(n);
      return label === undefined ? { kind: 'integer', value: n } : { kind: 'integer', value: n, label };
    }
    case 'short':
      return v.length === 2 ? { kind: 'integer', value: v.readUInt16BE(0) } : bad('2');
    case 'integer64':
      return v.length === 8 ? { kind: 'integer64', value: v.readBigUInt64BE(0) } : bad('8');
    case 'date':
      return v.length === 4 ? { kind: 'date', value: v.readUInt32BE(0) } : bad('4');
    case 'ipaddr':
      return v.length === 4 ? { kind: 'ipaddr', value: `${v[0]}.${v[1]}.${v[2]}.${v[3]}` } : bad('4');
    case 'ipv6addr':
      return v.length === 16 ? { kind: 'ipv6addr', value: formatIPv6(v) } : bad('16');
    case 'ipv6prefix': {
      // RFC 3162 §2.3: Reserved, Prefix-Length, then only as many prefix octets as needed (0..16).
      if (v.length < 2 || v.length > 18) return bad('2..18');
      const bits = v[1]!;
      if (bits > 128 || Math.ceil(bits / 8) > v.length - 2) return bad(`prefix octets for /${bits}`);
      const addr = Buffer.alloc(16);
      v.copy(addr, 0, 2);
      // Bits past the prefix length are ignored (RFC 8044 §3.10 says they must be zero; be lenient).
      for (let i = 0; i < 16; i++) {
        const keep = Math.max(0, Math.min(8, bits - i * 8));
        addr[i] = addr[i]! & ((0xff << (8 - keep)) & 0xff);
      }
      return { kind: 'ipv6prefix', value: `${formatIPv6(addr)}/${bits}` };
    }
    case 'ifid':
      return v.length === 8 ? { kind: 'ifid', value: (v.toString('hex').match(/.{4}/g) ?? []).join(':') } : bad('8');
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** The first attribute with this name, if any. */
export function findAttribute(p: RadiusPacket, name: string): DecodedAttribute | undefined {
  return p.attributes.find((a) => a.name === name);
}
