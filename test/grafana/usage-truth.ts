// What the dashboards must show, worked out from the traffic alone (RADIUS packets, the pcap), never from a store.
import { readFileSync } from 'node:fs';
import type { AttributeInput } from '../../collectors/radius/encode.js';
import { attr } from '../radius/accounting-load.js';

/** Usage of one subscriber on one device, source, class and UTC day. */
export interface TruthRow {
  subscriber: string;
  device: string;
  source: 'radius' | 'netflow';
  class: string;
  /** Start of the UTC day (ms) in which the usage's interval ended. */
  day: number;
  down: bigint;
  up: bigint;
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * RADIUS: each packet adds the growth of its session's cumulative counters (Acct-Output is down, Acct-Input up,
 * gigawords × 2^32) since the session's previous packet, on the day of its Event-Timestamp.
 */
export function radiusTruth(packets: readonly AttributeInput[][], device: string): TruthRow[] {
  const last = new Map<string, { down: bigint; up: bigint }>();
  const rows = new Map<string, TruthRow>();
  const counter = (p: readonly AttributeInput[], octets: string, giga: string) => BigInt(String(attr(p, giga) ?? 0)) * 2n ** 32n + BigInt(String(attr(p, octets) ?? 0));
  const sorted = [...packets].sort((a, b) => Number(attr(a, 'Event-Timestamp')) - Number(attr(b, 'Event-Timestamp')));
  for (const p of sorted) {
    const user = attr(p, 'User-Name');
    if (user === undefined) continue;
    const subscriber = String(user).replace(/^[^\\]*\\/, '').replace(/@.*$/, '').toLowerCase();
    const key = `${attr(p, 'Acct-Session-Id')}/${user}`;
    const down = counter(p, 'Acct-Output-Octets', 'Acct-Output-Gigawords');
    const up = counter(p, 'Acct-Input-Octets', 'Acct-Input-Gigawords');
    const prev = last.get(key) ?? { down: 0n, up: 0n };
    last.set(key, { down, up });
    if (down === prev.down && up === prev.up) continue;
    const day = dayOf(Number(attr(p, 'Event-Timestamp')) * 1000);
    const k = `${subscriber}\0${day}`;
    const row = rows.get(k) ?? { subscriber, device, source: 'radius', class: '', day, down: 0n, up: 0n };
    row.down += down - prev.down;
    row.up += up - prev.up;
    rows.set(k, row);
  }
  return [...rows.values()];
}

/**
 * NetFlow: the capture's own packets (IPv4 total length), per subscriber address and direction, split into the
 * class whose prefix the remote side is in. Every flow of the capture ends on `day`.
 */
export function pcapTruth(file: string, opts: { subscriber: (ip: string) => string | undefined; classes: Record<string, (ip: string) => boolean>; device: string; day: number }): TruthRow[] {
  const buf = readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a microsecond pcap`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const ip = (o: number) => `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
  const rows = new Map<string, TruthRow>();
  for (let off = 24; off + 16 <= buf.length; ) {
    const len = u32(off + 8);
    const pkt = off + 16;
    off = pkt + len;
    if (buf.readUInt16BE(pkt + 12) !== 0x0800) continue;
    const bytes = BigInt(buf.readUInt16BE(pkt + 14 + 2));
    const src = ip(pkt + 14 + 12);
    const dst = ip(pkt + 14 + 16);
    for (const [local, remote, dir] of [[dst, src, 'down'], [src, dst, 'up']] as const) {
      const subscriber = opts.subscriber(local);
      if (!subscriber) continue;
      const cls = Object.entries(opts.classes).find(([, has]) => has(remote))?.[0] ?? '';
      const k = `${subscriber}\0${cls}`;
      const row = rows.get(k) ?? { subscriber, device: opts.device, source: 'netflow', class: cls, day: opts.day, down: 0n, up: 0n };
      row[dir] += bytes;
      rows.set(k, row);
    }
  }
  return [...rows.values()];
}

/** Sums of down and up per key. */
export function sumBy(rows: readonly TruthRow[], key: (r: TruthRow) => string): Map<string, { down: bigint; up: bigint }> {
  const out = new Map<string, { down: bigint; up: bigint }>();
  for (const r of rows) {
    const t = out.get(key(r)) ?? { down: 0n, up: 0n };
    t.down += r.down;
    t.up += r.up;
    out.set(key(r), t);
  }
  return out;
}
