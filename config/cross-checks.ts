// Checks that span several keys (duplicates, sizes that must agree), run on the raw YAML so they report alongside schema errors.
import { isIP } from 'node:net';
import { snmpCrossChecks } from '../collectors/snmp/config.js';
import { isRecord } from './describe-schema.js';
import { byteSize } from './schema.js';
import type { KeyedProblem } from './zod-problems.js';
import type { KeyPath } from './yaml-position.js';

type LineOf = (path: KeyPath) => number;

/** Every cross-field problem of a raw config; each check skips values the schema already rejects. */
export function crossCheck(raw: Record<string, unknown>, lineOf: LineOf): KeyedProblem[] {
  return [...radiusChecks(raw.radius, lineOf), ...spoolChecks(raw.spool), ...storeChecks(raw.stores), ...snmpCrossChecks(raw.snmp)];
}

function radiusChecks(radius: unknown, lineOf: LineOf): KeyedProblem[] {
  if (!isRecord(radius)) return [];
  const problems: KeyedProblem[] = [];
  const clients = Array.isArray(radius.clients) ? radius.clients : [];
  const names = new Map<string, number>();
  const prefixes = new Map<string, number>();
  clients.forEach((client: unknown, i) => {
    if (!isRecord(client)) return;
    if (typeof client.name === 'string' && client.name !== '') {
      const first = names.get(client.name);
      if (first === undefined) names.set(client.name, i);
      else problems.push({
        path: ['radius', 'clients', i, 'name'],
        message: `duplicate client name ${JSON.stringify(client.name)} (expected unique names; first used by radius.clients[${first}] at line ${lineOf(['radius', 'clients', first, 'name'])})`,
      });
    }
    const prefix = typeof client.address === 'string' ? normalizePrefix(client.address) : undefined;
    if (prefix !== undefined) {
      // The most specific prefix picks the client, so the same prefix twice would make the secret ambiguous.
      const first = prefixes.get(prefix);
      if (first === undefined) prefixes.set(prefix, i);
      else problems.push({
        path: ['radius', 'clients', i, 'address'],
        message: `${JSON.stringify(client.address)} is the same prefix as radius.clients[${first}] at line ${lineOf(['radius', 'clients', first, 'address'])} (expected each address or prefix once)`,
      });
    }
  });
  const listen = Array.isArray(radius.listen) ? radius.listen : [];
  const seen = new Set<unknown>();
  listen.forEach((addr: unknown, i) => {
    if (typeof addr !== 'string') return;
    if (seen.has(addr)) problems.push({ path: ['radius', 'listen', i], message: `${JSON.stringify(addr)} is listed twice (expected each listen address once)` });
    seen.add(addr);
  });
  return problems;
}

function spoolChecks(spool: unknown): KeyedProblem[] {
  if (!isRecord(spool) || spool.maxBytes === undefined || spool.segmentBytes === undefined) return [];
  const max = byteSize.safeParse(spool.maxBytes);
  const segment = byteSize.safeParse(spool.segmentBytes);
  if (!max.success || !segment.success || segment.data <= max.data) return [];
  return [{
    path: ['spool', 'segmentBytes'],
    message: `${segment.data} bytes is larger than spool.maxBytes (${max.data} bytes) (expected at most spool.maxBytes)`,
  }];
}

function storeChecks(stores: unknown): KeyedProblem[] {
  if (!isRecord(stores)) return [];
  const problems: KeyedProblem[] = [];
  // Without a store nothing consumes the spool: it would fill to its cap and RADIUS would stop acking.
  if (stores.embedded === false && stores.influx === undefined) {
    problems.push({ path: ['stores', 'embedded'], message: 'no store left: embedded is off and no influx is set (expected stores.embedded or stores.influx)' });
  }
  const influx = stores.influx;
  if (isRecord(influx) && influx.version === 1 && (influx.username === undefined) !== (influx.password === undefined)) {
    const missing = influx.username === undefined ? 'username' : 'password';
    const other = missing === 'username' ? 'password' : 'username';
    problems.push({ path: ['stores', 'influx', missing], message: `missing while ${other} is set (expected both username and password, or neither)` });
  }
  return problems;
}

/** Canonical network of an address or prefix: "10.0.0.1" and "10.0.0.1/32" are the same; host bits are cleared. */
export function normalizePrefix(s: string): string | undefined {
  const [addr = '', lenText, extra] = s.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const value = family === 4 ? ipv4ToBigInt(addr) : ipv6ToBigInt(addr);
  if (value === undefined) return undefined;
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  const network = value & mask;
  return family === 4 ? `${bigIntToIpv4(network)}/${len}` : `${bigIntToIpv6(network)}/${len}`;
}

function ipv4ToBigInt(addr: string): bigint | undefined {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function bigIntToIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

function ipv6ToBigInt(addr: string): bigint | undefined {
  let text = addr.split('%')[0]!;
  // A trailing dotted quad (::ffff:10.0.0.1) is two hextets.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = ipv4ToBigInt(quad[1]!)!;
    text = `${text.slice(0, -quad[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, fill)).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

function bigIntToIpv6(v: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}
