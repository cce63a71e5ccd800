// One decoded flow as the wire described it, before attribution: addresses, counters, absolute times.

/**
 * A flow's address. IPv4 is an unsigned 32-bit number: the decoder reads it as one and the prefix tables look it
 * up as one, so no text is made or parsed per flow (that text round trip was a fifth of the collector's time).
 * IPv6 is its RFC 5952 text. Anything else that holds a string (tests, logs) may use any address text.
 */
export type FlowAddress = number | string;

/** Dotted-quad text of a FlowAddress, for logs and tests; IPv6 text is returned as it is. */
export function formatFlowAddress(a: FlowAddress): string {
  return typeof a === 'number' ? `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}` : a;
}

/**
 * An octet or packet count as exported: a number, which is exact for every count up to 2^53 − 1 (9 PB in one flow
 * record: 50 hours of a single 400 Gb/s flow), so that no BigInt is made per flow; a bigint for a 64-bit counter
 * above that, so that even those stay exact.
 */
export type FlowCount = number | bigint;

/** Which export protocol a flow came in. A closed set. */
export type FlowVersion = 5 | 9 | 10;

export interface FlowRecord {
  version: FlowVersion;
  /** Exporter address as seen on the socket ("10.0.0.1", "2001:db8::1"). */
  exporter: string;
  /** v9 Source ID / IPFIX Observation Domain ID; v5: engine_type << 8 | engine_id. */
  domain: number;
  family: 4 | 6;
  srcAddr: FlowAddress;
  dstAddr: FlowAddress;
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** Octets and packets as exported (not yet multiplied by the sampling interval). */
  bytes: FlowCount;
  packets: FlowCount;
  /**
   * 'delta': octet/packetDeltaCount, usage since the previous report of this flow (sum them).
   * 'total': only octet/packetTotalCount was sent, usage since the flow began; an exporter that reports a
   * long flow several times repeats earlier octets, so the aggregator must diff them per flow, not sum them.
   */
  counter: 'delta' | 'total';
  /** Flow start and end, ms since the Unix epoch (UTC). */
  start: number;
  end: number;
  /** 1 in N packets sampled; 1 when unsampled or unknown. */
  samplingInterval: number;
}

/**
 * Receives each flow as it is decoded (FlowDecoder.visit). The decoder refills one FlowRecord for every record it
 * reads: a visitor takes the values it needs during the call, never keeps the object, and does not decode with the
 * same decoder meanwhile. That spares an object per flow on the collector's hot path; FlowDecoder.decode() copies
 * them for callers that want an array.
 */
export interface FlowVisitor {
  flow(flow: FlowRecord): void;
}

/** A FlowRecord with every property set, to be refilled per record (one object shape for V8 whatever the template). */
export function blankFlowRecord(): FlowRecord {
  return { version: 9, exporter: '', domain: 0, family: 4, srcAddr: 0, dstAddr: 0, protocol: 0, srcPort: 0, dstPort: 0, bytes: 0, packets: 0, counter: 'delta', start: 0, end: 0, samplingInterval: 1 };
}
