// Relative flow times (IPFIX IE 22/21, v9 FIRST/LAST_SWITCHED) and clamped times: bytes to the byte, in the right hour.
// Not compared with nfcapd or nfacctd: where a flow's octets land in time is what is under test, and neither
// documents an estimate for relative times without systemInitTimeMilliseconds (nor our clamps), so the expectations
// are worked out from the RFC layouts in the comments.
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from './flow-decoder.js';
import { ALICE, BOB, FAR, ipfixMessage, set, u32hex, u64hex, v9Message } from './testdata/ipfix-builder.js';
import { usageByHour } from './testdata/usage-by-hour.js';

/** Export time of every message: 1600000000 s = 2020-09-13T12:26:40Z. */
const T = 1_600_000_000_000;
/** The exporter booted 10,000 s (2 h 46 min) before T. */
const INIT = T - 10_000_000;
/** Template 256: src, dst, octetDeltaCount(4), flowStartSysUpTime(4), flowEndSysUpTime(4). */
const TPL_256 = set(2, '0100 0005', '0008 0004 000c 0004 0001 0004 0016 0004 0015 0004');
/** Template 257: template 256 plus systemInitTimeMilliseconds (160, 8 octets) in every record. */
const TPL_257 = set(2, '0101 0006', '0008 0004 000c 0004 0001 0004 0016 0004 0015 0004 00a0 0008');
/**
 * Two records: alice gets 1000 octets in a flow ending at uptime 10,000,000 = T (12:26:40, hour 12); bob sends 500
 * in one ending 1,620,000 ms (27 min) earlier, at 11:59:40 (hour 11). Bob's comes first in the set.
 */
const RECORDS = [
  `${BOB} ${FAR} 000001f4 ${u32hex(8_000_000)} ${u32hex(8_380_000)}`,
  `${FAR} ${ALICE} 000003e8 ${u32hex(9_000_000)} ${u32hex(10_000_000)}`,
];
const WANT = { 'alice@2020-09-13T12': { down: 1000, up: 0 }, 'bob@2020-09-13T11': { down: 0, up: 500 } };

describe('IPFIX flowStart/EndSysUpTime (IE 22/21)', () => {
  it('with systemInitTimeMilliseconds (IE 160) in the record', () => {
    const data = set(257, ...RECORDS.map((r) => `${r} ${u64hex(INIT)}`));
    const r = usageByHour([ipfixMessage({}, TPL_257, data)]);
    expect(r).toMatchObject({ usage: WANT, errors: [], fallbacks: [] });
  });

  it('with systemInitTimeMilliseconds from an options record of the same domain', () => {
    // Options template 258: scope observationDomainId (149), then systemInitTimeMilliseconds.
    const options = Buffer.concat([set(3, '0102 0002 0001', '0095 0004 00a0 0008'), set(258, `00000001 ${u64hex(INIT)}`)]);
    const r = usageByHour([ipfixMessage({}, options), ipfixMessage({}, TPL_256, set(256, ...RECORDS))]);
    expect(r).toMatchObject({ usage: WANT, errors: [], fallbacks: [] });
  });

  it('without any systemInitTimeMilliseconds: init estimated from the newest flow end of the set (≈ export time), counted', () => {
    const d = new FlowDecoder();
    const r = usageByHour([ipfixMessage({}, TPL_256, set(256, ...RECORDS))], { decoder: d });
    expect(r).toMatchObject({ usage: WANT, errors: [] });
    expect(r.fallbacks).toEqual(['uptime_estimated', 'uptime_estimated']);
    // A minute later the estimate holds (a flow that ended 10 s before export does not move it) ...
    const later = ipfixMessage({ exportS: 1_600_000_060 }, set(256, `${FAR} ${ALICE} 00000064 ${u32hex(10_040_000)} ${u32hex(10_050_000)}`));
    expect(d.decode(later, '10.0.0.1', 0).flows).toMatchObject([{ start: INIT + 10_040_000, end: INIT + 10_050_000 }]);
    // ... and an exporter that rebooted (uptime small again) gets a new one instead of flows 2 h 46 min in the past.
    const rebooted = ipfixMessage({ exportS: 1_600_000_120 }, set(256, `${FAR} ${ALICE} 00000064 ${u32hex(1_000)} ${u32hex(5_000)}`));
    expect(d.decode(rebooted, '10.0.0.1', 0).flows).toMatchObject([{ start: T + 120_000 - 4_000, end: T + 120_000 }]);
  });

  it('a flow starting over an hour before the init time is clamped to it (softflowd -r replays stay within the hour)', () => {
    // Start uptime 2^32 − 4,000,000: read in the wrap nearest the export time, 4,000 s before init.
    const data = set(257, `${FAR} ${ALICE} 000003e8 ${u32hex(-4_000_000)} ${u32hex(10_000_000)} ${u64hex(INIT)}`);
    const out = new FlowDecoder().decode(ipfixMessage({}, TPL_257, data), '10.0.0.1', 0);
    expect(out).toMatchObject({ errors: [], fallbacks: ['before_boot_clamped'], flows: [{ start: INIT, end: T, bytes: 1000 }] });
  });
});

