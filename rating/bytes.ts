// Byte units, always explicit: GB = 10^9 bytes (SI), GiB = 2^30 bytes (IEC). A plan names its unit; nothing assumes one.
import { type Dec, dec } from './money.js';

export type ByteUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB';

export const BYTES_PER_UNIT: Readonly<Record<ByteUnit, bigint>> = {
  B: 1n,
  KB: 10n ** 3n,
  MB: 10n ** 6n,
  GB: 10n ** 9n,
  TB: 10n ** 12n,
  KiB: 2n ** 10n,
  MiB: 2n ** 20n,
  GiB: 2n ** 30n,
  TiB: 2n ** 40n,
};

export const BYTE_UNITS = Object.keys(BYTES_PER_UNIT) as ByteUnit[];

/** Bytes as an exact decimal count of `unit` (exact: 2^-40 has 40 decimal digits and Decimal.DP is 40). */
export function bytesTo(bytes: bigint, unit: ByteUnit): Dec {
  return dec(bytes).div(dec(BYTES_PER_UNIT[unit]));
}

/** "GB (10^9 bytes)" — how every fee and doc names a unit. */
export function describeUnit(unit: ByteUnit): string {
  const bytes = BYTES_PER_UNIT[unit];
  if (unit === 'B') return 'bytes';
  const si = ['KB', 'MB', 'GB', 'TB'].indexOf(unit);
  return si >= 0 ? `${unit} (10^${(si + 1) * 3} bytes)` : `${unit} (2^${bytes.toString(2).length - 1} bytes)`;
}
