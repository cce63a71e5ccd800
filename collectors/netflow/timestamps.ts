// Exporter time forms → absolute UTC milliseconds; each function documents the quirk it handles.
import { NTP_UNIX_OFFSET_S } from './information-elements.js';
import type { RecordFallback } from './record-fallback.js';

const TWO_32 = 4_294_967_296;

/**
 * v5/v9 sysUptime-relative times (FIRST/LAST_SWITCHED): the flow time is the header's wall clock minus how
 * long before the header's uptime the flow happened. The difference is taken as a signed 32-bit number: uptime
 * wraps after 49.7 days on real routers, and softflowd -r stamps flows of a capture older than its own start
 * with "negative" uptimes, which an unsigned difference would put 2^32 ms (49.7 days) off.
 */
export function fromSysUptime(flowUptime: number, headerUptime: number, headerMs: number): number {
  return headerMs + ((flowUptime - headerUptime) | 0);
}

/**
 * IPFIX flowStart/EndSysUpTime count from systemInitTimeMilliseconds in 32 bits, so init + value is right only
 * modulo 2^32: pick the wrap that lands nearest the export time (same reasoning as fromSysUptime).
 */
export function fromSystemInit(flowUptime: number, initMs: number, exportMs: number): number {
  const base = initMs + flowUptime;
  return base + Math.round((exportMs - base) / TWO_32) * TWO_32;
}

/** dateTimeMicroseconds/Nanoseconds (RFC 7011 §6.1.9/10): NTP seconds since 1900, then a 2^-32 s fraction. */
export function fromNtp(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + Math.floor((fraction * 1000) / TWO_32);
}

/** Slack for end times past the export time: v9/IPFIX export times are whole seconds, flow times are not. */
const MAX_FUTURE_MS = 60_000;
/** Oldest plausible flow time: softflowd's default maxlife is 7 days, routers' active timeouts are minutes. */
const MAX_AGE_MS = 30 * 86_400_000;

/**
 * Repairs impossible flow times in place instead of refusing the record (its octets are money), pushing each repair:
 * a flow cannot end after the datagram that reports it was sent (+1 min), nor be older than any exporter keeps one
 * (30 days); unreadable times become the export time, an end before the start moves the start to the end.
 */
export function clampFlowTimes(t: { start: number; end: number }, exportMs: number, fallbacks: RecordFallback[]): void {
  if (!Number.isFinite(t.start) || !Number.isFinite(t.end)) {
    fallbacks.push('time_unreadable');
    t.start = t.end = exportMs;
  }
  if (t.end > exportMs + MAX_FUTURE_MS) {
    fallbacks.push('future_clamped');
    t.end = exportMs;
  } else if (t.end < exportMs - MAX_AGE_MS) {
    // The whole flow is implausible: it moves to the export time.
    fallbacks.push('too_old_clamped');
    t.start = t.end = exportMs;
    return;
  }
  if (t.end < t.start) {
    fallbacks.push('end_before_start');
    t.start = t.end;
  } else if (t.start < exportMs - MAX_AGE_MS) {
    fallbacks.push('too_old_clamped');
    t.start = t.end;
  }
}
