// The durable form of one RADIUS session (spool state scope "radius"): what a restart needs to continue counting.
import type { Lease } from '../pipeline/lease.js';

export const STATE_SCOPE = 'radius';

/** Why a session was closed. */
export type CloseReason = 'stop' | 'accounting-on' | 'accounting-off' | 'stale';

export interface LeaseState {
  kind: Lease['kind'];
  prefix: string;
  from: number;
  to?: number;
}

/** JSON-safe: bigints as decimal strings. */
export interface SessionState {
  v: 1;
  nas: string;
  sessionId: string;
  userName: string;
  subscriber: string;
  /** Start of this session generation (ms): the Start's event time, or derived for a session first seen mid-way. Part of record ids. */
  generation: number;
  /** Event time (ms) of the latest packet: the start of the next record's interval. */
  lastEventAt: number;
  /** Wall clock (ms) of the latest packet: stale detection and closed-session retention. */
  lastSeenAt: number;
  /** Cumulative counters already turned into records (high-water marks). */
  bytesUp: string;
  bytesDown: string;
  closedAt?: number;
  closeReason?: CloseReason;
  leases: LeaseState[];
}

/** The spool key of a session: NAS name + Acct-Session-Id + User-Name, unambiguous for any characters. */
export function sessionKey(nas: string, sessionId: string, userName: string): string {
  return JSON.stringify([nas, sessionId, userName]);
}

const CLOSE_REASONS: ReadonlySet<string> = new Set<CloseReason>(['stop', 'accounting-on', 'accounting-off', 'stale']);
const LEASE_KINDS: ReadonlySet<string> = new Set<Lease['kind']>(['framed-ip', 'framed-ipv6-prefix', 'delegated-ipv6-prefix']);

/** Parses a value read back from the spool; undefined when it is not a session we wrote. */
export function parseSessionState(value: unknown): SessionState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const str = (k: string): k is string => typeof o[k] === 'string';
  const num = (k: string): boolean => typeof o[k] === 'number' && Number.isFinite(o[k]);
  if (o.v !== 1 || !str('nas') || !str('sessionId') || !str('userName') || !str('subscriber')) return undefined;
  if (!num('generation') || !num('lastEventAt') || !num('lastSeenAt')) return undefined;
  if (typeof o.bytesUp !== 'string' || !/^\d+$/.test(o.bytesUp) || typeof o.bytesDown !== 'string' || !/^\d+$/.test(o.bytesDown)) return undefined;
  if (o.closedAt !== undefined && !num('closedAt')) return undefined;
  if (o.closeReason !== undefined && !(typeof o.closeReason === 'string' && CLOSE_REASONS.has(o.closeReason))) return undefined;
  if (!Array.isArray(o.leases)) return undefined;
  const leases: LeaseState[] = [];
  for (const l of o.leases as unknown[]) {
    if (typeof l !== 'object' || l === null) return undefined;
    const x = l as Record<string, unknown>;
    if (typeof x.kind !== 'string' || !LEASE_KINDS.has(x.kind) || typeof x.prefix !== 'string' || typeof x.from !== 'number') return undefined;
    if (x.to !== undefined && typeof x.to !== 'number') return undefined;
    leases.push({ kind: x.kind as Lease['kind'], prefix: x.prefix, from: x.from, ...(x.to !== undefined ? { to: x.to as number } : {}) });
  }
  return { ...(o as unknown as SessionState), leases };
}
