// Template isolation: a flood of observation domains from one source never evicts or refuses another exporter's templates.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import { ALICE, FAR, ipfixMessage, set } from './testdata/ipfix-builder.js';
import { usageByHour } from './testdata/usage-by-hour.js';

/** Template 256: src, dst, octetDeltaCount(4); no time fields (the export time, 2020-09-13T12:26:40Z). */
const TPL = set(2, '0100 0003', '0008 0004 000c 0004 0001 0004');

describe('template cache isolation', () => {
  it('a flood of 5000 domains from one source beside a real exporter: the real one keeps every byte', () => {
    const d = new FlowDecoder({ maxTemplates: 1000, maxTemplatesPerExporter: 500 });
    d.decode(ipfixMessage({ domain: 1 }, TPL), '10.0.0.1', 0);
    for (let dom = 0; dom < 5000; dom++) d.decode(ipfixMessage({ domain: dom }, TPL), '192.0.2.66', 0);
    // A flooding source evicts its own least recently used domains, never the real exporter's.
    expect(d.cache.exporterSize('192.0.2.66')).toBe(500);
    expect(d.cache.evictions.get('192.0.2.66')).toBe(4500);
    expect(d.cache.evictions.get('10.0.0.1')).toBeUndefined();
    const data = ipfixMessage({ domain: 1 }, set(256, `${FAR} ${ALICE} 000003e8`));
    const r = usageByHour([data], { decoder: d });
    expect(r).toMatchObject({ usage: { 'alice@2020-09-13T12': { down: 1000, up: 0 } }, errors: [] });
    // And it survives a restart: the persisted snapshot restores under the same bounds.
    const after = new FlowDecoder({ maxTemplates: 1000, maxTemplatesPerExporter: 500 });
    after.restore(JSON.parse(JSON.stringify(d.snapshot())));
    expect(usageByHour([data], { decoder: after }).usage).toEqual({ 'alice@2020-09-13T12': { down: 1000, up: 0 } });
  });

  it('one exporter\'s own flood evicts its least recently used domains, not the one in use', () => {
    const d = new FlowDecoder({ maxTemplates: 1000, maxTemplatesPerExporter: 10 });
    d.decode(ipfixMessage({ domain: 1 }, TPL), '10.0.0.1', 0);
    for (let dom = 100; dom < 200; dom++) {
      d.decode(ipfixMessage({ domain: dom }, TPL), '10.0.0.1', 0);
      // Domain 1 keeps sending data, so it stays the most recently used.
      expect(d.decode(ipfixMessage({ domain: 1 }, set(256, `${FAR} ${ALICE} 00000001`)), '10.0.0.1', 0).flows).toHaveLength(1);
    }
    expect(d.cache.exporterSize('10.0.0.1')).toBe(10);
  });
});
