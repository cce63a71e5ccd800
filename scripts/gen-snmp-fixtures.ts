// Generates the SNMP fixture walks (a MikroTik router's simple queues, an airMAX AP's stations, 32-bit
// interfaces and CPU load) over a run of polls, and what each row must bill: the traffic the simulation sent, not the counters.
// Run: node --import tsx scripts/gen-snmp-fixtures.ts   → fixtures/snmp/{ccr,ap}.walk, fixtures/snmp/expected.json
//
// Per interval each row carries random traffic. What the counters can show is billed ("counted"); what they
// cannot is lost and left out of the expectation: the part of an interval before a device restart, a counter
// discontinuity or a station re-association (counters restart from 0 there), and everything while a queue is gone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from './prng.js';

export const STEPS = 12;
const SEED = 7007;

type Event = 'gone' | 'back' | 'restart-counters' | 'discontinuity';

interface RowSpec {
  device: 'ccr' | 'ap';
  kind: 'queue' | 'station' | 'if';
  /** OID instance suffix. */
  index: string;
  name: string;
  /** Queue target address and mask, station MAC, interface alias. */
  target?: { addr: string; mask: string };
  mac?: string;
  alias?: string;
  width: 32 | 64;
  start: { down: bigint; up: bigint };
  /** Typical bytes per interval, per direction. */
  rate: { down: number; up: number };
  /** First poll the row exists at (a queue created later). */
  from?: number;
  events?: Record<number, Event>;
}

export interface ExpectedRow {
  device: string;
  kind: string;
  name: string;
  target?: string;
  mac?: string;
  alias?: string;
  /** Billed bytes summed over polls 1..STEPS-1 (decimal strings). */
  bytesDown: string;
  bytesUp: string;
  /** Per poll (index = poll), the billed bytes of the interval that ends at it. */
  intervals: [string, string][];
}

export interface Expected {
  steps: number;
  /** Polls before which the device restarts (the test restarts its snmpd: sysUpTime goes back). */
  restarts: Record<string, number[]>;
  rows: ExpectedRow[];
}

const MAC = (n: number) => `04:18:d6:00:00:${n.toString(16).padStart(2, '0')}`;
const macIndex = (radio: number, mac: string) => `${radio}.${mac.split(':').map((h) => parseInt(h, 16)).join('.')}`;

const ROWS: RowSpec[] = [
  // Above 2^32 from the start and more than 2^32 per interval: only the 64-bit counter can bill this exactly.
  { device: 'ccr', kind: 'queue', index: '1', name: 'cust-alice', target: { addr: '10.0.5.2', mask: '255.255.255.255' }, width: 64, start: { down: 5_123_456_789_012n, up: 312_345_678_901n }, rate: { down: 6.2e9, up: 4.5e8 } },
  // Removed at poll 4, re-added at poll 6 (same index, counters from 0).
  { device: 'ccr', kind: 'queue', index: '2', name: 'cust-bob', target: { addr: '10.0.5.3', mask: '255.255.255.255' }, width: 64, start: { down: 88_000_000_000n, up: 9_100_000_000n }, rate: { down: 9e8, up: 1.2e8 }, events: { 4: 'gone', 5: 'gone', 6: 'back' } },
  // Created after the first poll: everything it counted is new usage.
  { device: 'ccr', kind: 'queue', index: '3', name: 'cust-carol', target: { addr: '10.0.5.4', mask: '255.255.255.252' }, width: 64, start: { down: 0n, up: 0n }, rate: { down: 3e8, up: 5e7 }, from: 3 },
  // A parent queue: maps to nobody.
  { device: 'ccr', kind: 'queue', index: '4', name: 'tower-total', target: { addr: '0.0.0.0', mask: '0.0.0.0' }, width: 64, start: { down: 900_000_000_000n, up: 70_000_000_000n }, rate: { down: 8e9, up: 7e8 } },
  { device: 'ap', kind: 'station', index: macIndex(1, MAC(1)), name: 'dave-lbe', mac: MAC(1), width: 64, start: { down: 41_000_000_000n, up: 3_000_000_000n }, rate: { down: 2.5e9, up: 2e8 } },
  // Re-associates before poll 3: its counters restart from 0.
  { device: 'ap', kind: 'station', index: macIndex(1, MAC(2)), name: 'erin-nsm5', mac: MAC(2), width: 64, start: { down: 17_000_000_000n, up: 1_500_000_000n }, rate: { down: 1.1e9, up: 9e7 }, events: { 3: 'restart-counters' } },
  // A station nobody's MAC map lists.
  { device: 'ap', kind: 'station', index: macIndex(1, MAC(0x99)), name: 'unknown', mac: MAC(0x99), width: 64, start: { down: 5_000_000n, up: 700_000n }, rate: { down: 1e7, up: 1e6 } },
  // 32-bit only (no ifHC* on this firmware), close to 2^32 and 1.3 GB per interval: wraps every few polls.
  { device: 'ap', kind: 'if', index: '1', name: 'eth0', alias: 'cust:frank', width: 32, start: { down: 3_900_000_000n, up: 4_200_000_000n }, rate: { down: 1.3e9, up: 9e8 } },
  // ifCounterDiscontinuityTime moves before poll 5: counters restart without a device restart.
  { device: 'ap', kind: 'if', index: '2', name: 'ath0', alias: 'cust:grace', width: 32, start: { down: 1_000_000_000n, up: 200_000_000n }, rate: { down: 4e8, up: 6e7 }, events: { 5: 'discontinuity' } },
  { device: 'ap', kind: 'if', index: '3', name: 'lo', alias: '', width: 32, start: { down: 123_456n, up: 123_456n }, rate: { down: 1e4, up: 1e4 } },
];

