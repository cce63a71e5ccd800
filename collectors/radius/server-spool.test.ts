// The collector on the real on-disk spool (collectors/pipeline/spool.ts): session state survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { radiusSchema } from '../../config/schema.js';
import { Spool } from '../pipeline/spool.js';
import { sendAccounting } from './client.js';
import type { AttributeInput } from './encode.js';
import { RadiusCollector } from './server.js';

const SECRET = 'disk-secret';
const config = radiusSchema.parse({ listen: ['127.0.0.1:0'], clients: [{ name: 'nas1', address: '127.0.0.1', secret: SECRET }] });
const logger = pino({ level: 'silent' });
const pkt = (status: string, up: number, down: number): AttributeInput[] => [
  { name: 'Acct-Status-Type', value: status }, { name: 'User-Name', value: 'carol' }, { name: 'Acct-Session-Id', value: 'd1' },
  { name: 'Acct-Input-Octets', value: up }, { name: 'Acct-Output-Octets', value: down },
];

describe('RadiusCollector on the disk spool', () => {
  it('continues a session after a restart from spool.state("radius")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wispmeter-radius-'));
    try {
      const open = () => Spool.open(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, logger });
      const s1 = await open();
      const a = new RadiusCollector({ config, spool: s1, logger, registry: new Registry() });
      await a.start();
      const r1 = await sendAccounting([pkt('Interim-Update', 10, 100)], { host: '127.0.0.1', port: a.addresses()[0]!.port, secret: SECRET });
      expect(r1[0]?.status).toBe('ack');
      await a.stop();
      await s1.close();

      const s2 = await open();
      expect(s2.state('radius').size).toBe(1);
      const recorded: bigint[][] = [];
      const spy = { append: async (e: Parameters<Spool['append']>[0]) => { recorded.push(...e.records.map((r) => [r.bytesUp, r.bytesDown])); return s2.append(e); }, state: (scope: string) => s2.state(scope) };
      const b = new RadiusCollector({ config, spool: spy, logger, registry: new Registry() });
      await b.start();
      await sendAccounting([pkt('Stop', 15, 130)], { host: '127.0.0.1', port: b.addresses()[0]!.port, secret: SECRET });
      await b.stop();
      await s2.close();
      expect(recorded).toEqual([[5n, 30n]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
