// API rows → counter readings, one closed case per table, with each table's direction named from the subscriber.
//
// Directions (MikroTik's words are from the router's or the queue target's side; ours from the subscriber's):
// - /queue/simple `bytes=A/B` is "upload/download" of the target. With the subscriber as the target, A (upload,
//   traffic from the target) is bytesUp and B (download, to the target) is bytesDown. The same order as
//   `max-limit=upload/download`.
// - /ip/hotspot/active `bytes-in` is received from the user (up), `bytes-out` sent to the user (down).
// - /ppp/active has no counters; the session's dynamic interface `<pppoe-NAME>` (`<l2tp-…>`, `<sstp-…>`, …) has them.
//   The router receives on it what the subscriber sends: `rx-byte` is up, `tx-byte` is down. Its `.id` is new for
//   every session, as is the session's `session-id`.
// - /interface `rx-byte` / `tx-byte` of an interface that faces the subscriber (a customer VLAN or port): rx is up,
//   tx is down.
import type { Table } from './config.js';

type Row = Record<string, string>;

/** One row's counters at this poll. */
export interface Reading {
  table: Table;
  /** Stable across polls for the same thing (queue name, PPP user, …): the counters' key in the saved state. */
  key: string;
  /** Changes when the counters start again from 0 (a new `.id`, a new PPP session). */
  identity: string;
  /** The row's fields the subscriber rules read. */
  fields: Row;
  up: bigint;
  down: bigint;
  /** For sessions: how long ago they started, from the router's `uptime` of the session. */
  startedAgoMs?: number;
}

export interface TableReadings {
  readings: Reading[];
  /** Rows that could not be read (no `.id`, counters that are not numbers), by table: counted, never fatal. */
  malformed: Partial<Record<Table, number>>;
  /** Rows passed over on purpose (dynamic queues, PPP interfaces read through the ppp table). */
  skipped: Partial<Record<Table, number>>;
}

/** What a poll read from a device, by menu. */
export interface DeviceRows {
  queues?: Row[];
  ppp?: Row[];
  hotspot?: Row[];
  /** Read when `interfaces` or `ppp` is polled. */
  interfaces?: Row[];
}

export interface ReadOptions {
  tables: readonly Table[];
  /** Meter dynamic simple queues too (routeros.dynamicQueues). */
  dynamicQueues: boolean;
}

export function readTables(rows: DeviceRows, opts: ReadOptions): TableReadings {
  const out: TableReadings = { readings: [], malformed: {}, skipped: {} };
  const count = (what: 'malformed' | 'skipped', table: Table): void => {
    out[what][table] = (out[what][table] ?? 0) + 1;
  };
  const pppInterfaces = new Map<string, Row>();
  for (const r of rows.interfaces ?? []) if (r.name !== undefined && isPppInterface(r)) pppInterfaces.set(r.name, r);

  for (const table of opts.tables) {
    switch (table) {
      case 'queues':
        for (const r of rows.queues ?? []) {
          if (r.dynamic === 'true' && !opts.dynamicQueues) {
            count('skipped', table);
            continue;
          }
          const pair = /^(\d+)\/(\d+)$/.exec(r.bytes ?? '');
          if (!pair || !r['.id'] || !r.name) count('malformed', table);
          else out.readings.push({ table, key: r.name, identity: r['.id'], fields: r, up: BigInt(pair[1]!), down: BigInt(pair[2]!) });
        }
        break;
      case 'ppp':
        for (const r of rows.ppp ?? []) {
          const startedAgoMs = parseUptime(r.uptime ?? '');
          if (!r['.id'] || !r.name || !r.service || startedAgoMs === undefined) {
            count('malformed', table);
            continue;
          }
          const iface = pppInterfaces.get(`<${r.service}-${r.name}>`);
          // The session started or ended between the two prints: read it whole at the next poll.
          if (!iface) {
            count('skipped', table);
            continue;
          }
          const up = counter(iface['rx-byte']);
          const down = counter(iface['tx-byte']);
          if (up === undefined || down === undefined || !iface['.id']) count('malformed', table);
          else out.readings.push({ table, key: r.name, identity: `${r['.id']}|${r['session-id'] ?? ''}|${iface['.id']}`, fields: r, up, down, startedAgoMs });
        }
        break;
      case 'hotspot':
        for (const r of rows.hotspot ?? []) {
          const up = counter(r['bytes-in']);
          const down = counter(r['bytes-out']);
          const startedAgoMs = parseUptime(r.uptime ?? '');
          if (up === undefined || down === undefined || !r['.id'] || !r.user || startedAgoMs === undefined) count('malformed', table);
          else out.readings.push({ table, key: r.user, identity: r['.id'], fields: r, up, down, startedAgoMs });
        }
        break;
      case 'interfaces':
        for (const r of rows.interfaces ?? []) {
          if (opts.tables.includes('ppp') && isPppInterface(r)) {
            count('skipped', table);
            continue;
          }
          const up = counter(r['rx-byte']);
          const down = counter(r['tx-byte']);
          if (up === undefined || down === undefined || !r['.id'] || !r.name) count('malformed', table);
          else out.readings.push({ table, key: r.name, identity: r['.id'], fields: r, up, down });
        }
        break;
      default: {
        const never: never = table;
        throw new Error(`unknown table ${String(never)}`);
      }
    }
  }
  disambiguate(out.readings);
  return out;
}

/**
 * Two rows with one key in one table (a user allowed two PPP sessions) keep the first key; the others get their
 * `.id`-based identity appended, so each has its own counters.
 */
function disambiguate(readings: Reading[]): void {
  const seen = new Set<string>();
  for (const r of readings) {
    const k = `${r.table}\0${r.key}`;
    if (seen.has(k)) r.key = `${r.key}#${r.identity}`;
    seen.add(`${r.table}\0${r.key}`);
  }
}

/** A dynamic PPP server interface (`pppoe-in`, `l2tp-in`, `sstp-in`, …): it lives and dies with one session. */
function isPppInterface(r: Row): boolean {
  return /^<[a-z0-9]+-.+>$/.test(r.name ?? '') && /-in$/.test(r.type ?? '');
}

function counter(s: string | undefined): bigint | undefined {
  return s !== undefined && /^\d{1,20}$/.test(s) ? BigInt(s) : undefined;
}

const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };

/**
 * RouterOS durations in ms: "1w2d3h4m5s", "45s", "3h2m1s230ms", or the older "2d03:04:05" / "03:04:05" forms.
 * Undefined for anything else.
 */
export function parseUptime(s: string): number | undefined {
  const m = /^((?:\d+(?:w|d|h|ms|m|s|us))*)(?:(\d+):(\d{2}):(\d{2}))?$/.exec(s.trim());
  if (!m || s.trim() === '') return undefined;
  let ms = 0;
  for (const [, n, unit] of m[1]!.matchAll(/(\d+)(w|d|h|ms|m|s|us)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (m[2] !== undefined) ms += (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000;
  return Math.floor(ms);
}
