// What a profile is: the table columns it walks and how one walk becomes counter rows with their subscriber keys.
import type { ProfileId, SubscriberRules } from '../config.js';
import type { Cell, Column } from '../snmp-client.js';

/** One cumulative byte counter as read, with the width that decides wrap against reset. */
export interface CounterReading {
  value: bigint;
  width: 32 | 64;
}

/** A table row with byte counters: one interface, queue or station. */
export interface CounterRow {
  /** Stable within the device while the row exists, e.g. "if:3", "queue:12", "sta:1.04:18:d6:aa:bb:cc". */
  key: string;
  /** What an operator calls the row (ifName, queue name, MAC): logs and the device_health `entity` tag. */
  label: string;
  /** The value the profile's subscriber rule reads (alias, name, target, MAC), if the row has one. */
  subscriberKey: string | undefined;
  /** Bytes to the subscriber (bytesDown) and from it (bytesUp), already turned to the subscriber's side. */
  down: CounterReading;
  up: CounterReading;
  /** ifCounterDiscontinuityTime: when it moves, this row's counters restarted although the device did not. */
  discontinuity?: bigint;
  /** Gauges for device_health (signal_dbm, ccq_percent, oper_up, …). */
  health: Record<string, number>;
}

export interface ProfileReading {
  rows: CounterRow[];
  /** Rows skipped because a column was missing or had the wrong type, by reason. */
  skipped: Record<string, number>;
}

/** A small declared unit: which columns to walk, and how to read them. */
export interface Profile {
  id: ProfileId;
  /** Column OIDs, walked side by side each poll. */
  columns: readonly string[];
  /** Reads the walked columns (same order as `columns`) with this target's rules. */
  read(columns: readonly Column[], rules: SubscriberRules): ProfileReading;
}

/** Every instance suffix seen in any of the columns, in walk order. */
export function indices(columns: readonly Column[]): string[] {
  const seen = new Set<string>();
  for (const c of columns) for (const k of c.keys()) seen.add(k);
  return [...seen];
}

export function text(cell: Cell | undefined): string | undefined {
  if (!cell) return undefined;
  if (cell.kind === 'octets') return cell.value.toString('utf8').replace(/\0+$/, '');
  if (cell.kind === 'ip' || cell.kind === 'oid') return cell.value;
  return undefined;
}

export function int(cell: Cell | undefined): bigint | undefined {
  return cell && typeof cell.value === 'bigint' ? cell.value : undefined;
}

/** A byte counter cell with its width, or undefined when absent or not a counter. */
export function counter(cell: Cell | undefined): CounterReading | undefined {
  if (!cell) return undefined;
  if (cell.kind === 'counter64') return { value: cell.value, width: 64 };
  if (cell.kind === 'counter32') return { value: cell.value, width: 32 };
  return undefined;
}

export function bump(skipped: Record<string, number>, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}
