// A MikroTik router's metered state for tests: queues, PPP sessions, hotspot logins and interfaces whose counters
// grow by the traffic a test script adds, and that restart the way RouterOS restarts them (a re-created queue gets
// a new .id, a new PPP session a new session-id and a new dynamic interface, a reboot zeroes everything).
// `tables()` renders the rows as the API prints them, for test/routeros-server.ts.

type Row = Record<string, string>;

interface Counters {
  id: string;
  up: bigint;
  down: bigint;
}

interface Queue extends Counters {
  target: string;
  dynamic: boolean;
}

interface PppSession extends Counters {
  service: string;
  sessionId: string;
  ifId: string;
  callerId: string;
  startedAt: number;
}

interface HotspotLogin extends Counters {
  mac: string;
  startedAt: number;
}

export class SimulatedRouter {
  /** Seconds since boot. */
  uptime = 3 * 86_400 + 3723;
  private seq = 0x10;
  private readonly queues = new Map<string, Queue>();
  private readonly ppp = new Map<string, PppSession>();
  private readonly hotspot = new Map<string, HotspotLogin>();
  private readonly interfaces = new Map<string, Counters & { comment: string }>();

  /** Counters wrap at 2^bits, as the router's do. */
  constructor(private readonly bits: 32 | 64 = 64) {}

  private id(): string {
    return `*${(this.seq++).toString(16).toUpperCase()}`;
  }

  private add(c: Counters, up: bigint, down: bigint): void {
    const mod = 1n << BigInt(this.bits);
    c.up = (c.up + up) % mod;
    c.down = (c.down + down) % mod;
  }

  elapse(seconds: number): void {
    this.uptime += seconds;
  }

  addQueue(name: string, target: string, dynamic = false): void {
    this.queues.set(name, { id: this.id(), up: 0n, down: 0n, target, dynamic });
  }

  removeQueue(name: string): void {
    this.queues.delete(name);
  }

  queueTraffic(name: string, up: bigint, down: bigint): void {
    this.add(this.must(this.queues.get(name), name), up, down);
  }

  /** Starts a PPPoE session (and its `<pppoe-NAME>` interface), replacing any session of that user. */
  startPpp(name: string, callerId: string): void {
    const sessionId = `0x8${(this.seq * 7919).toString(16).padStart(7, '0')}`;
    this.ppp.set(name, { id: this.id(), ifId: this.id(), sessionId, service: 'pppoe', callerId, startedAt: this.uptime, up: 0n, down: 0n });
  }

  endPpp(name: string): void {
    this.ppp.delete(name);
  }

  pppTraffic(name: string, up: bigint, down: bigint): void {
    this.add(this.must(this.ppp.get(name), name), up, down);
  }

  login(user: string, mac: string): void {
    this.hotspot.set(user, { id: this.id(), mac, startedAt: this.uptime, up: 0n, down: 0n });
  }

  hotspotTraffic(user: string, up: bigint, down: bigint): void {
    this.add(this.must(this.hotspot.get(user), user), up, down);
  }

  addInterface(name: string, comment: string): void {
    this.interfaces.set(name, { id: this.id(), comment, up: 0n, down: 0n });
  }

  interfaceTraffic(name: string, up: bigint, down: bigint): void {
    this.add(this.must(this.interfaces.get(name), name), up, down);
  }

  /**
   * Reboots: uptime and every counter start from 0. Static queues and interfaces keep their .id; sessions come back
   * as new sessions (the CPEs dial again), so they get new ids.
   */
  reboot(): void {
    this.uptime = 0;
    for (const q of this.queues.values()) Object.assign(q, { up: 0n, down: 0n }, q.dynamic ? { id: this.id() } : {});
    for (const i of this.interfaces.values()) Object.assign(i, { up: 0n, down: 0n });
    for (const [name, s] of this.ppp) this.startPpp(name, s.callerId);
    for (const [user, h] of this.hotspot) this.login(user, h.mac);
  }

  /** The rows `print` returns, per menu. */
  tables(): Record<string, Row[]> {
    const pppIfs = [...this.ppp].map(([name, s]) => ({ '.id': s.ifId, name: `<pppoe-${name}>`, type: 'pppoe-in', dynamic: 'true', 'rx-byte': `${s.up}`, 'tx-byte': `${s.down}` }));
    return {
      '/system/resource': [{ uptime: duration(this.uptime), 'cpu-load': '3', version: '7.19.4 (stable)' }],
      '/queue/simple': [...this.queues].map(([name, q]) => ({ '.id': q.id, name, target: q.target, dynamic: String(q.dynamic), disabled: 'false', bytes: `${q.up}/${q.down}`, 'max-limit': '10000000/50000000' })),
      '/ppp/active': [...this.ppp].map(([name, s]) => ({ '.id': s.id, name, service: s.service, 'caller-id': s.callerId, address: '100.64.0.9', uptime: duration(this.uptime - s.startedAt), encoding: '', 'session-id': s.sessionId, radius: 'true' })),
      '/ip/hotspot/active': [...this.hotspot].map(([user, h]) => ({ '.id': h.id, server: 'hs1', user, address: '10.5.50.7', 'mac-address': h.mac, uptime: duration(this.uptime - h.startedAt), 'bytes-in': `${h.up}`, 'bytes-out': `${h.down}`, 'packets-in': '1', 'packets-out': '1' })),
      '/interface': [
        ...[...this.interfaces].map(([name, i]) => ({ '.id': i.id, name, type: 'vlan', comment: i.comment, dynamic: 'false', 'rx-byte': `${i.up}`, 'tx-byte': `${i.down}` })),
        ...pppIfs,
      ],
    };
  }

  private must<T>(v: T | undefined, name: string): T {
    if (v === undefined) throw new Error(`simulated router: no ${name}`);
    return v;
  }
}

/** RouterOS's duration form: "1w2d3h4m5s", "0s". */
export function duration(seconds: number): string {
  const parts: [number, string][] = [[604_800, 'w'], [86_400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  let rest = Math.floor(seconds);
  let out = '';
  for (const [size, unit] of parts) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n) out += `${n}${unit}`;
  }
  return out || '0s';
}
