// The IANA IPFIX Information Elements we read (RFC 7012 registry; v9 field types 1..127 share the numbers).

/** Field type numbers. v9 (RFC 3954 §8) and IPFIX agree on all of these. */
export const IE = {
  octetDeltaCount: 1, // v9 IN_BYTES
  packetDeltaCount: 2, // v9 IN_PKTS
  protocolIdentifier: 4,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  flowEndSysUpTime: 21, // v9 LAST_SWITCHED
  flowStartSysUpTime: 22, // v9 FIRST_SWITCHED
  postOctetDeltaCount: 23, // v9 OUT_BYTES
  postPacketDeltaCount: 24, // v9 OUT_PKTS
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  samplingInterval: 34, // v9 SAMPLING_INTERVAL (options)
  samplingAlgorithm: 35,
  samplerId: 48, // v9 FLOW_SAMPLER_ID
  samplerMode: 49, // v9 FLOW_SAMPLER_MODE
  samplerRandomInterval: 50, // v9 FLOW_SAMPLER_RANDOM_INTERVAL
  octetTotalCount: 85,
  packetTotalCount: 86,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  flowStartDeltaMicroseconds: 158,
  flowEndDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
  flowDurationMilliseconds: 161,
  flowDurationMicroseconds: 162,
  selectorId: 302,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

/** RFC 7011 §7: a field length of 65535 in a template means "variable length, prefixed in the record". */
export const VARIABLE_LENGTH = 0xffff;

/** Seconds between the NTP era 0 epoch (1900) and the Unix epoch, for dateTimeMicro/Nanoseconds (RFC 7011 §6.1.9). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
