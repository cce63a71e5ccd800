// Encodes RADIUS attributes and packets: Accounting-Requests for our client, Accounting-Responses for the server.
import { isIPv4 } from 'node:net';
import type { AttributeDef, Dictionary } from './dictionary.js';
import { HEADER_LENGTH, MAX_PACKET_LENGTH, VENDOR_SPECIFIC, type RadiusPacket } from './decode.js';
import { accountingRequestAuthenticator, findMessageAuthenticator, messageAuthenticator, responseAuthenticator } from './authenticator.js';
import { parseIPv4, parseIPv6 } from '../pipeline/ip.js';

export const CODE_ACCOUNTING_REQUEST = 4;
export const CODE_ACCOUNTING_RESPONSE = 5;
export const CODE_STATUS_SERVER = 12;
const PROXY_STATE = 33;
const MESSAGE_AUTHENTICATOR = 80;

/** One attribute to send, by dictionary name. Strings are parsed by the attribute's type (as radclient does). */
export interface AttributeInput {
  name: string;
  value: string | number | bigint | Buffer;
}

/** Encodes one attribute (wrapped in a Vendor-Specific attribute when it belongs to a vendor). */
export function encodeAttribute(input: AttributeInput, dict: Dictionary): Buffer {
  const def = dict.byName(input.name) ?? unknownByName(input.name);
  if (!def) throw new Error(`radius: unknown attribute "${input.name}"`);
  const value = encodeValue(def, input.value);
  if (value.length > 253 - (def.vendor ? 6 : 0)) throw new Error(`radius: ${def.name} value too long (${value.length} octets)`);
  const tlv = Buffer.concat([Buffer.from([def.type, value.length + 2]), value]);
  if (def.vendor === 0) return tlv;
  const head = Buffer.alloc(6);
  head[0] = VENDOR_SPECIFIC;
  head[1] = tlv.length + 6;
  head.writeUInt32BE(def.vendor, 2);
  return Buffer.concat([head, tlv]);
}

/** "Attr-123" names an RFC attribute the dictionary lacks; its value must then be a Buffer or hex ("0x..."). */
function unknownByName(name: string): AttributeDef | undefined {
  const m = /^Attr-(\d{1,3})$/.exec(name);
  if (!m || Number(m[1]) > 255) return undefined;
  return { vendor: 0, type: Number(m[1]), name, valueType: 'octets', values: new Map() };
}

function encodeValue(def: AttributeDef, v: AttributeInput['value']): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const fail = (): never => {
    throw new Error(`radius: bad value for ${def.name} (${def.valueType}): ${String(v)}`);
  };
  const int = (max: bigint): bigint => {
    if (typeof v === 'number' || typeof v === 'bigint') return BigInt(v);
    const label = [...def.values].find(([, l]) => l === v)?.[0];
    if (label !== undefined) return BigInt(label);
    if (!/^\d+$/.test(v)) return fail();
    const n = BigInt(v);
    return n > max ? fail() : n;
  };
  switch (def.valueType) {
    case 'string':
      return Buffer.from(String(v), 'utf8');
    case 'octets':
      return typeof v === 'string' && /^0x([0-9a-f]{2})*$/i.test(v) ? Buffer.from(v.slice(2), 'hex') : Buffer.from(String(v), 'utf8');
    case 'integer':
    case 'date': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(int(0xffffffffn)));
      return b;
    }
    case 'short': {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(Number(int(0xffffn)));
      return b;
    }
    case 'integer64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(int(0xffffffffffffffffn));
      return b;
    }
    case 'ipaddr':
      return (typeof v === 'string' && isIPv4(v) ? parseIPv4(v) : undefined) ?? fail();
    case 'ipv6addr':
      return (typeof v === 'string' ? parseIPv6(v) : undefined) ?? fail();
    case 'ipv6prefix': {
      const [addr, len] = String(v).split('/');
      const bytes = addr ? parseIPv6(addr) : undefined;
      const bits = Number(len ?? 128);
      if (!bytes || !Number.isInteger(bits) || bits < 0 || bits > 128) return fail();
      // RFC 3162 §2.3: send only the octets the prefix needs.
      return Buffer.concat([Buffer.from([0, bits]), bytes.subarray(0, Math.ceil(bits / 8))]);
    }
    case 'ifid': {
      const hex = String(v).replace(/:/g, '');
      return /^[0-9a-f]{16}$/i.test(hex) ? Buffer.from(hex, 'hex') : fail();
    }
    default: {
      const never: never = def.valueType;
      return never;
    }
  }
}

