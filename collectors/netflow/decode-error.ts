// Why a packet, set or record could not be decoded: a closed set, each a metric label.

export type DecodeErrorReason =
  /** Shorter than its header, or a set header cut off. */
  | 'truncated'
  /** A length field (packet, set, variable-length field) points past the end or below its own header. */
  | 'bad_length'
  /** Version is not 5, 9 or 10. */
  | 'unknown_version'
  /** A template or options template that is malformed: zero fields, ID < 256, field past the set. */
  | 'bad_template'
  /** A data set whose template never arrived within the hold time (or the hold queue was full). */
  | 'no_template'
  /** A data record without usable addresses or counters, or with impossible values. */
  | 'bad_record'
  /** Set ID 2..255 in v9 (4..255 in IPFIX): reserved, skipped. */
  | 'reserved_set'
  /** A new template past the cache's size cap (a flood of spoofed template ids): refused. */
  | 'template_limit'
  /** A bug of ours on some input, caught so that no datagram can crash the collector; the fuzz test wants 0. */
  | 'internal_error';

export const DECODE_ERROR_REASONS: readonly DecodeErrorReason[] = [
  'truncated', 'bad_length', 'unknown_version', 'bad_template', 'no_template', 'bad_record', 'reserved_set', 'template_limit', 'internal_error',
];

/** Counts per reason; a decoder adds to it and never throws. */
export type DecodeErrorCounts = Record<DecodeErrorReason, number>;

export function emptyErrorCounts(): DecodeErrorCounts {
  return { truncated: 0, bad_length: 0, unknown_version: 0, bad_template: 0, no_template: 0, bad_record: 0, reserved_set: 0, template_limit: 0, internal_error: 0 };
}
