// Kernel-side UDP figures for the bench: per-socket drops and queue (/proc/net/udp), RcvbufErrors, rmem_max.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { udpSockets } from '../../collectors/pipeline/proc-net-udp.js';

export interface UdpSocketState {
  /** Datagrams the kernel dropped on sockets bound to the port since they opened (receive buffer full). */
  drops: number;
  /** Bytes waiting in the receive queue, not yet read by the collector. */
  rxQueue: number;
  /** Sockets found on the port (0: nothing bound yet, or closed). */
  sockets: number;
}

/** The `drops` and `rx_queue` columns of /proc/net/udp and udp6 for sockets bound to this local port. */
export function udpSocketState(port: number): UdpSocketState {
  const rows = udpSockets([port], (f) => readFileSync(f, 'utf8'));
  return { drops: rows.reduce((n, r) => n + r.drops, 0), rxQueue: rows.reduce((n, r) => n + r.rxQueue, 0), sockets: rows.length };
}

/** Host-wide UDP counters from /proc/net/snmp (every socket, including other programs' on this host). */
export function udpHostCounters(): { rcvbufErrors: number; inErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const get = (name: string): number => Number(values[names.indexOf(name)] ?? NaN);
  return { rcvbufErrors: get('RcvbufErrors'), inErrors: get('InErrors') };
}

/** The receive buffer the kernel gave the socket on this port (ss's skmem rb, bytes), or undefined. */
export function receiveBufferBytes(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-uamnH', `sport = :${port}`], { encoding: 'utf8', timeout: 5000 });
    const m = /\brb(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const RMEM_MAX = '/proc/sys/net/core/rmem_max';

export function readRmemMax(): number {
  return Number(readFileSync(RMEM_MAX, 'utf8').trim());
}

/** `sysctl -w net.core.rmem_max=N` (root only); returns the value read back. */
export function writeRmemMax(bytes: number): number {
  execFileSync('sysctl', ['-w', `net.core.rmem_max=${bytes}`], { stdio: 'ignore', timeout: 5000 });
  return readRmemMax();
}
