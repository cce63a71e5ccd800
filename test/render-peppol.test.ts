// The Peppol BIS Billing 3.0 schematron (CEN EN 16931 + OpenPeppol rules), compiled and run with Saxon HE on every
// document the renderer writes as Peppol: no fatal rule may fire. The official examples pass and a broken one fails,
// so the compiled rules are known to work.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceDocument } from '../billing-export/document.js';
import { peppolObstacles, renderUbl } from '../billing-export/render/index.js';
import { exemptDocument, golden, inclusiveDocument, longDocument, zeroRatedDocument } from '../billing-export/render/testdata/documents.js';
import { goldenCases } from '../billing-export/render/testdata/golden-cases.js';
import { run } from '../billing-export/render/testdata/tools.js';

const SAXON = '/usr/share/java/Saxon-HE.jar';
const RULES = fileURLToPath(new URL('../billing-export/schemas/peppol-bis-3/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../billing-export/schemas/peppol-bis-3/examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wispmeter-peppol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function saxon(args: string[]): void {
  if (!existsSync(SAXON)) throw new Error(`${SAXON} is missing: apt-get install libsaxonhe-java (scripts/test.sh installs it)`);
  const r = spawnSync('java', ['-cp', SAXON, 'net.sf.saxon.Transform', ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`java: ${r.error.message} (apt-get install default-jre-headless)`);
  if (r.status !== 0) throw new Error(`Saxon failed: ${r.stderr.toString()}`);
}

interface Failure { id: string; flag: string; message: string }

/** Runs both compiled rule sets over every XML file in `inputs`; the fired rules per file name. */
function check(inputs: string): Map<string, Failure[]> {
  const out = new Map<string, Failure[]>();
  for (const rules of ['CEN-EN16931-UBL', 'PEPPOL-EN16931-UBL']) {
    const results = join(dir, `results-${rules}-${inputs.replace(/\W/g, '_')}`);
    mkdirSync(results, { recursive: true });
    saxon([`-s:${inputs}`, `-xsl:${join(dir, `${rules}.xsl`)}`, `-o:${results}`]);
    for (const name of readdirSync(results)) {
      const xml = readFileSync(join(results, name), 'utf8');
      const fired = [...xml.matchAll(/<failed id="([^"]*)" flag="([^"]*)"[^>]*>([^<]*)</g)].map((m) => ({ id: m[1]!, flag: m[2]!, message: m[3]!.trim() }));
      out.set(name, [...(out.get(name) ?? []), ...fired]);
    }
  }
  return out;
}

const fatal = (fs: Failure[] | undefined) => (fs ?? []).filter((f) => f.flag === 'fatal').map((f) => `${f.id}: ${f.message}`);

/** Every Peppol document the tests know: the Peppol goldens, an exempt customer, a zero-rated line, tax-inclusive prices, a long invoice. */
function peppolDocuments(): [string, InvoiceDocument][] {
  return [
    ...goldenCases().filter((c) => peppolObstacles(c.doc).length === 0).map((c): [string, InvoiceDocument] => [c.name, c.doc]),
    ['exempt', exemptDocument()],
    ['zero-rated', zeroRatedDocument()],
    ['inclusive', inclusiveDocument()],
    ['long', longDocument(golden('eu-reverse-charge-invoice'), 60)],
  ];
}

describe('Peppol BIS Billing 3.0 schematron', () => {
  beforeAll(() => {
    for (const rules of ['CEN-EN16931-UBL', 'PEPPOL-EN16931-UBL']) {
      saxon([`-s:${join(RULES, `${rules}.sch`)}`, `-xsl:${join(RULES, 'schematron-xslt2.xsl')}`, `-o:${join(dir, `${rules}.xsl`)}`]);
    }
  }, 120_000);

  it('the compiled rules pass the official Peppol examples and catch a broken one', () => {
    const inputs = join(dir, 'examples');
    mkdirSync(inputs);
    for (const name of readdirSync(EXAMPLES)) writeFileSync(join(inputs, name), readFileSync(join(EXAMPLES, name)));
    const base = readFileSync(join(EXAMPLES, 'base-example.xml'), 'utf8');
    writeFileSync(join(inputs, 'broken.xml'), base.replace(/<cbc:BuyerReference>[^<]*<\/cbc:BuyerReference>/, ''));
    const results = check(inputs);
    for (const name of readdirSync(EXAMPLES)) expect(fatal(results.get(name)), name).toEqual([]);
    expect(fatal(results.get('broken.xml')).join('\n')).toMatch(/PEPPOL-EN16931-R003/);
  }, 120_000);

  it('no fatal rule fires on any document we write as Peppol', () => {
    const inputs = join(dir, 'ours');
    mkdirSync(inputs);
    const docs = peppolDocuments();
    expect(docs.map(([n]) => n)).toEqual(['eu-vat-invoice', 'eu-reverse-charge-invoice', 'eu-credit-note', 'exempt', 'zero-rated', 'inclusive', 'long']);
    const xsd = (doc: InvoiceDocument) => join(RULES, `../ubl-2.1/maindoc/UBL-${doc.kind === 'credit_note' ? 'CreditNote' : 'Invoice'}-2.1.xsd`);
    for (const [name, doc] of docs) {
      expect(peppolObstacles(doc), name).toEqual([]);
      writeFileSync(join(inputs, `${name}.xml`), renderUbl(doc));
      // Schematron assumes a schema-valid document: every one of them validates first.
      const v = run('xmllint', ['--noout', '--nonet', '--schema', xsd(doc), join(inputs, `${name}.xml`)]);
      expect(v.status, `${name}: ${v.stderr.toString()}`).toBe(0);
    }
    const results = check(inputs);
    for (const [name] of docs) expect(fatal(results.get(`${name}.xml`)), name).toEqual([]);
  }, 120_000);
});
