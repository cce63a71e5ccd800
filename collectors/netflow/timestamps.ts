// Exporter time forms → absolute UTC milliseconds; each function documents the quirk it handles.
import { NTP_UNIX_OFFSET_S } from './information-elements.js';

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
