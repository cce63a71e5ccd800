// MikroTik simple queues (MIKROTIK-MIB mtxrQueueSimpleTable, 1.3.6.1.4.1.14988.1.1.2.1): per-queue Counter64 bytes.
//
// Direction: a simple queue is seen from its target (the subscriber). mtxrQueueSimpleBytesIn is what entered the
// queue from the target — the subscriber's upload, the first of RouterOS's "upload/download" pairs — so
// BytesIn → bytesUp and BytesOut → bytesDown. (The opposite of an interface facing the subscriber, where "in" is
// also upload but "out" is what the router sent; here both names are from the queue's point of view.)
import type { Profile, ProfileReading } from './profile.js';
import { bump, counter, indices, text } from './profile.js';

const ENTRY = '1.3.6.1.4.1.14988.1.1.2.1.1';
export const MIKROTIK_QUEUE = {
  name: `${ENTRY}.2`,
  srcAddr: `${ENTRY}.3`,
  srcMask: `${ENTRY}.4`,
  bytesIn: `${ENTRY}.8`,
  bytesOut: `${ENTRY}.9`,
} as const;

const COLUMNS = [MIKROTIK_QUEUE.name, MIKROTIK_QUEUE.srcAddr, MIKROTIK_QUEUE.srcMask, MIKROTIK_QUEUE.bytesIn, MIKROTIK_QUEUE.bytesOut] as const;

export const mikrotikQueueProfile: Profile = {
  id: 'mikrotik-queue',
  columns: COLUMNS,
  read(columns, rules): ProfileReading {
    const [name, addr, mask, bytesIn, bytesOut] = columns;
    const rule = rules['mikrotik-queue'];
    const out: ProfileReading = { rows: [], skipped: {} };
    for (const idx of indices(columns)) {
      const up = counter(bytesIn?.get(idx));
      const down = counter(bytesOut?.get(idx));
      if (!up || !down) {
        bump(out.skipped, 'queue_no_counters');
        continue;
      }
      const queueName = text(name?.get(idx));
      const target = targetAddress(text(addr?.get(idx)), text(mask?.get(idx)));
      out.rows.push({
        key: `queue:${idx}`,
        label: queueName || `queue ${idx}`,
        subscriberKey: (rule.from === 'name' ? queueName : target) || undefined,
        down,
        up,
        health: {},
      });
    }
    return out;
  },
};

/** "10.0.5.2" for a /32 target, "10.0.5.0/29" for a prefix; undefined for 0.0.0.0 (a queue without target). */
export function targetAddress(addr: string | undefined, mask: string | undefined): string | undefined {
  if (!addr || addr === '0.0.0.0') return undefined;
  const len = mask ? maskLength(mask) : 32;
  return len === 32 || len === undefined ? addr : `${addr}/${len}`;
}

function maskLength(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = parts.reduce((n, p) => n * 256 + p, 0);
  let len = 0;
  while (len < 32 && bits & (2 ** (31 - len))) len++;
  return len;
}
