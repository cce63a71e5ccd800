// Runs the NetFlow sockets in a worker thread (receive-worker.ts) and hands their datagrams, through a shared ring,
// to a visitor on this thread: receiving (≈1.1 µs of CPU a datagram with recvmmsg, ≈4.5 µs with Node's dgram) and
// decoding use two cores.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../pipeline/module-worker.js';
import { DatagramRing, type DatagramVisitor, type RingCounts } from './datagram-ring.js';
import type { BoundAddress, FromReceiveWorker, ReceiveMethod, ReceiveWorkerData, ToReceiveWorker } from './receive-protocol.js';
import { closeSockets, loadLibc, openRecvmmsgSockets, type BoundSockets, type Libc } from './recvmmsg-sockets.js';

export interface ReceiveThreadLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReceiveThreadOptions {
  listen: string[];
  receiveBuffer: number;
  /** How the receive thread reads its sockets (netflow.receiveMethod); 'auto' by default. */
  method?: ReceiveMethod;
  /** Bytes of the shared ring between the threads. */
  queueBytes: number;
  log: ReceiveThreadLog;
  /** Called on this thread for every datagram, in arrival order per socket. */
  visit: DatagramVisitor;
  /** Datagrams the receive thread took but could not queue (ring full while stopping), reported as they are seen. */
  onDropped: (datagrams: number, octets: number) => void;
  /** Datagrams that found the ring full and waited for room (the kernel buffer meanwhile holds what comes). */
  onWaited?: (datagrams: number) => void;
  /** The receive thread died; it is restarted on the same ports after `restartDelayMs`. */
  onFailure: (err: Error) => void;
  restartDelayMs?: number;
}

/** Datagrams decoded per turn of the event loop before timers and I/O get theirs. */
const BATCH = 256;
const STOP_TIMEOUT_MS = 5000;
/** An empty ring is looked at again after this long… */
const POLL_MS = 1;
/** …this many times (~50–100 ms) before the pump sleeps until the receive thread wakes it. */
const IDLE_POLLS = 50;

export class ReceiveThread {
  private ring: DatagramRing | undefined;
  private worker: Worker | undefined;
  private bound: BoundAddress[] = [];
  /** How the receive thread reads: recvmmsg, or dgram where recvmmsg cannot be used. */
  method: 'recvmmsg' | 'dgram' | undefined;
  /** recvmmsg: the sockets, bound and owned by this thread, read by the receive thread (and its replacements). */
  private sockets: { libc: Libc; bound: BoundSockets } | undefined;
  private pumping: Promise<void> | undefined;
  /** stop() was called: no restart, and the receive thread no longer waits for room. */
  private stopping = false;
  /** The receive thread is gone: the pump ends. */
  private stopped = false;
  private closed: (() => void) | undefined;
  /** Resolves the pump's sleep; called on the worker's 'readable' message and on stop. */
  private wakeup: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopRun: Promise<void> | undefined;
  /** Every count the ring reported, for tests and the bench: received = visited + dropped once drained. */
  readonly totals: RingCounts = { received: 0, dropped: 0, droppedOctets: 0, waited: 0 };

  constructor(private readonly opts: ReceiveThreadOptions) {}

  /**
   * Binds every listen address in the worker; rejects with the bind error (nothing is left running). Datagrams
   * wait in the ring until deliver() starts handing them to the visitor.
   */
  async start(): Promise<BoundAddress[]> {
    if (this.ring) throw new Error('netflow receive thread: already started');
    this.ring = DatagramRing.create(this.opts.queueBytes);
    const method = this.opts.method ?? 'auto';
    const libc = method === 'dgram' ? undefined : await loadLibc();
    if (typeof libc === 'string') {
      if (method === 'recvmmsg') throw new Error(`netflow: receiveMethod recvmmsg cannot be used: ${libc}`);
      this.opts.log.info({ reason: libc }, 'netflow: the receive thread reads with dgram');
    } else if (libc) {
      const bound = await openRecvmmsgSockets(libc, this.opts.listen, { component: 'netflow', receiveBuffer: this.opts.receiveBuffer, warnWhenCapped: true, log: this.opts.log });
      this.sockets = { libc, bound };
    }
    try {
      this.bound = await this.spawn(this.opts.listen);
    } catch (err) {
      this.closeSockets();
      throw err;
    }
    return this.bound;
  }

  /** Starts visiting datagrams (call once the visitor's state exists). */
  deliver(): void {
    if (!this.ring || this.pumping || this.stopping) return;
    this.pumping = this.pump(this.ring);
  }

  addresses(): BoundAddress[] {
    return this.bound;
  }