describe('v9 FIRST/LAST_SWITCHED across the 2^32 ms sysUptime wrap (49.7 days)', () => {
  it('takes the signed difference: a flow first seen before the wrap lands 27 min earlier, not 49.7 days later', () => {
    // Template 256: src, dst, IN_BYTES, FIRST_SWITCHED, LAST_SWITCHED. Header uptime 5,000 ms (wrapped 5 s ago).
    const tpl = set(0, '0100 0005', '0008 0004 000c 0004 0001 0004 0016 0004 0015 0004');
    // Alice: FIRST 2^32 − 1,615,000 (1,620,000 ms before the header), LAST 4,000 → T − 1 s (hour 12).
    // Bob: FIRST and LAST 2^32 − 1,615,000 → 11:59:40 (hour 11).
    const data = set(256, `${FAR} ${ALICE} 00000bb8 ${u32hex(-1_615_000)} ${u32hex(4_000)}`, `${BOB} ${FAR} 000001f4 ${u32hex(-1_615_000)} ${u32hex(-1_615_000)}`);
    const r = usageByHour([v9Message({ uptimeMs: 5_000 }, tpl, data)]);
    expect(r).toMatchObject({ usage: { 'alice@2020-09-13T12': { down: 3000, up: 0 }, 'bob@2020-09-13T11': { down: 0, up: 500 } }, errors: [], fallbacks: [] });
  });
});

describe('impossible absolute times are clamped, never refused', () => {
  // Template 259: src, dst, octetDeltaCount(4), flowStartSeconds, flowEndSeconds.
  const tpl = set(2, '0103 0005', '0008 0004 000c 0004 0001 0004 0096 0004 0097 0004');
  const s = (ms: number): string => u32hex(ms / 1000);
  it.each([
    ['ending an hour after its export time', s(T - 60_000), s(T + 3_600_000), ['future_clamped']],
    ['ending 40 days before its export time', s(T - 40 * 86_400_000 - 1000), s(T - 40 * 86_400_000), ['too_old_clamped']],
    ['ending before it starts', s(T - 1000), s(T - 2000), ['end_before_start']],
    ['starting 40 days before its export time', s(T - 40 * 86_400_000), s(T), ['too_old_clamped']],
  ])('a flow %s: its octets in the export time\'s hour', (_name, start, end, fallbacks) => {
    const r = usageByHour([ipfixMessage({}, tpl, set(259, `${FAR} ${ALICE} 000003e8 ${start} ${end}`))]);
    expect(r).toMatchObject({ usage: { 'alice@2020-09-13T12': { down: 1000, up: 0 } }, errors: [], fallbacks });
  });
});
