// A single-producer, single-consumer ring of datagrams in shared memory: the receive thread writes, the decoder reads.
//
// Layout: a control block of int32 slots, then the data area. Each entry is 4-byte aligned:
//   int32 payload length (or WRAP: the rest of the area is unused, go on at 0), int32 source port,
//   int32 source address length, the address text (latin1), the payload, padding to 4.
// head is where the producer writes next, tail where the consumer reads next; head === tail is empty, so the
// producer never lets head reach tail from behind (a full ring keeps at least 4 bytes free).
// A datagram that does not fit either waits for room (writeOrWait: the receive thread stops reading, so the kernel's
// socket buffer fills behind the ring and its drops are the kernel's, counted in /proc/net/udp) or, with write() and
// once the consumer is stopping, is not written and is counted in DROPPED. Nothing is lost uncounted.

const HEAD = 0;
const TAIL = 1;
/** 1 while the consumer is parked, waiting to be woken (the producer then asks for a wake-up, once). */
const WAITING = 2;
/** Datagrams the producer took off the socket, written or not. */
const RECEIVED = 3;
/** Datagrams that did not fit, and their octets. */
const DROPPED = 4;
const DROPPED_OCTETS = 5;
/** Datagrams that found the ring full and waited for room. */
const WAITED = 6;
/** 1 once the consumer is stopping: the producer no longer waits for room (it would wait for nobody). */
const STOPPING = 7;
const CONTROL_SLOTS = 8;
/** The producer looks for room again after this long (the consumer does not notify per datagram it frees). */
const ROOM_WAIT_MS = 1;
const CONTROL_BYTES = CONTROL_SLOTS * 4;
const ENTRY_HEADER = 12;
const WRAP = -1;
/** Smallest data area: a 64 KiB datagram with its header must always fit in an empty ring. */
export const MIN_RING_BYTES = 1024 * 1024;

/** Counts since the previous takeCounts(). */
export interface RingCounts {
  received: number;
  dropped: number;
  droppedOctets: number;
  waited: number;
}

/** Visits one datagram; `payload` is a view into the ring, valid only during the call (copy what you keep). */
export type DatagramVisitor = (payload: Buffer, address: string, port: number) => void;

export class DatagramRing {
  /** Bytes in the data area. */
  readonly capacity: number;
  private readonly control: Int32Array;
  /** The counter slots as unsigned: they wrap at 2^32 and are read as differences (takeCounts). */
  private readonly counts: Uint32Array;
  private readonly taken = { received: 0, dropped: 0, droppedOctets: 0, waited: 0 };
  private readonly words: Int32Array;
  private readonly bytes: Buffer;

  /** A new ring of `dataBytes` (rounded down to 4), or the view of one another thread created (`from`). */
  static create(dataBytes: number): DatagramRing {
    if (!Number.isInteger(dataBytes) || dataBytes < MIN_RING_BYTES) throw new RangeError(`datagram ring: ${dataBytes} bytes is less than the minimum ${MIN_RING_BYTES}`);
    return new DatagramRing(new SharedArrayBuffer(CONTROL_BYTES + (dataBytes & ~3)));
  }

  constructor(readonly shared: SharedArrayBuffer) {
    this.capacity = shared.byteLength - CONTROL_BYTES;
    this.control = new Int32Array(shared, 0, CONTROL_SLOTS);
    this.counts = new Uint32Array(shared, 0, CONTROL_SLOTS);
    this.words = new Int32Array(shared, CONTROL_BYTES, this.capacity >> 2);
    this.bytes = Buffer.from(shared, CONTROL_BYTES, this.capacity);
  }

  // ---- producer (receive thread) ----

  /** Copies one datagram in; false (and counted as dropped) when it does not fit. Never blocks. */
  write(payload: Uint8Array, address: string, port: number): boolean {
    Atomics.add(this.counts, RECEIVED, 1);
    return this.place(payload, address, port) || this.dropped(payload.length);
  }

  /**
   * Copies one datagram in, waiting (in the receive thread: Atomics.wait blocks it) while the ring is full, so that
   * datagrams queue in the kernel's socket buffer behind the ring instead of being read only to be dropped. Once
   * the consumer is stopping (stopWaiting) a datagram that does not fit is dropped and counted, never waited for.
   */
  writeOrWait(payload: Uint8Array, address: string, port: number): boolean {
    Atomics.add(this.counts, RECEIVED, 1);
    if (this.place(payload, address, port)) return true;
    Atomics.add(this.counts, WAITED, 1);
    const c = this.control;
    for (;;) {
      if (Atomics.load(c, STOPPING) === 1) return this.dropped(payload.length);
      Atomics.wait(c, TAIL, Atomics.load(c, TAIL), ROOM_WAIT_MS);
      if (this.place(payload, address, port)) return true;
    }
  }