  /** Closes the sockets, then hands every datagram still in the ring to the visitor. Runs once. */
  stop(): Promise<void> {
    this.stopRun ??= this.shutdown();
    return this.stopRun;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    // The pump goes on draining until the sockets are closed; a receive thread waiting for room stops waiting.
    this.ring?.stopWaiting();
    const worker = this.worker;
    if (worker) {
      const closed = new Promise<void>((done) => {
        this.closed = done;
        worker.once('exit', () => done());
      });
      worker.postMessage({ type: 'stop' } satisfies ToReceiveWorker);
      const timeout = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), STOP_TIMEOUT_MS).unref());
      if ((await Promise.race([closed, timeout])) === 'timeout') this.opts.log.error({}, 'netflow: receive thread did not close its sockets in time; terminated');
      await worker.terminate();
    }
    this.closeSockets();
    this.stopped = true;
    this.wake();
    await this.pumping;
    this.drainAll();
  }

  private closeSockets(): void {
    if (this.sockets) closeSockets(this.sockets.libc, this.sockets.bound.fds);
    this.sockets = undefined;
  }

  private spawn(listen: string[]): Promise<BoundAddress[]> {
    const ring = this.ring!;
    const data: ReceiveWorkerData = { shared: ring.shared, listen, receiveBuffer: this.opts.receiveBuffer, warnWhenCapped: true, ...(this.sockets ? { sockets: this.sockets.bound } : {}) };
    const worker = startWorker(data);
    this.worker = worker;
    return new Promise<BoundAddress[]>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromReceiveWorker) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            this.method = m.method;
            resolve(m.addresses);
            return;
          case 'bind-error':
            reject(new Error(m.message));
            return;
          case 'log':
            this.opts.log[m.level](m.obj, m.msg);
            return;
          case 'readable':
            this.wake();
            return;
          case 'closed':
            this.closed?.();
            return;
          default: {
            const never: never = m;
            throw new Error(`netflow receive thread: unknown message ${JSON.stringify(never)}`);
          }
        }
      });
      worker.on('error', (err) => {
        if (!ready) return reject(new Error(`netflow: receive thread failed to start: ${err.message}`, { cause: err }));
        this.failed(worker, err);
      });
      worker.on('exit', (code) => {
        if (!ready) return reject(new Error(`netflow: receive thread exited (code ${code}) before it listened`));
        if (!this.stopping) this.failed(worker, new Error(`netflow: receive thread exited unexpectedly (code ${code})`));
      });
    });
  }

  /** A dead receive thread is an error, logged and counted, never a silent stop: restart it on the same ports. */
  private failed(worker: Worker, err: Error): void {
    if (this.worker !== worker || this.stopping) return;
    this.worker = undefined;
    void worker.terminate();
    const meanwhile = this.sockets ? 'datagrams wait in the socket buffers until it is back' : 'datagrams sent until it is back are lost';
    this.opts.log.error({ err }, `netflow: receive thread failed; ${meanwhile} (restarting)`);
    this.opts.onFailure(err);
    const restart = (): void => {
      if (this.stopping) return;
      // recvmmsg: the same sockets (what came meanwhile waits in them). dgram: the same ports, also for a listen
      // address that asked for port 0.
      const listen = this.bound.map((b) => (b.family === 'IPv6' ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`));
      this.spawn(listen).then(
        (addresses) => {
          // stop() came while this one was starting: it was sent 'stop' (queued until the worker listens); make sure.
          if (this.stopping) return void this.worker?.terminate();
          this.bound = addresses;
          this.opts.log.info({ addresses }, 'netflow: receive thread restarted');
        },
        (e: unknown) => {
          this.opts.log.error({ err: e }, 'netflow: receive thread restart failed; retrying');
          this.restartTimer = setTimeout(restart, this.opts.restartDelayMs ?? 1000);
          this.restartTimer.unref();
        },
      );
    };
    this.restartTimer = setTimeout(restart, this.opts.restartDelayMs ?? 1000);
    this.restartTimer.unref();
  }

  /**
   * Visits datagrams in batches, yielding to the event loop between batches (or timers, the flush and the metrics
   * server would starve). An empty ring is polled every POLL_MS for IDLE_POLLS polls before the pump parks and
   * asks to be woken: a wake-up costs a message on both threads, and parking whenever the decoder caught up
   * (every few datagrams at moderate rates) cost more than the decoding. Polling lets datagrams gather in batches.
   */
  private async pump(ring: DatagramRing): Promise<void> {
    let idle = 0;
    while (!this.stopped) {
      const n = ring.drain(this.opts.visit, BATCH);
      this.takeCounts();
      if (n > 0) {
        idle = 0;
        await yieldToLoop();
      } else if (idle++ < IDLE_POLLS) {
        await sleep(POLL_MS);
      } else {
        if (ring.park()) await new Promise<void>((resolve) => (this.wakeup = resolve));
        idle = 0;
      }
    }
  }

  private wake(): void {
    const w = this.wakeup;
    this.wakeup = undefined;
    w?.();
  }

  private drainAll(): void {
    this.ring?.drain(this.opts.visit);
    this.takeCounts();
  }

  private takeCounts(): void {
    const d = this.ring!.takeCounts();
    this.totals.received += d.received;
    if (d.waited) {
      this.totals.waited += d.waited;
      this.opts.onWaited?.(d.waited);
    }
    if (d.dropped) {
      this.totals.dropped += d.dropped;
      this.totals.droppedOctets += d.droppedOctets;
      this.opts.onDropped(d.dropped, d.droppedOctets);
    }
  }
}

function startWorker(data: ReceiveWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'receive-worker', { workerData: data });
}
