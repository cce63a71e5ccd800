// Exact decimal money: a strict big.js constructor, ISO 4217 minor units and the two rounding modes we bill with.
import Big from 'big.js';

/**
 * Our own big.js constructor: strict (a JS `number` passed in throws, so a float can never sneak into money),
 * 40 decimal places for division (enough to hold bytes / 2^30 exactly) and HALF_UP by default.
 */
export const Decimal: Big.BigConstructor = Big();
Decimal.DP = 40;
Decimal.RM = Decimal.roundHalfUp;
Decimal.strict = true;

export type Dec = Big.Big;

/** A decimal from a string, a bigint or another decimal. Never from a `number`. */
export function dec(v: string | bigint | Dec): Dec {
  return new Decimal(v);
}

export const ZERO = dec('0');
export const ONE = dec('1');

export type RoundingMode = 'HALF_UP' | 'HALF_EVEN';

const RM = { HALF_UP: 1, HALF_EVEN: 2 } as const satisfies Record<RoundingMode, Big.RoundingMode>;

/**
 * ISO 4217 minor units (digits after the decimal point) of the currencies a WISP plausibly bills in.
 * A currency missing here is rejected by the catalog loader: guessing 2 would misbill JPY or KWD.
 */
export const MINOR_UNITS: Readonly<Record<string, number>> = {
  // 0 digits
  JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, PYG: 0, UGX: 0, XAF: 0, XOF: 0, RWF: 0, KMF: 0, GNF: 0, VUV: 0, XPF: 0, DJF: 0, BIF: 0,
  // 3 digits
  KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3, LYD: 3, IQD: 3,
  // 2 digits
  USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, NZD: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2,
  BGN: 2, MXN: 2, BRL: 2, ARS: 2, COP: 2, PEN: 2, ZAR: 2, NGN: 2, KES: 2, TZS: 2, GHS: 2, EGP: 2, MAD: 2, INR: 2,
  PKR: 2, BDT: 2, LKR: 2, NPR: 2, PHP: 2, IDR: 2, MYR: 2, SGD: 2, THB: 2, HKD: 2, CNY: 2, TWD: 2, TRY: 2, ILS: 2,
  AED: 2, SAR: 2, QAR: 2, UAH: 2, GEL: 2, RSD: 2, DOP: 2, GTQ: 2, CRC: 2, UYU: 2, BOB: 2, JMD: 2, TTD: 2, FJD: 2,
  PGK: 2, XCD: 2, NAD: 2, BWP: 2, ZMW: 2, MZN: 2, ETB: 2,
};

export type CurrencyCode = string;

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(MINOR_UNITS, code);
}

export function minorUnits(currency: CurrencyCode): number {
  const d = MINOR_UNITS[currency];
  if (d === undefined) throw new Error(`money: unknown currency ${JSON.stringify(currency)} (expected an ISO 4217 code in rating/money.ts MINOR_UNITS)`);
  return d;
}

/** Rounds to the currency's minor unit (JPY to the yen, KWD to the fils). */
export function roundMoney(amount: Dec, currency: CurrencyCode, mode: RoundingMode): Dec {
  return amount.round(minorUnits(currency), RM[mode]);
}

/** Rounds to `dp` decimal places with the given mode (quantities, intermediate rates). */
export function roundTo(amount: Dec, dp: number, mode: RoundingMode): Dec {
  return amount.round(dp, RM[mode]);
}

/** The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD. */
export function minorUnit(currency: CurrencyCode): Dec {
  return ONE.div(dec(10n ** BigInt(minorUnits(currency))));
}

/** Fixed-point text with exactly the currency's digits: "12.30", "1200", "0.125". */
export function formatMoney(amount: Dec, currency: CurrencyCode): string {
  return amount.toFixed(minorUnits(currency));
}

/** Amount as an integer count of minor units; throws if it is not already rounded to them. */
export function toMinor(amount: Dec, currency: CurrencyCode): bigint {
  const scaled = amount.times(dec(10n ** BigInt(minorUnits(currency))));
  if (!scaled.round(0).eq(scaled)) throw new Error(`money: ${amount.toString()} ${currency} is not a whole number of minor units`);
  return BigInt(scaled.toFixed(0));
}

export function fromMinor(minor: bigint, currency: CurrencyCode): Dec {
  return dec(minor).div(dec(10n ** BigInt(minorUnits(currency))));
}

export function sum(values: Iterable<Dec>): Dec {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

export function max(a: Dec, b: Dec): Dec {
  return a.gte(b) ? a : b;
}

export function min(a: Dec, b: Dec): Dec {
  return a.lte(b) ? a : b;
}

/** Decimal text as written in a catalog: "29.99", "-5", "0.0625". */
export const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
