// What reconcile reads from the collectors' spool state: RADIUS sessions never stopped, and the addresses of unattributed flows.
import { UNATTRIBUTED_SCOPE, parseDayKey, parseUnattributedDay } from '../collectors/netflow/unattributed-addresses.js';
import { STATE_SCOPE as RADIUS_SCOPE, parseSessionState } from '../collectors/radius/session-state.js';
import type { Period } from '../rating/calendar.js';
import type { Bytes } from './reconcile.js';

export interface UnstoppedSession {
  nas: string;
  sessionId: string;
  userName: string;
  subscriber: string;
  /** Start of the session (its Start's event time, or derived from Acct-Session-Time), ms. */
  start: number;
  /** Event time of the latest accounting packet for it, ms. */
  lastUpdate: number;
  /** Counters as of that packet: what the session has been billed for so far. */
  bytes: Bytes;
  /** The collector already gave up on it (radius.staleSessionTimeout); otherwise it is still open, silent. */
  closedAsStale: boolean;
}

/**
 * NOTE: a session is "never stopped" when no Stop (nor Accounting-On/Off from its NAS) ended it and it has been
 * silent for longer than `staleAfterMs` at `asOf` (the end of the period, or now if that is earlier): its NAS
 * stopped sending interims (a crashed or unreachable NAS, lost accounting) and its usage since is unbilled. It
 * counts in a period it overlaps: it started before the period ended and was last heard of after it began
 * (an open one, still counting as open, whenever it was last heard of). Sessions the collector closed as stale
 * are kept in its state for radius.unstoppedSessionRetention so a past month can still be checked.
 */
export function unstoppedSessions(radiusState: ReadonlyMap<string, unknown>, range: Period, asOf: number, staleAfterMs: number): UnstoppedSession[] {
  const out: UnstoppedSession[] = [];
  for (const value of radiusState.values()) {
    const s = parseSessionState(value);
    if (!s || s.generation >= Math.min(range.to, asOf)) continue;
    const stale = s.closeReason === 'stale';
    if (s.closedAt !== undefined && !stale) continue;
    if (stale ? s.lastEventAt < range.from : s.lastEventAt > asOf - staleAfterMs) continue;
    out.push({
      nas: s.nas, sessionId: s.sessionId, userName: s.userName, subscriber: s.subscriber,
      start: s.generation, lastUpdate: s.lastEventAt, bytes: { down: BigInt(s.bytesDown), up: BigInt(s.bytesUp) }, closedAsStale: stale,
    });
  }
  return out.sort((a, b) => a.lastUpdate - b.lastUpdate || cmp(a.nas, b.nas) || cmp(a.sessionId, b.sessionId));
}

export interface UnattributedAddress {
  address: string;
  /** Bytes to the address (it was the flow's destination) and from it (source), over the days tracked. */
  bytes: Bytes;
  /** (down + up) / all unattributed bytes of those days, in percent, to two decimals. */
  sharePct: number;
}

export interface UnattributedAddresses {
  top: UnattributedAddress[];
  /** UTC days of the period the collector kept addresses for. */
  days: number;
  /** All unattributed bytes of those days, each flow once. */
  bytes: bigint;
  /** Σ of the days' floors: how much any address may be under-counted (0: exact). */
  maxError: bigint;
}

/** The `top` addresses behind unattributed flows over the UTC days of `range`, from the NetFlow collector's daily lists. */
export function topUnattributedAddresses(state: ReadonlyMap<string, unknown>, range: Period, top: number): UnattributedAddresses {
  const sums = new Map<string, Bytes>();
  let days = 0;
  let bytes = 0n;
  let maxError = 0n;
  for (const [key, value] of state) {
    const day = parseDayKey(key);
    const d = parseUnattributedDay(value);
    if (day === undefined || !d || day * 86_400_000 < range.from || day * 86_400_000 >= range.to) continue;
    days++;
    bytes += BigInt(d.bytes);
    maxError += BigInt(d.floor);
    for (const [address, down, up] of d.addresses) {
      const s = sums.get(address) ?? { down: 0n, up: 0n };
      sums.set(address, { down: s.down + BigInt(down), up: s.up + BigInt(up) });
    }
  }
  const ranked = [...sums].sort(([a, x], [b, y]) => {
    const d = y.down + y.up - (x.down + x.up);
    return d !== 0n ? (d > 0n ? 1 : -1) : cmp(a, b);
  });
  return {
    days, bytes, maxError,
    top: ranked.slice(0, top).map(([address, b]) => ({ address, bytes: b, sharePct: bytes === 0n ? 0 : Number(((b.down + b.up) * 10_000n) / bytes) / 100 })),
  };
}

export { RADIUS_SCOPE, UNATTRIBUTED_SCOPE };

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