const RESTARTS: Record<string, number[]> = { ap: [8] };

/** The AP's per-CPU load (%) at each step: the busy core and an idler one. */
const AP_CPU_LOAD: readonly ((step: number) => number)[] = [(step) => 60 + 7 * (step % 3), (step) => 10 + 5 * (step % 5)];

interface Line {
  oid: string;
  type: 'STRING' | 'Counter64' | 'Counter32' | 'INTEGER' | 'Gauge32' | 'IpAddress' | 'Timeticks';
  value: string;
}

export function generate(): { walks: Record<string, string>; expected: Expected } {
  const rnd = mulberry32(SEED);
  const vary = (rate: number) => BigInt(Math.floor(rate * (0.5 + rnd())));
  const walks: Record<string, Line[][]> = { ccr: [], ap: [] };
  const rows: ExpectedRow[] = [];
  const state = ROWS.map((r) => ({ down: r.start.down, up: r.start.up, present: false, disc: 0, counted: { down: 0n, up: 0n }, intervals: [] as [string, string][] }));

  for (let step = 0; step < STEPS; step++) {
    for (const dev of Object.keys(walks)) walks[dev]!.push([]);
    // The AP's radio 1: its noise floor (UBNT-AirMAX-MIB ubntWlStatNoiseFloor, dBm), moving with the step; no random
    // draw, so the counters' sequence stays as it was.
    walks.ap?.[step]!.push({ oid: '1.3.6.1.4.1.41112.1.4.5.1.8.1', type: 'INTEGER', value: String(-96 + (step % 4)) });
    // Its two CPUs (HOST-RESOURCES-MIB hrProcessorLoad, percent, indexed by hrDeviceIndex as on airOS and Linux):
    // different loads, moving with the step, again without a random draw.
    walks.ap?.[step]!.push(...AP_CPU_LOAD.map((load, i) => ({ oid: `1.3.6.1.2.1.25.3.3.1.2.${196608 + i}`, type: 'INTEGER' as const, value: String(load(step)) })));
    ROWS.forEach((r, i) => {
      const s = state[i]!;
      const mod = r.width === 32 ? 1n << 32n : 1n << 64n;
      const event = r.events?.[step];
      const exists = step >= (r.from ?? 0) && event !== 'gone';
      const traffic = { down: vary(r.rate.down), up: vary(r.rate.up) };
      let billed = { down: 0n, up: 0n };
      if (exists) {
        const restart = (RESTARTS[r.device] ?? []).includes(step) || event === 'back' || event === 'restart-counters' || event === 'discontinuity' || (!s.present && step > 0);
        if (step === 0) {
          // The first poll only takes readings.
        } else if (restart) {
          // Counters restarted from 0 somewhere in the interval: only what came after shows (and is billed).
          const after = { down: (traffic.down * BigInt(1 + Math.floor(rnd() * 99))) / 100n, up: (traffic.up * BigInt(1 + Math.floor(rnd() * 99))) / 100n };
          s.down = after.down;
          s.up = after.up;
          billed = after;
          if (event === 'discontinuity') s.disc = step * 1000 + 17;
        } else {
          s.down = (s.down + traffic.down) % mod;
          s.up = (s.up + traffic.up) % mod;
          billed = traffic;
        }
      }
      s.present = exists;
      s.counted.down += billed.down;
      s.counted.up += billed.up;
      s.intervals.push([billed.down.toString(), billed.up.toString()]);
      if (exists) walks[r.device]![step]!.push(...rowLines(r, s.down, s.up, s.disc, rnd));
    });
  }
  ROWS.forEach((r, i) => {
    const s = state[i]!;
    rows.push({
      device: r.device,
      kind: r.kind,
      name: r.name,
      ...(r.target ? { target: targetText(r.target.addr, r.target.mask) } : {}),
      ...(r.mac ? { mac: r.mac } : {}),
      ...(r.alias !== undefined ? { alias: r.alias } : {}),
      bytesDown: s.counted.down.toString(),
      bytesUp: s.counted.up.toString(),
      intervals: s.intervals,
    });
  });
  const text: Record<string, string> = {};
  for (const [dev, steps] of Object.entries(walks)) {
    text[dev] = `# ${dev}: fixture walk, one section per poll; generated by scripts/gen-snmp-fixtures.ts (do not edit)\n` +
      steps.map((lines, step) => `# step ${step}\n` + sortLines(lines).map((l) => `.${l.oid} = ${l.type}: ${l.value}`).join('\n')).join('\n') + '\n';
  }
  return { walks: text, expected: { steps: STEPS, restarts: RESTARTS, rows } };
}

