// Regenerates every golden invoice file under fixtures/golden/ (npm run golden); review the diff, then commit it.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_DIR, goldenFiles } from '../billing-export/render/testdata/golden-cases.js';

mkdirSync(GOLDEN_DIR, { recursive: true });
const files = goldenFiles();
let changed = 0;
for (const [name, text] of files) {
  const path = join(GOLDEN_DIR, name);
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === text) continue;
  writeFileSync(path, text);
  changed++;
  console.log(`${old === undefined ? 'new' : 'changed'}  ${path}`);
}
// Files no case produces any more would otherwise be compared by nothing and rot.
for (const name of readdirSync(GOLDEN_DIR)) {
  if (files.has(name) || name === 'README.md') continue;
  rmSync(join(GOLDEN_DIR, name));
  changed++;
  console.log(`removed  ${join(GOLDEN_DIR, name)}`);
}
console.log(`${files.size} golden files, ${changed} written or removed`);
