// The NetFlow receive thread: owns the UDP sockets and only copies each datagram into the shared ring. It reads them
// with recvmmsg (recvmmsg-sockets.ts) where it can, else with Node's dgram.
import { parentPort, workerData } from 'node:worker_threads';
import { bindUdp, type UdpListenOptions } from '../pipeline/udp-listen.js';
import { DatagramRing } from './datagram-ring.js';
import type { ReceiveWorkerData, ToReceiveWorker, FromReceiveWorker } from './receive-protocol.js';
import { loadLibc, RecvmmsgReader } from './recvmmsg-sockets.js';

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

const readable: FromReceiveWorker = { type: 'readable' };
/** The one thing this thread does per datagram: the copy. Everything else happens on the decoding thread. */
const deliver = (msg: Buffer, address: string, sourcePort: number): void => {
  // A full ring blocks this thread (the kernel buffer fills behind it); see DatagramRing.writeOrWait.
  if (ring.writeOrWait(msg, address, sourcePort) && ring.takeWakeRequest()) port.postMessage(readable);
};

try {
  if (data.sockets) {
    // The collector's thread bound the sockets for recvmmsg (receive-thread.ts); this thread only reads them.
    const libc = await loadLibc();
    if (typeof libc === 'string') throw new Error(`netflow: the receive thread cannot read with recvmmsg: ${libc}`);
    const reader = new RecvmmsgReader(libc, data.sockets.fds, data.sockets.addresses);
    post({ type: 'ready', addresses: data.sockets.addresses, method: 'recvmmsg' });
    // Blocks this thread until the collector stops (DatagramRing.stopWaiting): it has nothing else to do.
    reader.run(deliver, () => ring.stopping(), log);
    reader.free();
    if (reader.truncated) log.error({ datagrams: reader.truncated }, 'netflow: datagrams longer than 64 KiB were dropped');
    post({ type: 'closed' });
    port.close();
  } else {
    await receiveWithDgram({ component: 'netflow', receiveBuffer: data.receiveBuffer, warnWhenCapped: data.warnWhenCapped, log });
  }
} catch (err) {
  post({ type: 'bind-error', message: err instanceof Error ? err.message : String(err) });
  port.close();
}

async function receiveWithDgram(opts: UdpListenOptions): Promise<void> {
  const sockets = await bindUdp(data.listen, opts);
  for (const s of sockets) s.on('message', (msg, rinfo) => deliver(msg, rinfo.address, rinfo.port));
  port!.on('message', (m: ToReceiveWorker) => {
    if (m.type !== 'stop') return;
    // After close() no more datagrams arrive; everything received is already in the ring (or counted as dropped).
    void Promise.all(sockets.map((s) => new Promise<void>((done) => s.close(() => done())))).then(() => {
      post({ type: 'closed' });
      port!.close();
    });
  });
  post({
    type: 'ready',
    method: 'dgram',
    addresses: sockets.map((s) => {
      const a = s.address();
      return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    }),
  });
}

/** Errors do not survive structured cloning with their message in pino's shape: send their text. */
function plain(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? { message: v.message, code: (v as NodeJS.ErrnoException).code } : v;
  return out;
}
