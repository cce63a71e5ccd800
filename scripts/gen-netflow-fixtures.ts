// Generates the demo's NetFlow fixture: the flows a router would have exported for the sessions of the RADIUS
// demo fixture (same seed, same addresses and times), with a CDN share for the zero-rated class and traffic to
// addresses nobody holds, and the totals the collector must store from them.
// Run: node --import tsx scripts/gen-netflow-fixtures.ts   → fixtures/netflow/demo.flows.csv, demo.expected.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ExportFlow } from '../collectors/netflow/exporter.js';
import { formatFlowCsv } from '../collectors/netflow/flow-csv.js';
import { DEMO_OPTIONS, generateSessions } from './gen-radius-fixtures.js';
import { mulberry32 } from './prng.js';

/** The zero-rated class of the demo: a CDN cache's prefix (TEST-NET-3); cli/demo.ts configures the same. */
const DEMO_CDN = '203.0.113.0/24';
/** Addresses in the subscribers' pool that no session held: their traffic is unattributed. */
const UNLEASED = ['100.64.9.20', '100.64.9.21', '100.64.9.22'];
const SEED = 20260102;
const TWO_32 = 2n ** 32n;

interface Totals { bytesDown: string; bytesUp: string; zeroRatedDown: string; zeroRatedUp: string }

export interface NetflowFixture {
  flows: ExportFlow[];
  expected: {
    classes: Record<string, string[]>;
    /** Per subscriber (as the RADIUS identity config names them): all NetFlow octets, and the zero-rated part. */
    subscribers: Record<string, Totals>;
    /** Octets of flows with no subscriber at either end (kept as down), by far-end address. */
    unattributed: { bytes: string; addresses: Record<string, string> };
    flows: number;
  };
}

/** RADIUS identity of a User-Name as the demo's identity config makes it: realm stripped, lower case. */
const identity = (userName: string): string => userName.replace(/^.*\\/, '').replace(/@.*$/, '').toLowerCase();

export function generateNetflow(): NetflowFixture {
  const rnd = mulberry32(SEED);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const flows: ExportFlow[] = [];
  const subscribers: Record<string, { down: bigint; up: bigint; zDown: bigint; zUp: bigint }> = {};
  // Splits `bytes` over `parts` flows inside (from, to) seconds, the first `cdn` octets to or from the CDN.
  const emit = (ip: string, dir: 'down' | 'up', bytes: bigint, cdn: bigint, from: number, to: number): void => {
    const pieces: [string, bigint][] = cdn > 0n ? [[`203.0.113.${int(10, 20)}`, cdn]] : [];
    let rest = bytes - cdn;
    const parts = int(1, 4);
    for (let p = 0; p < parts && rest > 0n; p++) {
      const share = p === parts - 1 ? rest : (rest * BigInt(int(10, 60))) / 100n;
      pieces.push([`198.51.100.${int(1, 254)}`, share]);
      rest -= share;
    }
    for (const [remote, octets] of pieces) {
      if (octets === 0n) continue;
      // Inside the lease: a second after the interval opens, a second before it closes (leases are [from, to)).
      const start = (from + 1) * 1000 + int(0, 999);
      const end = Math.max(start, (to - 1) * 1000 - int(0, 999));
      const port = int(40_000, 60_000);
      flows.push({
        src: dir === 'down' ? remote : ip, dst: dir === 'down' ? ip : remote, protocol: 6,
        srcPort: dir === 'down' ? 443 : port, dstPort: dir === 'down' ? port : 443,
        bytes: octets, packets: (octets + 1399n) / 1400n, start, end,
      });
    }
  };

  // Walk the RADIUS fixture: each session's address and the octets of each interval between its packets.
  const sessions = new Map<string, { who: string; ip: string; t: number; down: bigint; up: bigint }>();
  for (const packet of generateSessions(DEMO_OPTIONS).packets) {
    const attr = (name: string) => packet.find((a) => a.name === name)?.value;
    const status = attr('Acct-Status-Type');
    if (status === 'Accounting-On') continue;
    const id = String(attr('Acct-Session-Id'));
    const t = Number(attr('Event-Timestamp'));
    if (status === 'Start') {
      sessions.set(id, { who: identity(String(attr('User-Name'))), ip: String(attr('Framed-IP-Address')), t, down: 0n, up: 0n });
      continue;
    }
    const s = sessions.get(id)!;
    const down = BigInt(Number(attr('Acct-Output-Gigawords') ?? 0)) * TWO_32 + BigInt(Number(attr('Acct-Output-Octets') ?? 0));
    const up = BigInt(Number(attr('Acct-Input-Gigawords') ?? 0)) * TWO_32 + BigInt(Number(attr('Acct-Input-Octets') ?? 0));
    const dDown = down - s.down;
    const dUp = up - s.up;
    // A fifth to a third of what comes down is from the CDN; a twentieth of what goes up goes to it.
    const zDown = (dDown * BigInt(int(20, 33))) / 100n;
    const zUp = dUp / 20n;
    emit(s.ip, 'down', dDown, zDown, s.t, t);
    emit(s.ip, 'up', dUp, zUp, s.t, t);
    const tot = (subscribers[s.who] ??= { down: 0n, up: 0n, zDown: 0n, zUp: 0n });
    tot.down += dDown;
    tot.up += dUp;
    tot.zDown += zDown;
    tot.zUp += zUp;
    Object.assign(s, { t, down, up });
  }

  // Traffic to pool addresses no session held: a mis-provisioned static customer, as a reconciliation finds it.
  const start = DEMO_OPTIONS.startTime ?? 1_767_225_600;
  const addresses: Record<string, bigint> = {};
  for (let i = 0; i < 12; i++) {
    const ip = UNLEASED[i % UNLEASED.length]!;
    const bytes = BigInt(int(1_000_000, 80_000_000)) * BigInt(UNLEASED.length - (i % UNLEASED.length));
    const t = (start + 60 + i * 90) * 1000;
    flows.push({ src: `198.51.100.${int(1, 254)}`, dst: ip, protocol: 6, srcPort: 443, dstPort: int(40_000, 60_000), bytes, packets: (bytes + 1399n) / 1400n, start: t, end: t + int(1000, 60_000) });
    addresses[ip] = (addresses[ip] ?? 0n) + bytes;
  }

  flows.sort((a, b) => a.end - b.end || a.start - b.start);
  const str = (n: bigint) => n.toString();
  return {
    flows,
    expected: {
      classes: { 'zero-rated': [DEMO_CDN] },
      subscribers: Object.fromEntries(Object.entries(subscribers).sort().map(([k, v]) => [k, { bytesDown: str(v.down), bytesUp: str(v.up), zeroRatedDown: str(v.zDown), zeroRatedUp: str(v.zUp) }])),
      unattributed: { bytes: str(Object.values(addresses).reduce((a, b) => a + b, 0n)), addresses: Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, str(v)])) },
      flows: flows.length,
    },
  };
}

function main(): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'netflow');
  mkdirSync(out, { recursive: true });
  const g = generateNetflow();
  writeFileSync(join(out, 'demo.flows.csv'), `# Generated by scripts/gen-netflow-fixtures.ts from the RADIUS demo sessions (seed ${SEED}); do not edit.\n${formatFlowCsv(g.flows)}`);
  writeFileSync(join(out, 'demo.expected.json'), JSON.stringify(g.expected, null, 2) + '\n');
  process.stdout.write(`wrote ${g.flows.length} flows for ${Object.keys(g.expected.subscribers).length} subscribers to ${out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
