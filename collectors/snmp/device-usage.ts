// From one poll of a device and its previous state to usage records and the next state: the counter arithmetic.
//
// Rules (see collectors/pipeline/counter-delta.ts for the per-counter ones):
// - the first poll of a device, or of a profile newly added to it, only takes readings: no usage;
// - an uptime lower than before (and not its own 497-day wrap), or lower than the time since the last poll, means
//   the device restarted: every counter starts again from 0, so its whole value is this interval's usage. The
//   uptime is hrSystemUptime when the agent has it: on net-snmp-based agents (Linux, airOS) sysUpTime is the
//   agent's own uptime and goes back when only the agent restarts, while the kernel's counters carry on;
// - a moved ifCounterDiscontinuityTime does the same for one interface;
// - a row never seen before (a new queue, a station that associated, a new PPPoE interface) started from 0 as
//   well: its whole value is usage;
// - a row that vanished is remembered for a day: back with its counters at or above their last readings, it
//   continued (an agent left it out of a walk) and the difference is usage; back lower, it was re-created and
//   started from 0, so its whole value is usage. Never the whole of a counter that merely went missing;
// - a row read at another width than last time (ifHC* appeared or went) gives no usage for that interval.
import { CounterTracker, type Delta } from '../pipeline/counter-delta.js';
import { recordId, type UsageRecord } from '../pipeline/usage-record.js';
import type { ProfileId } from './config.js';
import type { CounterRow } from './profiles/profile.js';

/** HOST-RESOURCES-MIB hrSystemUptime (the host's) when the agent has it, else SNMPv2-MIB sysUpTime (the agent's). */
export type UptimeSource = 'hrSystemUptime' | 'sysUpTime';

/** What survives a restart, in the spool state (scope "snmp", key = target name), as JSON. */
export interface DeviceState {
  /** When the last poll's readings were taken (ms since the epoch): the start of the next interval. */
  polledAt: number;
  /** The device's uptime at that poll, in hundredths of a second (decimal string), and where it was read. */
  uptime: string;
  uptimeSource: UptimeSource;
  /** Last reading of every counter, by "<row key>:<down|up>:<width>" (decimal strings). */
  counters: Record<string, string>;
  /** Last ifCounterDiscontinuityTime by row key (decimal strings). */
  discontinuity: Record<string, string>;
  /** Counters of rows missing from the latest polls: counter key → when the row was last seen (ms). */
  gone: Record<string, number>;
  /** Profiles that have had their first poll on this device. */
  profiles: ProfileId[];
}

export interface MappedRow {
  profile: ProfileId;
  row: CounterRow;
  /** Undefined: the row maps to nobody. */
  subscriber: string | undefined;
}

export interface DeviceUsage {
  records: UsageRecord[];
  state: DeviceState;
  restarted: boolean;
  /** How each counter reading was taken (first, advance, wrap, reset, new). */
  kinds: Record<Delta['kind'] | 'new', number>;
  /** Per profile: rows that map to nobody, and the bytes they carried this interval (not billed). */
  unmapped: Map<ProfileId, { rows: number; bytes: bigint }>;
}

const TICKS_MOD = 1n << 32n;
/** How long the readings of a row that vanished are kept to tell a row left out of a walk from a re-created one. */
export const GONE_TTL_MS = 86_400_000;

/**
 * Did the device restart between two polls? `elapsedMs` is our clock's time between them. sysUpTime is a 32-bit
 * count of hundredths that wraps after 497 days: lower than before is a wrap, not a restart, when the previous
 * value plus the elapsed time lands past 2^32 near the new value.
 */
