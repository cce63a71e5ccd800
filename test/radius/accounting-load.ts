// Accounting traffic for end-to-end tests, and the totals it must produce, worked out from the packets alone.
import { writeFileSync } from 'node:fs';
import type { AttributeInput } from '../../collectors/radius/encode.js';
import { formatRadclientInput } from '../../collectors/radius/radclient-format.js';
import { generateSessions } from '../../scripts/gen-radius-fixtures.js';

export interface AccountingLoad {
  /** The Accounting-On that opens the run (sent on its own, before the sessions). */
  on: AttributeInput[][];
  /** Session packets interleaved round-robin (every Start, then every first Interim, …) so that -p N in flight
   * never holds two packets of one session, as a NAS's own ordering would have it. */
  sessions: AttributeInput[][];
  /** Per subscriber (realm stripped, lower-cased) down/up, from each session's last cumulative counters. */
  expected: Map<string, { bytesDown: bigint; bytesUp: bigint }>;
}

export function accountingLoad(opts: { sessions: number; interims: number; seed: number; subscribers?: number; startTime?: number; interimSeconds?: number }): AccountingLoad {
  const gen = generateSessions(opts);
  const [on, ...rest] = gen.packets;
  const bySession = new Map<string, AttributeInput[][]>();
  for (const p of rest) {
    const id = String(attr(p, 'Acct-Session-Id'));
    bySession.set(id, [...(bySession.get(id) ?? []), p]);
  }
  const sessions: AttributeInput[][] = [];
  const lists = [...bySession.values()];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) sessions.push(l[i]!);
  return { on: [on!], sessions, expected: expectedTotals(sessions) };
}

/** Independently of the collector: each session's highest 64-bit counters; Acct-Output is down, Acct-Input up. */
export function expectedTotals(packets: readonly AttributeInput[][]): Map<string, { bytesDown: bigint; bytesUp: bigint }> {
  const last = new Map<string, { who: string; down: bigint; up: bigint }>();
  for (const p of packets) {
    const user = attr(p, 'User-Name');
    if (user === undefined) continue;
    const key = `${attr(p, 'Acct-Session-Id')}/${user}`;
    const down = counter(p, 'Acct-Output-Octets', 'Acct-Output-Gigawords');
    const up = counter(p, 'Acct-Input-Octets', 'Acct-Input-Gigawords');
    const prev = last.get(key);
    if (!prev || down > prev.down) last.set(key, { who: identity(String(user)), down, up });
  }
  const out = new Map<string, { bytesDown: bigint; bytesUp: bigint }>();
  for (const { who, down, up } of last.values()) {
    const t = out.get(who) ?? { bytesDown: 0n, bytesUp: 0n };
    out.set(who, { bytesDown: t.bytesDown + down, bytesUp: t.bytesUp + up });
  }
  return out;
}

function identity(user: string): string {
  return user.replace(/^[^\\]*\\/, '').replace(/@.*$/, '').toLowerCase();
}

function counter(p: readonly AttributeInput[], octets: string, gigawords: string): bigint {
  const n = (name: string): bigint => BigInt(String(attr(p, name) ?? 0));
  return n(gigawords) * 2n ** 32n + n(octets);
}

export function attr(p: readonly AttributeInput[], name: string): AttributeInput['value'] | undefined {
  return p.find((a) => a.name === name)?.value;
}

export function writeRadclientFile(file: string, packets: readonly AttributeInput[][]): string {
  writeFileSync(file, formatRadclientInput(packets));
  return file;
}

/** Rows from `wispmeter usage --format json` or a store, as a map to compare with `expected`. */
export function totalsMap(rows: readonly { subscriber: string; bytesDown: bigint; bytesUp: bigint }[]): Map<string, { bytesDown: bigint; bytesUp: bigint }> {
  return new Map(rows.map((r) => [r.subscriber, { bytesDown: r.bytesDown, bytesUp: r.bytesUp }]));
}
