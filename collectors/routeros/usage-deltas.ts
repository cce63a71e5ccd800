// One poll's readings + the device's saved state → per-subscriber usage records and the state to save with them.
//
// Pure: the poller appends the records and the new state in one spool entry, and adopts the state only once that
// entry is on disk. A crash before it re-reads from the old state (the interval simply grows); a crash after it
// resumes from the new one. Nothing is counted twice or lost.
//
// The rules (counter-delta.ts applies them per counter):
// - first sight of a row gives no usage: there is nothing to subtract from;
// - unless its counters provably began after our previous reading: the device rebooted since, or the row is a
//   session (PPP, hotspot) whose own uptime is shorter than the time since that reading. Those bytes are new.
// - a row whose identity changed (a new `.id`, a new PPP session) or any row after a device reboot is a reset: its
//   whole current value is usage of this interval;
// - otherwise a counter that went down wrapped (32-bit) or was reset (64-bit).
import { CounterTracker, type CounterWidth, type DeltaKind } from '../pipeline/counter-delta.js';
import { recordId, type UsageRecord } from '../pipeline/usage-record.js';
import type { Table } from './config.js';
import type { SubscriberOf } from './subscriber-rules.js';
import type { Reading } from './table-readings.js';

/** Spool state scope; the key is the device name. */
export const STATE_SCOPE = 'routeros';

/**
 * A reboot shows as uptime going back, or (when polls were far apart) as uptime that grew by less than the time
 * between the polls. This slack keeps a poller clock that stepped forward from faking a reboot.
 */
const REBOOT_SLACK_MS = 60_000;
/** A session counts as begun after our last reading only with this margin (uptime has 1 s steps; replies take time). */
const SESSION_SLACK_MS = 2000;

/** A row's saved reading: identity, when last seen (ms), and its up and down counters as decimal strings. */
export type SavedRow = [id: string, seen: number, up: string, down: string];

export interface DeviceState {
  v: 1;
  /** When the saved readings were taken (ms since the epoch). */
  at: number;
  /** The router's uptime then (ms). */
  uptimeMs: number;
  /** `table/key` → the row's last reading; one short tuple per row, as this state is rewritten with every poll. */
  rows: Record<string, SavedRow>;
}

/** The saved state of a device, or undefined when it is absent or not of this shape (then polling starts afresh). */
export function parseDeviceState(v: unknown): DeviceState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Partial<DeviceState>;
  if (s.v !== 1 || typeof s.at !== 'number' || typeof s.uptimeMs !== 'number' || typeof s.rows !== 'object' || s.rows === null) return undefined;
  for (const r of Object.values(s.rows as Record<string, unknown>)) {
    if (!Array.isArray(r) || r.length !== 4) return undefined;
    const [id, seen, up, down] = r as unknown[];
    if (typeof id !== 'string' || typeof seen !== 'number' || !isDecimal(up) || !isDecimal(down)) return undefined;
  }
  return s as DeviceState;
}

function isDecimal(v: unknown): v is string {
  return typeof v === 'string' && /^\d+$/.test(v);
}

export type RowEvent = DeltaKind | 'new-session';

export interface DeviceUsage {
  records: UsageRecord[];
  next: DeviceState;
  rebooted: boolean;
  /** Rows by what their counters did. */
  events: Record<RowEvent, number>;
  /** Rows that mapped to no subscriber, and their bytes this interval (up + down), by table. */
  unmapped: Map<Table, { rows: number; bytes: bigint }>;
}

export interface DeviceUsageInput {
  device: string;
  prev: DeviceState | undefined;
  now: number;
  uptimeMs: number;
  readings: readonly Reading[];
  subscriberOf: SubscriberOf;
  width: CounterWidth;
  /** Rows unseen for this long leave the state. */
  forgetAfterMs: number;
}

const EVENT_RANK: Record<RowEvent, number> = { advance: 0, first: 1, wrap: 2, reset: 3, 'new-session': 4 };

