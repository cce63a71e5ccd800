// The receive thread over real UDP, reading with recvmmsg and with dgram: every datagram visited or counted, a full
// queue counted, the queue drained on stop, a dead thread reported and restarted on the same port, a bind error named.
import { createSocket, type Socket } from 'node:dgram';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_RING_BYTES } from './datagram-ring.js';
import type { ReceiveMethod } from './receive-protocol.js';
import { ReceiveThread, type ReceiveThreadOptions } from './receive-thread.js';

const threads: ReceiveThread[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.stop()));
});

function harness(method: ReceiveMethod, over: Partial<ReceiveThreadOptions> = {}) {
  const seen: number[] = [];
  const logs: { level: string; msg: string }[] = [];
  const drops = { datagrams: 0, octets: 0, calls: 0 };
  const failures: Error[] = [];
  const log = {
    info: (_o: object, msg: string) => void logs.push({ level: 'info', msg }),
    warn: (_o: object, msg: string) => void logs.push({ level: 'warn', msg }),
    error: (_o: object, msg: string) => void logs.push({ level: 'error', msg }),
  };
  const thread = new ReceiveThread({
    listen: ['127.0.0.1:0'], receiveBuffer: 8 * 1024 * 1024, queueBytes: MIN_RING_BYTES, log, method,
    visit: (payload) => void seen.push(payload.readUInt32BE(0)),
    onDropped: (n, octets) => { drops.datagrams += n; drops.octets += octets; drops.calls++; },
    onFailure: (err) => void failures.push(err),
    restartDelayMs: 50,
    ...over,
  });
  threads.push(thread);
  return { thread, seen, logs, drops, failures };
}

async function send(port: number, from: number, count: number, length = 1000): Promise<void> {
  const s = createSocket('udp4');
  for (let i = from; i < from + count; i++) {
    const b = Buffer.alloc(length, 0xab);
    b.writeUInt32BE(i, 0);
    await new Promise<void>((r, j) => s.send(b, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    // Send callbacks do not return to the event loop: let this thread's decoder side run (in the daemon, the
    // decoding thread does not send).
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  s.close();
}

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(['recvmmsg', 'dgram'] as const)('ReceiveThread reading with %s', (method) => {
  it('hands every datagram to the visitor in order, and counts them', async () => {
    const h = harness(method);
    const [bound] = await h.thread.start();
    expect(h.thread.method).toBe(method);
    h.thread.deliver();
    await send(bound!.port, 0, 3000);
    await until(() => h.seen.length === 3000);
    await h.thread.stop();
    expect(h.seen).toEqual([...Array(3000).keys()]);
    expect(h.thread.totals).toMatchObject({ received: 3000, dropped: 0, droppedOctets: 0 });
  });

  it('waits for room when the queue is full (counted), the kernel buffer holding the rest, and loses nothing', async () => {
    const h = harness(method);
    const [bound] = await h.thread.start();
    // Nothing is visited before deliver(): 1 MiB of queue holds 1,023 entries of 1,024 bytes (1,000 of payload,
    // 12 of header, 9 of address, 3 of padding); the receive thread then waits, and the rest stay in the socket.
    await send(bound!.port, 0, 1500);
    await new Promise((r) => setTimeout(r, 300));
    h.thread.deliver();
    await until(() => h.seen.length === 1500);
    expect(h.seen).toEqual([...Array(1500).keys()]);
    expect(h.thread.totals).toMatchObject({ received: 1500, dropped: 0 });
    expect(h.thread.totals.waited).toBeGreaterThanOrEqual(1);
    expect(h.drops.calls).toBe(0);
  });

  it('on stop, stops waiting for room, visits everything queued and counts what did not fit as dropped', async () => {
    const h = harness(method);
    const [bound] = await h.thread.start();
    await send(bound!.port, 0, 1500);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await h.thread.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    const fit = Math.floor((MIN_RING_BYTES - 4) / 1024);
    expect(h.seen).toEqual([...Array(fit).keys()]);
    // The datagram that was waiting is dropped and counted; the socket may still hand over a few before it closes
    // (each counted the same way); what is left in it when it closes is gone, as without the thread.
    expect(h.drops.datagrams).toBeGreaterThanOrEqual(1);
    expect(h.thread.totals.received).toBe(fit + h.drops.datagrams);
    expect(h.drops.octets).toBe(h.drops.datagrams * 1000);
  });

  it('reports a receive thread that died, restarts it on the same port, and receives again', async () => {
    const h = harness(method);
    const [bound] = await h.thread.start();
    h.thread.deliver();
    await send(bound!.port, 0, 10);
    await until(() => h.seen.length === 10);
    await (h.thread as unknown as { worker: Worker }).worker.terminate();
    await until(() => h.failures.length === 1 && h.logs.some((l) => l.msg === 'netflow: receive thread restarted'));
    expect(h.failures[0]!.message).toMatch(/receive thread exited unexpectedly/);
    expect(h.logs.find((l) => l.level === 'error')!.msg).toMatch(/receive thread failed/);
    expect(h.thread.addresses()).toEqual([bound]);
    await send(bound!.port, 10, 10);
    await until(() => h.seen.length === 20);
    expect(h.seen).toEqual([...Array(20).keys()]);
  });

  it('rejects start with the address it could not bind', async () => {
    const taken: Socket = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const port = taken.address().port;
    try {
      const h = harness(method, { listen: [`127.0.0.1:${port}`] });
      await expect(h.thread.start()).rejects.toThrow(`netflow: cannot listen on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });
});

describe('ReceiveThread reading with recvmmsg', () => {
  it('keeps the sockets while a dead receive thread is replaced: what came meanwhile is not lost', async () => {
    const h = harness('recvmmsg', { restartDelayMs: 300 });
    const [bound] = await h.thread.start();
    h.thread.deliver();
    await (h.thread as unknown as { worker: Worker }).worker.terminate();
    await until(() => h.failures.length === 1);
    // Sent while no thread reads: they wait in the socket's buffer for the replacement.
    await send(bound!.port, 0, 200);
    await until(() => h.seen.length === 200);
    expect(h.seen).toEqual([...Array(200).keys()]);
    expect(h.logs.find((l) => l.level === 'error')!.msg).toMatch(/datagrams wait in the socket buffers until it is back/);
  });
});
