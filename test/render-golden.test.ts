// Golden invoices: every rendered file equals its reviewed copy in fixtures/golden/ byte for byte (npm run golden rewrites them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, goldenFiles } from '../billing-export/render/testdata/golden-cases.js';

const files = goldenFiles();

describe('golden invoice files', () => {
  it.each([...files.keys()])('%s is unchanged (after a deliberate change: npm run golden, review the diff, commit)', (name) => {
    const want = readFileSync(join(GOLDEN_DIR, name), 'utf8');
    const got = files.get(name)!;
    if (got !== want) {
      // The first differing line, so the failure says where without dumping whole invoices.
      const a = got.split('\n');
      const b = want.split('\n');
      const i = a.findIndex((line, k) => line !== b[k]);
      expect(`line ${i + 1}: ${a[i] ?? '(end)'}`).toBe(`line ${i + 1}: ${b[i] ?? '(end)'}`);
    }
    expect(got === want).toBe(true);
  });

  it('has no stale files: every file in fixtures/golden/ is produced by a case', () => {
    expect(readdirSync(GOLDEN_DIR).filter((f) => f !== 'README.md').sort()).toEqual([...files.keys()].sort());
  });

  it('renders the same bytes twice (no clock, no randomness)', () => {
    const again = goldenFiles();
    for (const [name, text] of files) expect(again.get(name) === text, name).toBe(true);
  });
});
