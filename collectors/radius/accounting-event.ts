// Normalizes a decoded Accounting-Request into an AccountingEvent: status, identity, 64-bit counters, time, leases.
import type { IdentityConfig } from '../../config/schema.js';
import type { Lease } from '../pipeline/lease.js';
import type { AttributeValue, DecodedAttribute, RadiusPacket } from './decode.js';

export type AcctStatus = 'start' | 'interim' | 'stop' | 'accounting-on' | 'accounting-off';

export interface LeaseObservation {
  kind: Lease['kind'];
  prefix: string;
}

export interface AccountingEvent {
  status: AcctStatus;
  /** Acct-Session-Id; may be empty on Accounting-On/Off. */
  sessionId: string;
  /** User-Name as sent (part of the session key). */
  userName: string;
  /** Identity after the configured rewrite rules. */
  subscriber: string;
  /** Cumulative counters from the subscriber's side, present when the packet carries them. */
  counters?: { bytesUp: bigint; bytesDown: bigint };
  /** Acct-Session-Time in seconds. */
  sessionTime?: number;
  /** When the event happened at the NAS (ms): Event-Timestamp, else arrival minus Acct-Delay-Time. */
  eventTime: number;
  leases: LeaseObservation[];
  /** Vendor-specific attributes by name, printable, for logs and later code. */
  vendorAttributes: Record<string, string>;
}

export type NormalizeResult =
  | { kind: 'event'; event: AccountingEvent }
  /** A well-formed request with a status type we do not meter (e.g. Failed, tunnel records): acknowledged only. */
  | { kind: 'ignored'; status: number }
  | { kind: 'malformed'; reason: 'missing_attribute' | 'bad_attribute'; detail: string };

const STATUS: Readonly<Record<number, AcctStatus>> = { 1: 'start', 2: 'stop', 3: 'interim', 7: 'accounting-on', 8: 'accounting-off' };
const TWO_32 = 2n ** 32n;

export function normalizeAccounting(p: RadiusPacket, arrival: number, identity: IdentityConfig): NormalizeResult {
  const first = new Map<string, DecodedAttribute>();
  for (const a of p.attributes) if (!first.has(a.name)) first.set(a.name, a);
  const bad = [...first.values()].find((a) => a.vendor === 0 && a.value.kind === 'invalid' && METERED.has(a.name));
  if (bad && bad.value.kind === 'invalid') return { kind: 'malformed', reason: 'bad_attribute', detail: `${bad.name}: ${bad.value.reason}` };

  const int = (name: string): number | undefined => {
    const v = first.get(name)?.value;
    return v?.kind === 'integer' || v?.kind === 'date' ? v.value : undefined;
  };
  const str = (name: string): string | undefined => text(first.get(name)?.value);

  const statusCode = int('Acct-Status-Type');
  if (statusCode === undefined) return { kind: 'malformed', reason: 'missing_attribute', detail: 'no Acct-Status-Type' };
  const status = STATUS[statusCode];
  if (!status) return { kind: 'ignored', status: statusCode };
  const sessionId = str('Acct-Session-Id') ?? '';
  if (sessionId === '' && (status === 'start' || status === 'interim' || status === 'stop')) {
    return { kind: 'malformed', reason: 'missing_attribute', detail: 'no Acct-Session-Id' };
  }

  const hasCounters = first.has('Acct-Input-Octets') || first.has('Acct-Output-Octets');
  const count = (octets: string, giga: string): bigint => BigInt(int(octets) ?? 0) + BigInt(int(giga) ?? 0) * TWO_32;
  const eventTimestamp = int('Event-Timestamp');
  const userName = str('User-Name') ?? '';
  const event: AccountingEvent = {
    status,
    sessionId,
    userName,
    subscriber: subscriberIdentity(first, identity),
    // Acct-Input is what the NAS received from the subscriber: up. Acct-Output is down (RFC 2866 §5.3, §5.4).
    ...(hasCounters ? { counters: { bytesUp: count('Acct-Input-Octets', 'Acct-Input-Gigawords'), bytesDown: count('Acct-Output-Octets', 'Acct-Output-Gigawords') } } : {}),
    ...(int('Acct-Session-Time') !== undefined ? { sessionTime: int('Acct-Session-Time')! } : {}),
    eventTime: eventTimestamp !== undefined ? eventTimestamp * 1000 : arrival - (int('Acct-Delay-Time') ?? 0) * 1000,
    leases: leaseObservations(p.attributes),
    vendorAttributes: Object.fromEntries(p.attributes.filter((a) => a.vendor !== 0).map((a) => [a.name, printable(a.value)])),
  };
  return { kind: 'event', event };
}

/** Attributes whose bad value makes the packet unusable for metering. */
const METERED: ReadonlySet<string> = new Set([
  'Acct-Status-Type', 'Acct-Session-Id', 'Acct-Input-Octets', 'Acct-Output-Octets', 'Acct-Input-Gigawords',
  'Acct-Output-Gigawords', 'Event-Timestamp', 'Acct-Delay-Time', 'Acct-Session-Time',
]);

function text(v: AttributeValue | undefined): string | undefined {
  if (v?.kind === 'string') return v.value;
  // Class is octets by dictionary, but operators put readable account ids in it.
  if (v?.kind === 'octets') return v.value.toString('utf8');
  return undefined;
}

/** The subscriber per config: the chosen attribute (falling back to User-Name), realm stripped, lower-cased. */
export function subscriberIdentity(attrs: ReadonlyMap<string, DecodedAttribute>, cfg: IdentityConfig): string {
  let id = text(attrs.get(cfg.attribute)?.value) ?? text(attrs.get('User-Name')?.value) ?? '';
  if (cfg.stripRealm) id = stripRealm(id);
  if (cfg.lowercase) id = id.toLowerCase();
  return id === '' ? '(unknown)' : id;
}

/** "user@realm" → "user" (last @, so "a@b@isp" → "a@b"); "REALM\\user" → "user". */
export function stripRealm(id: string): string {
  const bs = id.indexOf('\\');
  let out = bs >= 0 ? id.slice(bs + 1) : id;
  const at = out.lastIndexOf('@');
  if (at > 0) out = out.slice(0, at);
  return out;
}

function leaseObservations(attrs: readonly DecodedAttribute[]): LeaseObservation[] {
  const out: LeaseObservation[] = [];
  for (const a of attrs) {
    if (a.vendor !== 0) continue;
    if (a.name === 'Framed-IP-Address' && a.value.kind === 'ipaddr') out.push({ kind: 'framed-ip', prefix: a.value.value });
    else if (a.name === 'Framed-IPv6-Prefix' && a.value.kind === 'ipv6prefix') out.push({ kind: 'framed-ipv6-prefix', prefix: a.value.value });
    else if (a.name === 'Delegated-IPv6-Prefix' && a.value.kind === 'ipv6prefix') out.push({ kind: 'delegated-ipv6-prefix', prefix: a.value.value });
  }
  return out;
}

function printable(v: AttributeValue): string {
  switch (v.kind) {
    case 'string':
    case 'ipaddr':
    case 'ipv6addr':
    case 'ipv6prefix':
    case 'ifid':
      return v.value;
    case 'integer':
      return v.label ?? String(v.value);
    case 'integer64':
    case 'date':
      return String(v.value);
    case 'octets':
    case 'invalid':
      return `0x${v.value.toString('hex')}`;
    default: {
      const never: never = v;
      return never;
    }
  }
}