export function restartedBetween(prevTicks: bigint, curTicks: bigint, elapsedMs: number): boolean {
  const elapsedTicks = BigInt(Math.max(0, Math.round(elapsedMs / 10)));
  const slack = 6000n + elapsedTicks / 10n; // a minute, plus 10 % of the gap, for clock drift and slow answers
  if (curTicks < prevTicks) {
    const expected = prevTicks + elapsedTicks;
    const wrapped = expected >= TICKS_MOD && abs(expected - TICKS_MOD - curTicks) <= slack;
    return !wrapped;
  }
  // Up for less time than has passed since the last poll: it booted in between (and got past its old uptime).
  return curTicks + slack < elapsedTicks;
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

export function deviceUsage(opts: {
  device: string;
  prev: DeviceState | undefined;
  at: number;
  uptime: bigint;
  uptimeSource: UptimeSource;
  readings: MappedRow[];
  profiles: ProfileId[];
}): DeviceUsage {
  const { device, prev, at, uptime, uptimeSource, readings } = opts;
  // Two uptimes from different sources cannot be compared (an agent that gained HOST-RESOURCES-MIB): no verdict.
  const restarted = prev !== undefined && prev.uptimeSource === uptimeSource && restartedBetween(BigInt(prev.uptime), uptime, at - prev.polledAt);
  const tracker = new CounterTracker(prev?.counters);
  const baselined = new Set(prev?.profiles ?? []);
  const kinds: DeviceUsage['kinds'] = { first: 0, advance: 0, wrap: 0, reset: 0, new: 0 };
  const totals = new Map<string, { down: bigint; up: bigint }>();
  const unmapped = new Map<ProfileId, { rows: number; bytes: bigint }>();
  const seen = new Set<string>();
  const discontinuity: Record<string, string> = {};

  for (const { profile, row, subscriber } of readings) {
    const prevDisc = prev?.discontinuity[row.key];
    if (row.discontinuity !== undefined) discontinuity[row.key] = row.discontinuity.toString();
    const rowReset = restarted || (prevDisc !== undefined && row.discontinuity !== undefined && BigInt(prevDisc) !== row.discontinuity);
    const delta = (dir: 'down' | 'up'): bigint => {
      const reading = row[dir];
      const key = `${row.key}:${dir}:${reading.width}`;
      seen.add(key);
      const known = tracker.has(key);
      const goneSince = prev?.gone[key];
      if (known && goneSince !== undefined && baselined.has(profile) && !rowReset) {
        const last = BigInt(prev!.counters[key]!);
        tracker.observe(key, reading.value, reading.width);
        if (reading.value >= last) {
          // Left out of some walks, counting all along.
          kinds.advance++;
          return reading.value - last;
        }
        // Re-created under the same index: its counters started from 0.
        kinds.new++;
        return reading.value;
      }
      // The same row read at the other width last time (an agent that gained or lost its ifHC* columns): the
      // two counters cannot be subtracted, so this reading only starts the new one.
      const widthChanged = !known && tracker.has(`${row.key}:${dir}:${reading.width === 32 ? 64 : 32}`);
      const d = tracker.observe(key, reading.value, reading.width, rowReset);
      if (!known && !widthChanged && baselined.has(profile)) {
        // A row that appeared since the last poll: its counters started from 0 with it.
        kinds.new++;
        return reading.value;
      }
      kinds[d.kind]++;
      return d.delta;
    };
    const down = delta('down');
    const up = delta('up');
    if (subscriber === undefined) {
      const u = unmapped.get(profile) ?? { rows: 0, bytes: 0n };
      u.rows++;
      u.bytes += down + up;
      unmapped.set(profile, u);
      continue;
    }
    const t = totals.get(subscriber) ?? { down: 0n, up: 0n };
    t.down += down;
    t.up += up;
    totals.set(subscriber, t);
  }
  // Rows missing from this poll (and from profiles no longer polled) keep their readings for a day.
  const gone: Record<string, number> = {};
  for (const key of [...tracker.keys()]) {
    if (seen.has(key)) continue;
    const lastSeen = prev?.gone[key] ?? prev?.polledAt ?? at;
    if (at - lastSeen > GONE_TTL_MS) tracker.forget(key);
    else gone[key] = lastSeen;
  }

  const records: UsageRecord[] = [];
  if (prev) {
    // Our clock going back must not make an empty or inverted interval.
    const end = Math.max(at, prev.polledAt + 1);
    for (const [subscriber, t] of [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (t.down === 0n && t.up === 0n) continue;
      records.push({
        id: recordId('snmp', device, subscriber, prev.polledAt, end),
        source: 'snmp',
        device,
        subscriber,
        start: prev.polledAt,
        end,
        bytesDown: t.down,
        bytesUp: t.up,
      });
    }
  }
  return {
    records,
    restarted,
    kinds,
    unmapped,
    state: { polledAt: at, uptime: uptime.toString(), uptimeSource, counters: tracker.snapshot(), discontinuity, gone, profiles: [...opts.profiles] },
  };
}

/** A saved state read back from the spool, or undefined when it has the wrong shape (then the next poll re-baselines). */
export function parseDeviceState(v: unknown): DeviceState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  const decimalMap = (m: unknown): m is Record<string, string> =>
    typeof m === 'object' && m !== null && Object.values(m).every((x) => typeof x === 'string' && /^\d+$/.test(x));
  if (typeof s.polledAt !== 'number' || typeof s.uptime !== 'string' || !/^\d+$/.test(s.uptime)) return undefined;
  if (!decimalMap(s.counters) || !decimalMap(s.discontinuity) || !Array.isArray(s.profiles)) return undefined;
  const gone = typeof s.gone === 'object' && s.gone !== null ? s.gone as Record<string, unknown> : {};
  if (!Object.entries(gone).every(([k, t]) => typeof t === 'number' && k in (s.counters as object))) return undefined;
  return {
    polledAt: s.polledAt,
    uptime: s.uptime,
    uptimeSource: s.uptimeSource === 'hrSystemUptime' ? 'hrSystemUptime' : 'sysUpTime',
    counters: s.counters,
    discontinuity: s.discontinuity,
    gone: gone as Record<string, number>,
    profiles: s.profiles.filter((p): p is ProfileId => typeof p === 'string') as ProfileId[],
  };
}
