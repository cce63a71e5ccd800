// Number formats: the series a format counts in, and the numbers it prints.
import { describe, expect, it } from 'vitest';
import { numberFormatFor } from './numbering.js';

describe('numbering formats', () => {
  it('names the series by the format without its sequence, and pads the sequence', () => {
    const f = numberFormatFor('INV-{YYYY}-{seq:06}', '2026-01-02');
    expect(f.series).toBe('INV-2026');
    expect(f.format(42)).toBe('INV-2026-000042');
    const g = numberFormatFor('{YY}{MM}/{seq:04}', '2025-12-31');
    expect([g.series, g.format(7)]).toEqual(['2512', '2512/0007']);
    expect(numberFormatFor('CN{seq}', '2025-12-31').format(12)).toBe('CN12');
    expect(() => f.format(0)).toThrow(/sequence 0/);
  });
});