function rowLines(r: RowSpec, down: bigint, up: bigint, disc: number, rnd: () => number): Line[] {
  const c = r.width === 64 ? 'Counter64' : 'Counter32';
  if (r.kind === 'queue') {
    const e = '1.3.6.1.4.1.14988.1.1.2.1.1';
    return [
      { oid: `${e}.2.${r.index}`, type: 'STRING', value: JSON.stringify(r.name) },
      { oid: `${e}.3.${r.index}`, type: 'IpAddress', value: r.target!.addr },
      { oid: `${e}.4.${r.index}`, type: 'IpAddress', value: r.target!.mask },
      // Queue "in" is the target's upload, "out" its download (collectors/snmp/profiles/mikrotik-queue.ts).
      { oid: `${e}.8.${r.index}`, type: c, value: up.toString() },
      { oid: `${e}.9.${r.index}`, type: c, value: down.toString() },
    ];
  }
  if (r.kind === 'station') {
    const e = '1.3.6.1.4.1.41112.1.4.7.1';
    return [
      { oid: `${e}.2.${r.index}`, type: 'STRING', value: JSON.stringify(r.name) },
      { oid: `${e}.3.${r.index}`, type: 'INTEGER', value: String(-50 - Math.floor(rnd() * 30)) },
      { oid: `${e}.6.${r.index}`, type: 'INTEGER', value: String(60 + Math.floor(rnd() * 40)) },
      { oid: `${e}.9.${r.index}`, type: 'INTEGER', value: String(40 + Math.floor(rnd() * 60)) },
      // The AP's tx is the station's download.
      { oid: `${e}.13.${r.index}`, type: c, value: down.toString() },
      { oid: `${e}.14.${r.index}`, type: c, value: up.toString() },
      { oid: `${e}.17.${r.index}`, type: 'INTEGER', value: String(100_000 + Math.floor(rnd() * 200_000)) },
      { oid: `${e}.18.${r.index}`, type: 'INTEGER', value: String(50_000 + Math.floor(rnd() * 100_000)) },
    ];
  }
  // An interface facing the subscriber: out is download.
  return [
    { oid: `1.3.6.1.2.1.2.2.1.2.${r.index}`, type: 'STRING', value: JSON.stringify(r.name) },
    { oid: `1.3.6.1.2.1.2.2.1.8.${r.index}`, type: 'INTEGER', value: r.name === 'lo' ? '1' : String(rnd() < 0.9 ? 1 : 2) },
    { oid: `1.3.6.1.2.1.2.2.1.10.${r.index}`, type: c, value: up.toString() },
    { oid: `1.3.6.1.2.1.2.2.1.16.${r.index}`, type: c, value: down.toString() },
    { oid: `1.3.6.1.2.1.31.1.1.1.1.${r.index}`, type: 'STRING', value: JSON.stringify(r.name) },
    { oid: `1.3.6.1.2.1.31.1.1.1.18.${r.index}`, type: 'STRING', value: JSON.stringify(r.alias ?? '') },
    { oid: `1.3.6.1.2.1.31.1.1.1.19.${r.index}`, type: 'Timeticks', value: `(${disc})` },
  ];
}

function targetText(addr: string, mask: string): string | undefined {
  if (addr === '0.0.0.0') return undefined;
  const len = mask.split('.').reduce((n, p) => n + (Number(p).toString(2).match(/1/g)?.length ?? 0), 0);
  return len === 32 ? addr : `${addr}/${len}`;
}

function sortLines(lines: Line[]): Line[] {
  const cmp = (a: string, b: string) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  return [...lines].sort((a, b) => cmp(a.oid, b.oid));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'snmp');
  mkdirSync(dir, { recursive: true });
  const { walks, expected } = generate();
  for (const [dev, text] of Object.entries(walks)) writeFileSync(join(dir, `${dev}.walk`), text);
  writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
  console.log(`wrote ${Object.keys(walks).map((d) => `${d}.walk`).join(', ')} and expected.json to ${dir}`);
}
