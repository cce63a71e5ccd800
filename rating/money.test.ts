// Money, byte units and allocation: minor units per currency, both rounding modes, parts that sum to the whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from './allocate.js';
import { bytesTo, describeUnit } from './bytes.js';
import { dec, Decimal, formatMoney, fromMinor, minorUnit, roundMoney, sum, toMinor } from './money.js';

describe('money', () => {
  it.each([
    // [amount, currency, mode, expected]
    ['1.005', 'USD', 'HALF_UP', '1.01'],
    ['1.005', 'USD', 'HALF_EVEN', '1.00'],
    ['1.015', 'USD', 'HALF_EVEN', '1.02'],
    ['1234.5', 'JPY', 'HALF_UP', '1235'],
    ['1234.5', 'JPY', 'HALF_EVEN', '1234'],
    ['1235.5', 'JPY', 'HALF_EVEN', '1236'],
    ['0.0125', 'KWD', 'HALF_UP', '0.013'],
    ['0.0125', 'KWD', 'HALF_EVEN', '0.012'],
    ['-2.345', 'EUR', 'HALF_UP', '-2.35'], // half away from zero, symmetric for refunds
    ['7.0005', 'BHD', 'HALF_EVEN', '7.000'],
  ] as const)('%s %s %s → %s', (amount, currency, mode, want) => {
    expect(formatMoney(roundMoney(dec(amount), currency, mode), currency)).toBe(want);
  });

  it('refuses a JS number anywhere in money arithmetic', () => {
    expect(() => new Decimal(0.1 as unknown as string)).toThrow();
    expect(() => dec('1').plus(0.1 as unknown as string)).toThrow();
  });

  it('rejects an unknown currency instead of guessing 2 digits', () => {
    expect(() => roundMoney(dec('1'), 'XYZ', 'HALF_UP')).toThrow(/unknown currency "XYZ"/);
  });

  it('minor units round trip', () => {
    expect(minorUnit('JPY').toString()).toBe('1');
    expect(minorUnit('KWD').toString()).toBe('0.001');
    expect(toMinor(dec('12.345'), 'KWD')).toBe(12345n);
    expect(fromMinor(12345n, 'USD').toString()).toBe('123.45');
    expect(() => toMinor(dec('0.001'), 'USD')).toThrow(/not a whole number/);
  });
});

describe('byte units', () => {
  it('GB is 10^9 bytes and GiB is 2^30 bytes, exactly', () => {
    expect(bytesTo(1_500_000_000n, 'GB').toString()).toBe('1.5');
    expect(bytesTo(2n ** 30n, 'GiB').toString()).toBe('1');
    expect(bytesTo(1n, 'TiB').times(dec(2n ** 40n)).toString()).toBe('1');
    expect(bytesTo(1_000_000_000n, 'GiB').toString()).toBe('0.931322574615478515625');
    expect(describeUnit('GB')).toBe('GB (10^9 bytes)');
    expect(describeUnit('GiB')).toBe('GiB (2^30 bytes)');
  });
});

describe('allocate (largest remainder)', () => {
  it('splits 100.00 in three: the extra cent goes to the earliest largest remainder', () => {
    // 100/3 = 33.333…; all remainders equal, so the first part takes the cent.
    expect(allocate(dec('100.00'), [1n, 1n, 1n], 'USD').map(String)).toEqual(['33.34', '33.33', '33.33']);
  });
  it('splits by days: 31-day month, 16 + 15 days of 29.99', () => {
    // 29.99 × 16/31 = 15.4787… → 15.47 + remainder .87; 29.99 × 15/31 = 14.5112… → 14.51 + .12; 1 cent left → first.
    expect(allocate(dec('29.99'), [16n, 15n], 'USD').map(String)).toEqual(['15.48', '14.51']);
  });
  it('negative totals mirror positive ones', () => {
    expect(allocate(dec('-1.00'), [1n, 2n], 'USD').map(String)).toEqual(['-0.33', '-0.67']);
  });
  it('property: parts sum to the total and each part is within one minor unit of its exact share', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
      fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }),
      fc.constantFrom('USD', 'JPY', 'KWD'),
      (minor, weights, currency) => {
        const total = fromMinor(minor, currency);
        const parts = allocate(total, weights, currency);
        expect(sum(parts).eq(total)).toBe(true);
        const wsum = weights.reduce((a, b) => a + b, 0n);
        if (wsum > 0n) {
          parts.forEach((p, i) => {
            const exact = total.times(dec(weights[i]!)).div(dec(wsum));
            expect(p.minus(exact).abs().lt(minorUnit(currency))).toBe(true);
          });
        }
      },
    ));
  });
});
