// The read-only state reader agrees with what Spool.open rebuilds, while the spool is open and appending.
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from './spool.js';
import { readSpoolState } from './spool-state-reader.js';

const logger = pino({ level: 'silent' });
const change = (key: string, value: unknown) => ({ records: [], state: [{ scope: 'radius', key, value }] });

describe('readSpoolState', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wispmeter-spool-state-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('is undefined where there is no spool', async () => {
    expect(await readSpoolState(join(dir, 'none'))).toBeUndefined();
  });

  it('rebuilds checkpoint + later changes beside an open spool, across deleted segments and a half-written tail', async () => {
    // Small segments so that commits delete some (after a checkpoint) while the state lives on.
    const spool = await Spool.open(dir, { maxBytes: 1 << 20, segmentBytes: 200, logger });
    try {
      spool.consumer('sink');
      for (let i = 0; i < 30; i++) await spool.append(change(`k${i % 7}`, { n: i, big: 2n ** 64n + BigInt(i) }));
      await spool.append(change('k3', null));
      const entries = await spool.read(spool.startOffset, 1000, 1 << 20);
      await spool.commit('sink', entries.at(-3)!.next);
      expect((await readdir(join(dir, 'segments'))).length).toBeGreaterThan(1);
      await spool.append(change('k9', { n: 99 }));

      const want = new Map<string, unknown>([['k0', { n: 28, big: 2n ** 64n + 28n }], ['k1', { n: 29, big: 2n ** 64n + 29n }], ['k2', { n: 23, big: 2n ** 64n + 23n }], ['k4', { n: 25, big: 2n ** 64n + 25n }], ['k5', { n: 26, big: 2n ** 64n + 26n }], ['k6', { n: 27, big: 2n ** 64n + 27n }], ['k9', { n: 99 }]]);
      const got = await readSpoolState(dir);
      expect(Object.fromEntries(got!.state.get('radius')!)).toEqual(Object.fromEntries(want));
      expect(got!.skippedRanges).toBe(0);

      // A frame the daemon is still writing: its header is there, its payload not yet.
      const segments = (await readdir(join(dir, 'segments'))).sort();
      await appendFile(join(dir, 'segments', segments.at(-1)!), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 0x7b]));
      const torn = await readSpoolState(dir);
      expect(Object.fromEntries(torn!.state.get('radius')!)).toEqual(Object.fromEntries(want));
    } finally {
      await spool.close().catch(() => undefined);
    }
  });
});
