// Generates deterministic RADIUS accounting fixtures (radclient format) and the usage totals they must produce.
// Run: node --import tsx scripts/gen-radius-fixtures.ts   → fixtures/radius/demo.txt, demo.expected.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AttributeInput } from '../collectors/radius/encode.js';
import { formatRadclientInput } from '../collectors/radius/radclient-format.js';
import { mulberry32 } from './prng.js';

export interface GenerateOptions {
  /** Number of sessions (each Start, `interims` Interim-Updates, Stop). */
  sessions: number;
  interims: number;
  seed: number;
  /** Unix seconds of the Accounting-On; every Event-Timestamp is relative to it. Default 2026-01-01T00:00:00Z. */
  startTime?: number;
  /** Seconds between interims. Default 300. */
  interimSeconds?: number;
  /** Distinct subscribers the sessions are spread over. Default min(sessions, 5). */
  subscribers?: number;
  /** NAS-IP-Address / NAS-Identifier written into every packet. */
  nasIp?: string;
  nasIdentifier?: string;
}

export interface SubscriberTotals {
  bytesDown: string;
  bytesUp: string;
  sessions: number;
}

export interface GeneratedFixtures {
  /** In send order: the Accounting-On, then each session's Start, Interims and Stop. */
  packets: AttributeInput[][];
  /** The same packets in radclient's input format. */
  text: string;
  expected: {
    /** The identity config the keys below assume (user names carry realms and mixed case). */
    identity: { attribute: 'User-Name'; stripRealm: true; lowercase: true };
    /** Per subscriber: Acct-Output (+gigawords) summed = bytesDown, Acct-Input = bytesUp. Decimal strings. */
    subscribers: Record<string, SubscriberTotals>;
    totals: { bytesDown: string; bytesUp: string; sessions: number; packets: number };
  };
}

const TWO_32 = 2n ** 32n;
const NAMES = ['Alice', 'bob', 'Carol', 'dave', 'Erin', 'frank', 'Grace', 'heidi', 'Ivan', 'judy'];


export function generateSessions(opts: GenerateOptions): GeneratedFixtures {
  const rnd = mulberry32(opts.seed);
  const start = opts.startTime ?? 1_767_225_600;
  const step = opts.interimSeconds ?? 300;
  const subscriberCount = Math.max(1, opts.subscribers ?? Math.min(opts.sessions, 5));
  const nasIp = opts.nasIp ?? '192.0.2.1';
  const nasId = opts.nasIdentifier ?? 'demo-nas';
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

  const packets: AttributeInput[][] = [[
    { name: 'Acct-Status-Type', value: 'Accounting-On' },
    { name: 'NAS-IP-Address', value: nasIp },
    { name: 'NAS-Identifier', value: nasId },
    { name: 'Acct-Session-Id', value: '00000000' },
    { name: 'Event-Timestamp', value: start },
  ]];
  const subscribers: Record<string, SubscriberTotals> = {};
  let sumDown = 0n;
  let sumUp = 0n;

  for (let s = 0; s < opts.sessions; s++) {
    const who = s % subscriberCount;
    const base = `${NAMES[who % NAMES.length]}${String(Math.floor(who / NAMES.length) + 1).padStart(2, '0')}`;
    // Realms in both forms, mixed case: the identity config must strip and lower-case them.
    const userName = who % 4 === 3 ? `WISP\\${base}` : `${base}@wisp.example`;
    const identity = base.toLowerCase();
    const sessionId = (0x81000000 + s).toString(16);
    const ip = `100.64.${Math.floor(s / 250)}.${(s % 250) + 2}`;
    const mac = Array.from({ length: 6 }, (_, i) => (i === 0 ? 0x02 : int(0, 255)).toString(16).padStart(2, '0')).join(':').toUpperCase();
    const t0 = start + 10 + s * 7;
    const common = (status: string, t: number): AttributeInput[] => [
      { name: 'Acct-Status-Type', value: status },
      { name: 'User-Name', value: userName },
      { name: 'Acct-Session-Id', value: sessionId },
      { name: 'NAS-IP-Address', value: nasIp },
      { name: 'NAS-Identifier', value: nasId },
      { name: 'Calling-Station-Id', value: mac },
      { name: 'Framed-IP-Address', value: ip },
      { name: 'Event-Timestamp', value: t },
    ];
    packets.push([...common('Start', t0), { name: 'Acct-Authentic', value: 'RADIUS' }, { name: 'Mikrotik-Rate-Limit', value: '20M/50M' }]);

    // Session 0 moves ~1.5 GiB down per interval, so it crosses 4 GiB (Acct-Output-Gigawords) within 3 interims.
    const heavy = s === 0;
    let up = 0n;
    let down = 0n;
    for (let i = 1; i <= opts.interims + 1; i++) {
      up += BigInt(int(10_000, 50_000_000));
      down += heavy ? BigInt(int(1_400_000_000, 1_700_000_000)) : BigInt(int(100_000, 400_000_000));
      const t = t0 + i * step;
      const last = i === opts.interims + 1;
      packets.push([
        ...common(last ? 'Stop' : 'Interim-Update', t),
        { name: 'Acct-Session-Time', value: t - t0 },
        { name: 'Acct-Input-Octets', value: Number(up % TWO_32) },
        { name: 'Acct-Input-Gigawords', value: Number(up / TWO_32) },
        { name: 'Acct-Output-Octets', value: Number(down % TWO_32) },
        { name: 'Acct-Output-Gigawords', value: Number(down / TWO_32) },
        ...(last ? [{ name: 'Acct-Terminate-Cause', value: 'User-Request' }] : []),
      ]);
    }
    const tot = (subscribers[identity] ??= { bytesDown: '0', bytesUp: '0', sessions: 0 });
    tot.bytesDown = (BigInt(tot.bytesDown) + down).toString();
    tot.bytesUp = (BigInt(tot.bytesUp) + up).toString();
    tot.sessions++;
    sumDown += down;
    sumUp += up;
  }

  return {
    packets,
    text: formatRadclientInput(packets),
    expected: {
      identity: { attribute: 'User-Name', stripRealm: true, lowercase: true },
      subscribers,
      totals: { bytesDown: sumDown.toString(), bytesUp: sumUp.toString(), sessions: opts.sessions, packets: packets.length },
    },
  };
}

/** The committed demo fixture: a handful of subscribers, one session over 4 GiB. */
export const DEMO_OPTIONS: GenerateOptions = { sessions: 6, interims: 3, seed: 20260101 };

function main(): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'radius');
  mkdirSync(out, { recursive: true });
  const g = generateSessions(DEMO_OPTIONS);
  const header = `# Generated by scripts/gen-radius-fixtures.ts ${JSON.stringify(DEMO_OPTIONS)}; do not edit.\n# radclient -f fixtures/radius/demo.txt HOST:1813 acct SECRET\n\n`;
  writeFileSync(join(out, 'demo.txt'), header + g.text);
  writeFileSync(join(out, 'demo.expected.json'), JSON.stringify({ generator: DEMO_OPTIONS, ...g.expected }, null, 2) + '\n');
  process.stdout.write(`wrote ${g.packets.length} packets for ${Object.keys(g.expected.subscribers).length} subscribers to ${out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
