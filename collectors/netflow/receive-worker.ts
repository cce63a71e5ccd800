// The NetFlow receive thread: owns the UDP sockets and only copies each datagram into the shared ring.
import { parentPort, workerData } from 'node:worker_threads';
import { bindUdp } from '../pipeline/udp-listen.js';
import { DatagramRing } from './datagram-ring.js';
import type { ReceiveWorkerData, ToReceiveWorker, FromReceiveWorker } from './receive-protocol.js';

const port = parentPort;
if (!port) throw new Error('netflow receive worker: not started as a worker thread');
const data = workerData as ReceiveWorkerData;
const ring = new DatagramRing(data.shared);
const post = (m: FromReceiveWorker): void => port.postMessage(m);

// Logs go to the collector's logger on the main thread (one logger per component).
const log = {
  info: (obj: object, msg: string) => post({ type: 'log', level: 'info', obj: plain(obj), msg }),
  warn: (obj: object, msg: string) => post({ type: 'log', level: 'warn', obj: plain(obj), msg }),
  error: (obj: object, msg: string) => post({ type: 'log', level: 'error', obj: plain(obj), msg }),
};

try {
  const sockets = await bindUdp(data.listen, { component: 'netflow', receiveBuffer: data.receiveBuffer, warnWhenCapped: data.warnWhenCapped, log });
  // The handler does no more than the copy: everything else happens on the decoding thread.
  const readable: FromReceiveWorker = { type: 'readable' };
  const onMessage = (msg: Buffer, rinfo: { address: string; port: number }): void => {
    // A full ring blocks this thread (the kernel buffer fills behind it); see DatagramRing.writeOrWait.
    if (ring.writeOrWait(msg, rinfo.address, rinfo.port) && ring.takeWakeRequest()) port.postMessage(readable);
  };
  for (const s of sockets) s.on('message', onMessage);
  port.on('message', (m: ToReceiveWorker) => {
    if (m.type !== 'stop') return;
    // After close() no more datagrams arrive; everything received is already in the ring (or counted as dropped).
    void Promise.all(sockets.map((s) => new Promise<void>((done) => s.close(() => done())))).then(() => {
      post({ type: 'closed' });
      port.close();
    });
  });
  post({
    type: 'ready',
    addresses: sockets.map((s) => {
      const a = s.address();
      return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    }),
  });
} catch (err) {
  post({ type: 'bind-error', message: err instanceof Error ? err.message : String(err) });
  port.close();
}

/** Errors do not survive structured cloning with their message in pino's shape: send their text. */
function plain(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? { message: v.message, code: (v as NodeJS.ErrnoException).code } : v;
  return out;
}
