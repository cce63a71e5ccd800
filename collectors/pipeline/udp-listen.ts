// Binds a collector's UDP listen addresses, with the receive buffer it asks for, or none of them.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parseHostPort } from '../../config/primitives.js';

export interface UdpListenOptions {
  /** Names the collector in errors and logs ("radius", "netflow"). */
  component: string;
  /** SO_RCVBUF to ask for; the kernel caps it at net.core.rmem_max. */
  receiveBuffer: number;
  /** Warn with the sysctl to run when the kernel grants less (NetFlow cannot ask an exporter to resend). */
  warnWhenCapped: boolean;
  log: UdpListenLog;
}

/** What bindUdp logs through: a pino Logger, or a forwarder in a worker thread (collectors/netflow/receive-worker.ts). */
export interface UdpListenLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Binds every listen address. An IPv6 wildcard is made IPv6-only when an IPv4 socket shares its port
 * (otherwise Linux's dual-stack [::] would collide with 0.0.0.0); alone, it stays dual-stack and IPv4
 * senders arrive as ::ffff:a.b.c.d, which the collectors map back to IPv4. One failure closes the rest.
 */
export async function bindUdp(listen: readonly string[], opts: UdpListenOptions): Promise<Socket[]> {
  const { component, log } = opts;
  const targets = listen.map((l) => {
    const hp = parseHostPort(l);
    if (!hp) throw new Error(`${component}: bad listen address "${l}"`);
    return hp;
  });
  const sockets: Socket[] = [];
  try {
    for (const { host, port } of targets) {
      const v6 = isIPv6(host);
      const ipv6Only = v6 && targets.some((t) => !isIPv6(t.host) && t.port === port);
      const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: host, port }, () => {
          socket.off('error', reject);
          resolve();
        });
      }).catch((err: unknown) => {
        socket.close();
        throw new Error(`${component}: cannot listen on ${v6 ? `[${host}]` : host}:${port}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      // A socket error after bind must never crash the daemon.
      socket.on('error', (err) => log.error({ err }, `${component}: socket error`));
      sockets.push(socket);
      setReceiveBuffer(socket, `${host}:${port}`, opts);
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return sockets;
}

function setReceiveBuffer(socket: Socket, where: string, opts: UdpListenOptions): void {
  const { component, log, receiveBuffer: wanted } = opts;
  try {
    socket.setRecvBufferSize(wanted);
  } catch (err) {
    log.warn({ err, where }, `${component}: could not set the receive buffer`);
  }
  reportReceiveBuffer(where, socket.getRecvBufferSize(), opts);
}

/** Logs the receive buffer the kernel granted, or (warnWhenCapped) how to raise a capped one. */
export function reportReceiveBuffer(where: string, granted: number, opts: UdpListenOptions): void {
  const { component, log, receiveBuffer: wanted } = opts;
  if (!opts.warnWhenCapped) return;
  // Linux reports twice what it granted (the doubling covers its bookkeeping); a cap shows as less than asked.
  if (granted < wanted) {
    log.warn({ where, wanted, granted }, `${component}: receive buffer capped by the kernel; bursts will be lost. Raise it: sysctl -w net.core.rmem_max=${wanted}`);
  } else {
    log.info({ where, granted }, `${component}: receive buffer`);
  }
}
