// The shared datagram ring: order, wrap-around, a full ring counted (never overwritten, never blocking), exact counts.
import { describe, expect, it } from 'vitest';
import { DatagramRing, MIN_RING_BYTES } from './datagram-ring.js';

/** A datagram whose bytes say which one it is: its first 4 bytes are `seq`, the rest a pattern of it. */
function datagram(seq: number, length: number): Buffer {
  const b = Buffer.alloc(length, seq & 255);
  if (length >= 4) b.writeUInt32BE(seq, 0);
  return b;
}

function drainAll(ring: DatagramRing, max?: number): { payload: Buffer; address: string; port: number }[] {
  const got: { payload: Buffer; address: string; port: number }[] = [];
  // The payload is a view into the ring: copy it.
  ring.drain((payload, address, port) => got.push({ payload: Buffer.from(payload), address, port }), max);
  return got;
}

describe('DatagramRing', () => {
  it('hands datagrams back in order with their source, across many wraps of the area', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    let next = 0;
    let expected = 0;
    const wrong: number[] = [];
    // Sizes that do not divide the area, so entries end at every alignment and the WRAP marker is exercised.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 37; i++, next++) if (!ring.write(datagram(next, 1 + ((next * 7919) % 1500)), next % 2 ? '10.0.0.1' : '2001:db8::1', 1000 + (next % 50))) wrong.push(next);
      for (const g of drainAll(ring, 20 + (round % 30))) {
        const same = g.payload.equals(datagram(expected, 1 + ((expected * 7919) % 1500))) && g.address === (expected % 2 ? '10.0.0.1' : '2001:db8::1') && g.port === 1000 + (expected % 50);
        if (!same) wrong.push(expected);
        expected++;
      }
    }
    expect(wrong).toEqual([]);
    for (const g of drainAll(ring)) expect(g.payload.readUInt32BE(0)).toBe(expected++);
    expect(expected).toBe(next);
    expect(ring.empty()).toBe(true);
    expect(ring.takeCounts()).toEqual({ received: next, dropped: 0, droppedOctets: 0, waited: 0 });
  });

  it('counts what does not fit when full, overwrites nothing, and takes datagrams again once drained', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    let written = 0;
    let refused = 0;
    for (let i = 0; i < 1000; i++) (ring.write(datagram(i, 1400), '10.0.0.1', 2055) ? written++ : refused++);
    // 1400 bytes + 12 of header + 8 of address per entry: 742 fit in 1 MiB (one slot stays free).
    expect(written).toBe(Math.floor((MIN_RING_BYTES - 4) / 1420));
    expect(refused).toBe(1000 - written);
    expect(ring.takeCounts()).toEqual({ received: 1000, dropped: refused, droppedOctets: refused * 1400, waited: 0 });
    const got = drainAll(ring);
    expect(got.map((g) => g.payload.readUInt32BE(0))).toEqual([...Array(written).keys()]);
    expect(ring.write(datagram(5000, 1400), '10.0.0.1', 2055)).toBe(true);
    expect(drainAll(ring).map((g) => g.payload.readUInt32BE(0))).toEqual([5000]);
  });

  it('writeOrWait: a full ring of a stopping consumer drops and counts instead of waiting', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    while (ring.write(datagram(1, 1400), '10.0.0.1', 1));
    ring.takeCounts();
    ring.stopWaiting();
    expect(ring.writeOrWait(datagram(2, 1400), '10.0.0.1', 1)).toBe(false);
    expect(ring.takeCounts()).toEqual({ received: 1, dropped: 1, droppedOctets: 1400, waited: 1 });
  });

  it('keeps the entry until the visitor returns, also when it throws', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    ring.write(datagram(1, 100), '10.0.0.1', 1);
    ring.write(datagram(2, 100), '10.0.0.1', 1);
    expect(() => ring.drain(() => { throw new Error('visitor bug'); })).toThrow('visitor bug');
    // The throwing visit still consumed its entry: the next drain starts at the second datagram.
    expect(drainAll(ring).map((g) => g.payload.readUInt32BE(0))).toEqual([2]);
  });

  it('reads counts exactly across the 2^32 wrap of its counters', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    new Uint32Array(ring.shared, 0, 8)[3] = 0xffff_fffe; // RECEIVED, as after four billion datagrams
    ring.takeCounts();
    for (let i = 0; i < 5; i++) ring.write(datagram(i, 10), '10.0.0.1', 1);
    expect(ring.takeCounts().received).toBe(5);
  });

  it('asks for one wake-up per park, and none while the reader is busy', () => {
    const ring = DatagramRing.create(MIN_RING_BYTES);
    const producer = new DatagramRing(ring.shared);
    producer.write(datagram(1, 64), '10.0.0.1', 9);
    expect(producer.takeWakeRequest()).toBe(false);
    expect(ring.park()).toBe(false); // not empty: no sleep
    expect(drainAll(ring).length).toBe(1);
    expect(ring.park()).toBe(true);
    producer.write(datagram(2, 64), '10.0.0.1', 9);
    expect(producer.takeWakeRequest()).toBe(true);
    producer.write(datagram(3, 64), '10.0.0.1', 9);
    expect(producer.takeWakeRequest()).toBe(false);
    expect(drainAll(ring).map((g) => g.payload.readUInt32BE(0))).toEqual([2, 3]);
  });

  it('refuses a ring too small for one largest datagram', () => {
    expect(() => DatagramRing.create(64 * 1024)).toThrow(/less than the minimum/);
  });
});