export function deviceUsage(input: DeviceUsageInput): DeviceUsage {
  const { prev, uptimeMs, width } = input;
  // A poller clock stepped back must not make an interval that ends before it starts: it ends 1 ms after.
  const now = prev ? Math.max(input.now, prev.at + 1) : input.now;
  const elapsed = prev ? now - prev.at : 0;
  const rebooted = prev !== undefined && (uptimeMs < prev.uptimeMs || uptimeMs - prev.uptimeMs + REBOOT_SLACK_MS < elapsed);
  const events: Record<RowEvent, number> = { advance: 0, first: 0, wrap: 0, reset: 0, 'new-session': 0 };
  const unmapped = new Map<Table, { rows: number; bytes: bigint }>();
  const bySubscriber = new Map<string, { up: bigint; down: bigint }>();
  // Rows unseen for forgetAfter leave before this poll's rows are read: one that is back is a first sight.
  const known = new Map<string, SavedRow>();
  for (const [rowKey, row] of Object.entries(prev?.rows ?? {})) if (now - row[1] < input.forgetAfterMs) known.set(rowKey, row);
  const tracker = new CounterTracker(Object.fromEntries([...known].flatMap(([k, r]) => [[`${k}/up`, r[2]], [`${k}/down`, r[3]]])));
  /** Rows of this poll: `table/key` → identity. */
  const seen = new Map<string, string>();

  for (const r of input.readings) {
    // Table names have no "/", so "table/key" cannot collide across tables whatever the key holds.
    const rowKey = `${r.table}/${r.key}`;
    const before = known.get(rowKey);
    const reset = rebooted || (before !== undefined && before[0] !== r.identity);
    const up = tracker.observe(`${rowKey}/up`, r.up, width, reset);
    const down = tracker.observe(`${rowKey}/down`, r.down, width, reset);
    let event: RowEvent = EVENT_RANK[up.kind] >= EVENT_RANK[down.kind] ? up.kind : down.kind;
    let bytesUp = up.delta;
    let bytesDown = down.delta;
    const begunSinceLastReading = prev !== undefined && (rebooted || (r.startedAgoMs !== undefined && r.startedAgoMs + SESSION_SLACK_MS <= elapsed));
    if (event === 'first' && begunSinceLastReading) {
      event = 'new-session';
      bytesUp = r.up;
      bytesDown = r.down;
    }
    events[event]++;
    seen.set(rowKey, r.identity);
    const subscriber = input.subscriberOf(r.table, r.fields);
    if (subscriber === undefined) {
      const u = unmapped.get(r.table) ?? { rows: 0, bytes: 0n };
      u.rows++;
      u.bytes += bytesUp + bytesDown;
      unmapped.set(r.table, u);
      continue;
    }
    const t = bySubscriber.get(subscriber) ?? { up: 0n, down: 0n };
    t.up += bytesUp;
    t.down += bytesDown;
    bySubscriber.set(subscriber, t);
  }

  const counters = tracker.snapshot();
  const rows: DeviceState['rows'] = {};
  for (const [rowKey, id] of seen) rows[rowKey] = [id, now, counters[`${rowKey}/up`]!, counters[`${rowKey}/down`]!];
  // Rows not in this poll keep their last reading (a row that returns with the same identity continues from it)
  // until forgotten. After a reboot their readings are meaningless: every counter began again at boot.
  if (!rebooted) for (const [rowKey, row] of known) if (!seen.has(rowKey)) rows[rowKey] = row;

  const records: UsageRecord[] = [];
  if (prev) {
    for (const [subscriber, t] of bySubscriber) {
      if (t.up === 0n && t.down === 0n) continue;
      records.push({
        id: recordId('routeros', input.device, subscriber, prev.at, now),
        source: 'routeros',
        device: input.device,
        subscriber,
        start: prev.at,
        end: now,
        bytesDown: t.down,
        bytesUp: t.up,
      });
    }
  }
  return { records, next: { v: 1, at: now, uptimeMs, rows }, rebooted, events, unmapped };
}
