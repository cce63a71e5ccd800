// Hand-written datagrams for the decoder tests: every field commented, lengths written out as on the wire.

/** Hex from parts; spaces ignored. */
/** An IPv4 address as the decoder gives it (FlowAddress: an unsigned 32-bit number). */
export const ipv4 = (text: string): number => text.split('.').reduce((n, part) => n * 256 + Number(part), 0);

export const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

/** 2020-09-13T12:26:40Z, the header clock of every packet below. */
export const T = 1_600_000_000_000;

export const V5 = hex(
  '0005 0001', // version 5, count 1
  '00002710', // sysUptime 10000 ms
  '5f5e1000 00000000', // unix_secs 1600000000, unix_nsecs 0
  '00000001', // flow_sequence
  '01 02', // engine_type 1, engine_id 2 → domain 0x0102
  '4064', // sampling: mode 01 (top 2 bits), interval 100 (low 14 bits)
  // record 1 (48 octets)
  '64400002 c6336401 00000000', // src 100.64.0.2, dst 198.51.100.1, nexthop
  '0001 0002', // input, output ifIndex
  '0000000a 00001388', // dPkts 10, dOctets 5000
  '00001f40 00002328', // First 8000, Last 9000 (uptime ms) → T-2000, T-1000
  '1f90 01bb 00 18 06 00', // srcport 8080, dstport 443, pad, tcp_flags, proto 6, tos
  '0000 0000 18 18 0000', // src_as, dst_as, masks, pad
);

/** v9 template 256 (IPv4, IN_BYTES, IN_PKTS, FIRST/LAST_SWITCHED, PROTOCOL) and one data record, source id 7. */
export const V9_TEMPLATE = hex(
  '0000 0024', // template flowset, length 36
  '0100 0007', // template 256, 7 fields
  '0008 0004 000c 0004', // IPV4_SRC_ADDR, IPV4_DST_ADDR
  '0001 0004 0002 0004', // IN_BYTES, IN_PKTS
  '0016 0004 0015 0004', // FIRST_SWITCHED, LAST_SWITCHED
  '0004 0001', // PROTOCOL
);
export const V9_DATA = hex(
  '0100 0020', // data flowset for template 256, length 32 (25-octet record + 3 padding)
  '64400002 c6336401', // 100.64.0.2 → 198.51.100.1
  '000005dc 00000002', // 1500 octets, 2 packets
  'fffffc18 000003e8', // FIRST = -1000 (before the uptime wrapped) → T-2000; LAST 1000 → T
  '11', // UDP
  '000000', // padding
);
export const v9Header = (count: number, sourceId = 7): string =>
  `0009 ${count.toString(16).padStart(4, '0')} 000003e8 5f5e1000 00000001 ${sourceId.toString(16).padStart(8, '0')}`; // uptime 1000, secs 1600000000, seq, source id

export const V9 = hex(v9Header(2), V9_TEMPLATE.toString('hex'), V9_DATA.toString('hex'));

/** IPFIX template 256: IPv6 addresses, octetDeltaCount, flowStart/EndMilliseconds, an enterprise var-length field. */
export const IPFIX_TEMPLATE = hex(
  '0002 0024', // template set, length 36
  '0100 0006', // template 256, 6 fields
  '001b 0010 001c 0010', // sourceIPv6Address, destinationIPv6Address
  '0001 0008', // octetDeltaCount, 8 octets
  '0098 0008 0099 0008', // flowStartMilliseconds, flowEndMilliseconds
  '8001 ffff 00003a8c', // enterprise bit + element 1, variable length, PEN 14988 (MikroTik): skipped
);
export const IPFIX_DATA = hex(
  '0100 007d', // data set 256, length 125: two records (60 + 61)
  '20010db8000000000000000000000001', // 2001:db8::1
  '20010db8000100000000000000000002', // 2001:db8:1::2
  '0000000000002710', // 10000 octets
  '00000174876e7c18 00000174876e8000', // start T-1000, end T
  '03 aabbcc', // variable length: 1-octet length 3
  '20010db8000100000000000000000002', // 2001:db8:1::2
  '20010db8000000000000000000000001', // 2001:db8::1
  '00000000000003e8', // 1000 octets
  '00000174876e7830 00000174876e7c18', // start T-2000, end T-1000
  'ff0002 abcd', // variable length, long form: 255 then a 2-octet length 2
);
export const ipfixHeader = (length: number, domain = 1): string =>
  `000a ${length.toString(16).padStart(4, '0')} 5f5e1000 00000000 ${domain.toString(16).padStart(8, '0')}`; // export 1600000000, seq, domain

export const IPFIX = hex(ipfixHeader(16 + 36 + 125), IPFIX_TEMPLATE.toString('hex'), IPFIX_DATA.toString('hex'));

/** IPFIX options template 257 (scope observationDomainId; samplingInterval) and its data: 1 in 256. */
export const IPFIX_SAMPLING = hex(
  '0003 0012', // options template set, length 18
  '0101 0002 0001', // template 257, 2 fields, 1 scope field
  '0095 0004', // scope: observationDomainId (149)
  '0022 0004', // samplingInterval (34)
  '0101 000c', // data set 257, length 12
  '00000001 00000100', // domain 1: 1 in 256
);
