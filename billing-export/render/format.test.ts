// Text forms and line pricing the renderers share: dates of a period in its zone, money, prices, tax labels, XML escaping.
import { describe, expect, it } from 'vitest';
import { dec } from '../../rating/money.js';
import type { DocumentLine } from '../document.js';
import { formatAmount, formatBytes, formatPrice, niceCeiling, periodDays, taxLabel } from './format.js';
import { accountingPricing, linePricing } from './line-price.js';
import { escapeAttr, escapeText, leaf, node, serialize, type XmlElement } from './xml.js';

describe('format', () => {
  it('names the first and last local day of a [from, to) period, also across DST and for an instant', () => {
    // November in New York: 2025-11-01 04:00Z to 2025-12-01 05:00Z (the clocks fall back on the 2nd).
    expect(periodDays({ from: '2025-11-01T04:00:00.000Z', to: '2025-12-01T05:00:00.000Z' }, 'America/New_York')).toEqual({ start: '2025-11-01', end: '2025-11-30' });
    expect(periodDays({ from: '2025-12-10T06:00:00.000Z', to: '2025-12-10T06:00:00.000Z' }, 'America/Chicago')).toEqual({ start: '2025-12-10', end: '2025-12-10' });
    expect(periodDays({ from: '2025-11-30T23:00:00.000Z', to: '2025-12-31T23:00:00.000Z' }, 'Europe/Berlin')).toEqual({ start: '2025-12-01', end: '2025-12-31' });
  });

  it('writes money in the currency\'s digits with grouping and a real minus; prices keep finer digits', () => {
    expect(formatAmount(dec('1234567.5'), 'EUR')).toBe('1,234,567.50');
    expect(formatAmount(dec('-8.37'), 'USD')).toBe('−8.37');
    expect(formatAmount(dec('13240'), 'JPY')).toBe('13,240');
    expect(formatAmount(dec('0.125'), 'KWD')).toBe('0.125');
    expect(formatAmount(dec('-0.001'), 'EUR')).toBe('0.00');
    expect(formatPrice(dec('450'), 'EUR')).toBe('450.00');
    expect(formatPrice(dec('0.023603'), 'USD')).toBe('0.023603');
    expect(formatPrice(dec('12.5'), 'JPY')).toBe('12.5');
    expect(formatPrice(dec('-1234.5'), 'EUR')).toBe('−1,234.50');
  });

  it('labels a tax with its rate unless its name says it, bytes in decimal units, chart axes round', () => {
    expect(taxLabel('GST', dec('0.05'))).toBe('GST 5 %');
    expect(taxLabel('Umsatzsteuer 19 %', dec('0.19'))).toBe('Umsatzsteuer 19 %');
    expect(taxLabel('QST', dec('0.09975'))).toBe('QST 9.975 %');
    expect(taxLabel('Tax 1.9 %', dec('0.19'))).toBe('Tax 1.9 % 19 %');
    expect(formatBytes(684_424_066_706n)).toBe('684.42 GB');
    expect(formatBytes(999n)).toBe('999 B');
    expect(['37.4', '8', '0.3', '100', '0'].map((v) => niceCeiling(dec(v)).toFixed())).toEqual(['50', '10', '0.5', '100', '0']);
  });
});

const line = (o: Partial<DocumentLine>): DocumentLine => ({
  lineNo: 1, kind: 'flat', description: 'x', period: { from: '2025-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }, quantity: dec('1'), unit: 'period',
  unitPrice: dec('59'), net: dec('59'), amount: dec('59'), taxCategory: 'internet', taxes: [], calculation: [], ...o,
});

describe('line pricing', () => {
  it('itemizes what multiplies back to the net, prices the rest as a whole, never a negative price', () => {
    expect(linePricing(line({}), 'USD')).toMatchObject({ itemized: true });
    const prorated = linePricing(line({ net: dec('41.87'), amount: dec('41.87') }), 'USD');
    expect([prorated.itemized, prorated.price.toFixed(), prorated.baseQuantity.toFixed()]).toEqual([false, '41.87', '1']);
    const discount = linePricing(line({ unitPrice: dec('-8.37'), net: dec('-8.37'), amount: dec('-8.37') }), 'USD');
    expect([discount.quantity.toFixed(), discount.price.toFixed()]).toEqual(['-1', '8.37']);
    // 5.0017 GB at 12.5 JPY = 62.52 → 63 after rounding, but more than a cent off: priced as a whole (Peppol R120).
    const jpy = linePricing(line({ quantity: dec('5.0017'), unitPrice: dec('12.5'), net: dec('63'), amount: dec('63') }), 'JPY');
    expect([jpy.itemized, jpy.baseQuantity.toFixed()]).toEqual([false, '5.0017']);
  });

  it('gives accounting packages four decimals at most, or one unit at the net', () => {
    const usage = line({ quantity: dec('384.424066706'), unitPrice: dec('0.05'), net: dec('19.22'), amount: dec('19.22') });
    expect(accountingPricing(usage, 'EUR')).toMatchObject({ itemized: true });
    expect(accountingPricing(usage, 'EUR').quantity.toFixed()).toBe('384.4241');
    const average = line({ quantity: dec('709.222961357'), unitPrice: dec('0.023603'), net: dec('16.74'), amount: dec('16.74') });
    expect(accountingPricing(average, 'USD')).toMatchObject({ itemized: false });
    expect(accountingPricing(average, 'USD').unitAmount.toFixed()).toBe('16.74');
  });
});

describe('xml writer', () => {
  it('escapes text and attributes, replaces characters XML forbids, drops empty elements', () => {
    expect(escapeText('a < b & c > "d"')).toBe('a &lt; b &amp; c &gt; "d"');
    expect(escapeAttr('say "hi"\n')).toBe('say &quot;hi&quot;&#10;');
    expect(escapeText('bell\u0007')).toBe('bell\uFFFD');
    const doc = node('r', leaf('a', ''), leaf('b', '  '), node('c', leaf('d', undefined)), leaf('e', 'x', { id: '1', no: undefined })) as XmlElement;
    expect(serialize(doc)).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<r>\n  <e id="1">x</e>\n</r>\n');
  });
});
