// Messages between the NetFlow collector and its receive thread (receive-worker.ts).
import type { BoundSockets } from './recvmmsg-sockets.js';

export interface ReceiveWorkerData {
  shared: SharedArrayBuffer;
  listen: string[];
  receiveBuffer: number;
  warnWhenCapped: boolean;
  /** Sockets the collector's thread bound for recvmmsg; without them the thread binds `listen` with dgram. */
  sockets?: BoundSockets;
}

/** netflow.receiveMethod: recvmmsg where it can be used (else dgram), or one of them by name. */
export type ReceiveMethod = 'auto' | 'recvmmsg' | 'dgram';

export interface BoundAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export type ToReceiveWorker = { type: 'stop' };

export type FromReceiveWorker =
  | { type: 'ready'; addresses: BoundAddress[]; method: 'recvmmsg' | 'dgram' }
  | { type: 'bind-error'; message: string }
  /** The ring was empty and the decoder asked to be woken (DatagramRing.park). */
  | { type: 'readable' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string }
  /** The sockets are closed: every datagram they took is in the ring or counted as dropped. */
  | { type: 'closed' };