  /** Producer side: true once the consumer is stopping (stopWaiting), and the producer should close its sockets. */
  stopping(): boolean {
    return Atomics.load(this.control, STOPPING) === 1;
  }

  /** Writes the entry if it fits now; counts nothing. */
  private place(payload: Uint8Array, address: string, port: number): boolean {
    const c = this.control;
    const addressLength = address.length;
    const size = (ENTRY_HEADER + addressLength + payload.length + 3) & ~3;
    const cap = this.capacity;
    const h = Atomics.load(c, HEAD);
    const t = Atomics.load(c, TAIL);
    let at: number;
    if (h >= t) {
      if (h + size < cap || (h + size === cap && t > 0)) at = h;
      else if (size < t) {
        this.words[h >> 2] = WRAP;
        at = 0;
      } else return false;
    } else if (h + size < t) at = h;
    else return false;
    const w = at >> 2;
    this.words[w] = payload.length;
    this.words[w + 1] = port;
    this.words[w + 2] = addressLength;
    this.bytes.write(address, at + ENTRY_HEADER, addressLength, 'latin1');
    this.bytes.set(payload, at + ENTRY_HEADER + addressLength);
    const next = at + size;
    Atomics.store(c, HEAD, next === cap ? 0 : next);
    return true;
  }

  /** Consumer side, when stopping: the producer stops waiting for room (it drops and counts instead). */
  stopWaiting(): void {
    Atomics.store(this.control, STOPPING, 1);
  }

  /**
   * After a write: true once when the consumer parked (park() returned true) and must be woken now. The wake-up
   * itself is the caller's (a message to the consumer's thread): Atomics.waitAsync does not reliably wake an idle
   * Node 20 event loop (nodejs/node#44409).
   */
  takeWakeRequest(): boolean {
    return Atomics.load(this.control, WAITING) === 1 && Atomics.compareExchange(this.control, WAITING, 1, 0) === 1;
  }

  private dropped(octets: number): false {
    Atomics.add(this.counts, DROPPED, 1);
    Atomics.add(this.counts, DROPPED_OCTETS, octets);
    return false;
  }

  // ---- consumer (decoder) ----

  /** Visits up to `max` datagrams in arrival order and frees their space; returns how many. */
  drain(visit: DatagramVisitor, max = Number.POSITIVE_INFINITY): number {
    const c = this.control;
    const cap = this.capacity;
    let t = Atomics.load(c, TAIL);
    let h = Atomics.load(c, HEAD);
    let n = 0;
    while (n < max) {
      if (t === h) {
        h = Atomics.load(c, HEAD);
        if (t === h) break;
      }
      const w = t >> 2;
      const length = this.words[w]!;
      if (length === WRAP) {
        t = 0;
        continue;
      }
      const port = this.words[w + 1]!;
      const addressLength = this.words[w + 2]!;
      const start = t + ENTRY_HEADER;
      const address = this.bytes.toString('latin1', start, start + addressLength);
      const payload = this.bytes.subarray(start + addressLength, start + addressLength + length);
      // Free the entry only after the visit: the payload is a view into it.
      try {
        visit(payload, address, port);
      } finally {
        t = (t + ((ENTRY_HEADER + addressLength + length + 3) & ~3)) % cap;
        Atomics.store(c, TAIL, t);
        n++;
      }
    }
    return n;
  }

  /** True when nothing is waiting to be read. */
  empty(): boolean {
    return Atomics.load(this.control, HEAD) === Atomics.load(this.control, TAIL);
  }

  /**
   * Before the consumer sleeps: true if the ring is empty, and then the next write asks for a wake-up
   * (takeWakeRequest). WAITING is set before HEAD is read, so a datagram published in between is either seen here
   * or asks for the wake-up. A wake-up may come when the ring was found non-empty here: it is harmless.
   */
  park(): boolean {
    const c = this.control;
    Atomics.store(c, WAITING, 1);
    if (Atomics.load(c, HEAD) !== Atomics.load(c, TAIL)) {
      Atomics.store(c, WAITING, 0);
      return false;
    }
    return true;
  }

  /** Datagrams received, dropped and made to wait since the previous call (consumer side; exact across the 2^32 wrap). */
  takeCounts(): RingCounts {
    const c = this.counts;
    const now = { received: Atomics.load(c, RECEIVED), dropped: Atomics.load(c, DROPPED), droppedOctets: Atomics.load(c, DROPPED_OCTETS), waited: Atomics.load(c, WAITED) };
    const d = {
      received: (now.received - this.taken.received) >>> 0,
      dropped: (now.dropped - this.taken.dropped) >>> 0,
      droppedOctets: (now.droppedOctets - this.taken.droppedOctets) >>> 0,
      waited: (now.waited - this.taken.waited) >>> 0,
    };
    Object.assign(this.taken, now);
    return d;
  }
}