function header(code: number, identifier: number, length: number): Buffer {
  if (length > MAX_PACKET_LENGTH) throw new Error(`radius: packet of ${length} octets exceeds ${MAX_PACKET_LENGTH}`);
  const h = Buffer.alloc(HEADER_LENGTH);
  h[0] = code;
  h[1] = identifier & 0xff;
  h.writeUInt16BE(length, 2);
  return h;
}

/** An Accounting-Request with its Request Authenticator computed (RFC 2866 §3). */
export function buildAccountingRequest(identifier: number, attributes: readonly Buffer[], secret: string): Buffer {
  const body = Buffer.concat(attributes);
  const packet = Buffer.concat([header(CODE_ACCOUNTING_REQUEST, identifier, HEADER_LENGTH + body.length), body]);
  accountingRequestAuthenticator(packet, secret).copy(packet, 4);
  return packet;
}

/**
 * The Accounting-Response to a verified request: Proxy-State copied in order (RFC 2865 §5.33), authenticator set.
 * A request that carried a Message-Authenticator gets one back, so a NAS that signs its requests can also check
 * that the answer came from us. Accounting packets sign it over a zeroed authenticator field, the request's as the
 * response's (FreeRADIUS rad_sign/rad_verify; radclient refuses the reply otherwise).
 */
export function buildAccountingResponse(request: RadiusPacket, secret: string): Buffer {
  return buildResponse(request, secret, findMessageAuthenticator(request.raw) === undefined ? undefined : ZERO_AUTHENTICATOR);
}

const ZERO_AUTHENTICATOR = Buffer.alloc(16);

/**
 * The Accounting-Response to a verified Status-Server on the accounting port (RFC 5997 §3). It carries a
 * Message-Authenticator (placed first), HMAC'd with the request's authenticator in the header (RFC 3579 §3.2,
 * as FreeRADIUS signs it); the Response Authenticator is computed last, over that HMAC. radclient checks both.
 */
export function buildStatusServerResponse(request: RadiusPacket, secret: string): Buffer {
  return buildResponse(request, secret, request.authenticator);
}

/** `signWith`: the authenticator a Message-Authenticator is computed over; none is added when undefined. */
function buildResponse(request: RadiusPacket, secret: string, signWith: Buffer | undefined): Buffer {
  const withMessageAuthenticator = signWith !== undefined;
  const attributes: Buffer[] = [];
  if (withMessageAuthenticator) attributes.push(Buffer.from([MESSAGE_AUTHENTICATOR, 18, ...new Array<number>(16).fill(0)]));
  let off = HEADER_LENGTH;
  while (off + 2 <= request.raw.length) {
    const len = request.raw[off + 1]!;
    if (len < 2) break;
    if (request.raw[off] === PROXY_STATE) attributes.push(request.raw.subarray(off, off + len));
    off += len;
  }
  const body = Buffer.concat(attributes);
  const packet = Buffer.concat([header(CODE_ACCOUNTING_RESPONSE, request.identifier, HEADER_LENGTH + body.length), body]);
  request.authenticator.copy(packet, 4);
  if (withMessageAuthenticator) {
    const valueOffset = HEADER_LENGTH + 2;
    messageAuthenticator(packet, signWith, valueOffset, secret).copy(packet, valueOffset);
  }
  responseAuthenticator(packet, secret).copy(packet, 4);
  return packet;
}
