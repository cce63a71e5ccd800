// The customer portal end to end: demo data billed by `wispmeter demo`, the portal serving it, real headless Chromium reading it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPath } from '../cli/bill.js';
import { createLogger } from '../cli/logger.js';
import { embeddedStorePath } from '../cli/stores.js';
import { loadCatalog } from '../config/catalog-load.js';
import { loadConfig } from '../config/load.js';
import { customerLink, signature } from '../portal/link.js';
import { PortalServer } from '../portal/server.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { freePort } from './servers/free-port.js';
import { fetchWithin, startServerProcess } from './servers/server-process.js';
import { cliArgs, ROOT } from './wispmeter/collector-process.js';
import { runCli, usageJson } from './wispmeter/cli-run.js';

const CHROMIUM = '/usr/bin/chromium';
/** The demo bills 2026-01 from accounting dated 2026-01-01; the in-process portal's clock sits inside that period. */
const NOW = Date.UTC(2026, 0, 20, 12);
const ARTIFACTS = join(ROOT, 'test-artifacts');

const dir = mkdtempSync(join(tmpdir(), 'wispmeter-portal-'));
const configFile = join(dir, 'wispmeter.yaml');
const secret = randomBytes(32).toString('hex');
let browser: Browser;
let page: Page;
let server: PortalServer;
let store: EmbeddedStore;
let base: string;
let invoicesOf: Map<string, string[]>;

beforeAll(async () => {
  // NOTE: a missing browser fails the suite instead of skipping it, so a machine without it cannot look green.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install the Debian package chromium (apt-get install chromium; scripts/test.sh does)`);
  const demo = await runCli(['demo', '--data-dir', dir], 120_000);
  if (demo.code !== 0) throw new Error(`wispmeter demo exited ${demo.code}: ${demo.stderr}`);
  // The demo's config has a portal of its own (its printed link); this test signs with its own secret on a free port.
  const demoConfig = readFileSync(configFile, 'utf8');
  if (!/^portal: .*$/m.test(demoConfig)) throw new Error(`the demo's config has no portal line:\n${demoConfig}`);
  writeFileSync(configFile, demoConfig.replace(/^portal: .*$/m, `portal: { secret: "${secret}", listen: "127.0.0.1:0" }`));

  const list = await runCli(['invoices', 'list', '--config', configFile, '--format', 'json']);
  if (list.code !== 0) throw new Error(`wispmeter invoices list exited ${list.code}: ${list.stderr}`);
  invoicesOf = new Map();
  for (const inv of JSON.parse(list.stdout) as { number: string; customerId: string }[]) invoicesOf.set(inv.customerId, [...(invoicesOf.get(inv.customerId) ?? []), inv.number]);

  const config = loadConfig(configFile);
  const logger = createLogger({ level: 'warn', pretty: false });
  store = EmbeddedStore.open(embeddedStorePath(config)!, logger);
  server = new PortalServer({ host: '127.0.0.1', port: 0, secret, catalog: loadCatalog(config.catalog!), store, ledgerPath: ledgerPath(config), logger, now: () => NOW });
  await server.start();
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, timeout: 30_000 });
  page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  page.setDefaultTimeout(15_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const exp = () => Math.floor(NOW / 1000) + 3600;
const dataValue = (selector: string) => page.locator(selector).getAttribute('value').then((v) => BigInt(v ?? 'NaN'));

describe('portal in Chromium', () => {
  it('shows the current period usage equal to the store, against the quota, with daily history', async () => {
    expect(invoicesOf.size).toBe(5);
    // The link exactly as an operator gets it from the CLI (its exp is from the real clock: later than NOW).
    const printed = await runCli(['portal', 'link', '--config', configFile, '--customer', 'D-1001', '--days', '400']);
    expect(printed.stderr).not.toContain(secret);
    expect(printed.code, printed.stderr).toBe(2); // a flag error: --days is capped at 366
    const ok = await runCli(['portal', 'link', '--config', configFile, '--customer', 'D-1001', '--days', '30']);
    expect(ok.code, ok.stderr).toBe(0);
    const path = new URL(ok.stdout.trim()).pathname + new URL(ok.stdout.trim()).search;

    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(base + path);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['referrer-policy']).toBe('no-referrer');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').innerText()).toBe('Alice Example');
    expect(await page.locator('h2#usage-h').innerText()).toContain('This period: 2026-01 (2026-01-01 to 2026-01-31, UTC)');

    // The demo store holds RADIUS and NetFlow for alice01; her plan counts RADIUS first, so the page must too.
    const want = (await usageJson(['--config', configFile, '--from', '2026-01-01T00:00:00Z', '--to', '2026-02-01T00:00:00Z', '--subscriber', 'alice01', '--source', 'radius'])).get('alice01');
    const both = (await usageJson(['--config', configFile, '--from', '2026-01-01T00:00:00Z', '--to', '2026-02-01T00:00:00Z', '--subscriber', 'alice01'])).get('alice01');
    expect(both!.bytesDown).toBe(2n * want!.bytesDown); // NetFlow saw the same bytes: summing sources would double them
    expect(want?.bytesDown).toBeGreaterThan(0n);
    expect(await dataValue('#total-down data')).toBe(want!.bytesDown);
    expect(await dataValue('#total-up data')).toBe(want!.bytesUp);
    expect(await page.locator('#total-down').innerText()).toBe(`${(Number(want!.bytesDown) / 1e9).toFixed(2)} GB`);
    // home-5: a 5 GB allowance, down and up counted.
    expect(await dataValue('data[data-name="quota"]')).toBe(5_000_000_000n);
    expect(await dataValue('#quota-text data')).toBe(want!.bytesDown + want!.bytesUp);
    const share = (Number(want!.bytesDown + want!.bytesUp) / 5e9) * 100;
    expect(await page.locator('#quota-title').textContent()).toContain(`(${share.toFixed(1)}%)`);

    // Daily history: one row per day of the period so far (NOW is Jan 20), summing to the totals.
    const days = await page.locator('#daily tbody tr').evaluateAll((rows) => rows.map((r) => ({
      date: r.querySelector('th')!.textContent, down: r.querySelector('data[data-name="down"]')!.getAttribute('value')!, up: r.querySelector('data[data-name="up"]')!.getAttribute('value')!,
    })));
    expect(days.map((d) => d.date)).toEqual(Array.from({ length: 20 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`));
    expect(days.reduce((s, d) => s + BigInt(d.down), 0n)).toBe(want!.bytesDown);
    expect(days.reduce((s, d) => s + BigInt(d.up), 0n)).toBe(want!.bytesUp);
    const daily = await usageJson(['--config', configFile, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--subscriber', 'alice01', '--source', 'radius']);
    expect(BigInt(days[0]!.down)).toBe(daily.get('alice01')!.bytesDown);

    // Accessibility basics: charts are images with text alternatives, tables have captions and scoped headers.
    const a11y = {
      svgs: await page.locator('svg').evaluateAll((els) => els.map((s) => s.getAttribute('role') === 'img' && (s.querySelector('title')?.textContent ?? '').length > 10)),
      tables: await page.locator('table').evaluateAll((els) => els.map((t) => !!t.querySelector('caption') && t.querySelectorAll('th[scope]').length > 0)),
      headings: await page.locator('h1, h2').evaluateAll((els) => els.map((x) => x.tagName)),
      scripts: await page.locator('script').count(),
    };
    expect(a11y).toEqual({ svgs: [true, true], tables: [true, true], headings: ['H1', 'H2', 'H2', 'H2'], scripts: 0 });
    // Nothing but the page itself was fetched: no scripts, fonts or trackers.
    expect(requests).toEqual([base + path]);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'portal.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stderr.write(`portal screenshot: ${shot}\n`);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  });

  it("lists the customer's own invoices and downloads a real PDF of one", async () => {
    await page.goto(base + customerLink(secret, 'D-1002', exp()));
    const listed = await page.locator('#invoices tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-invoice')));
    expect(listed).toEqual(invoicesOf.get('D-1002'));
    expect(listed).toHaveLength(1);
    const number = listed[0]!;
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`tr[data-invoice="${number}"] a`).click()]);
    const file = join(dir, 'download.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8', timeout: 20_000 })).toContain(number);
    expect(download.suggestedFilename()).toBe(`${number}.pdf`);
  });

  it('refuses forged and expired links with 403 and an explanation', async () => {
    const good = customerLink(secret, 'D-1001', exp());
    const forged = good.replace(/sig=(.)/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    let res = await page.goto(base + forged);
    expect(res?.status()).toBe(403);
    expect(await page.locator('h1').innerText()).toBe('Link not valid');
    expect(await page.locator('main').innerText()).not.toContain('Alice');

    const expired = Math.floor(NOW / 1000) - 60;
    res = await page.goto(`${base}/c/D-1001?exp=${expired}&sig=${signature(secret, 'D-1001', expired)}`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('h1').innerText()).toBe('Link expired');

    // A valid link for one customer does not open another's page.
    res = await page.goto(`${base}/c/D-1002?${good.split('?')[1]}`);
    expect(res?.status()).toBe(403);
    res = await page.goto(`${base}/c/D-1001`);
    expect(res?.status()).toBe(403);
  });

  it("refuses another customer's invoice through this customer's link", async () => {
    const query = customerLink(secret, 'D-1001', exp()).split('?')[1];
    const theirs = invoicesOf.get('D-1002')![0]!;
    const own = invoicesOf.get('D-1001')![0]!;
    let res = await fetchWithin(`${base}/c/D-1001/invoices/${theirs}.pdf?${query}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    res = await fetchWithin(`${base}/c/D-1002/invoices/${theirs}.pdf?${query}`);
    expect(res.status).toBe(403);
    res = await fetchWithin(`${base}/c/D-1001/invoices/${own}.pdf?${query}`, {}, 20_000);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('wispmeter portal process', () => {
  it('serves signed links, refuses others, never logs the secret, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const proc = await startServerProcess({
      name: 'wispmeter portal',
      binary: process.execPath,
      args: cliArgs('portal', '--config', configFile, '--listen', `127.0.0.1:${port}`, '--log-level', 'debug'),
      cwd: ROOT,
      ready: async () => (await fetchWithin(`http://127.0.0.1:${port}/`, {}, 1000)).status === 404,
      readyTimeoutMs: 30_000,
    });
    try {
      // The real clock: the current period is after the demo's, so the page shows it and offers the earlier ones.
      const link = customerLink(secret, 'D-1003', Math.floor(Date.now() / 1000) + 600);
      const res = await fetchWithin(`http://127.0.0.1:${port}${link}`, {}, 10_000);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<h1>Carol Example</h1>');
      expect(html).toContain('Earlier period');
      const jan = await fetchWithin(`http://127.0.0.1:${port}${link}&period=2026-01`, {}, 10_000);
      expect(await jan.text()).toContain('Period: 2026-01');
      expect((await fetchWithin(`http://127.0.0.1:${port}${link}&period=2999-01`)).status).toBe(404);
      expect((await fetchWithin(`http://127.0.0.1:${port}${link.replace('D-1003', 'D-1004')}`)).status).toBe(403);
      expect((await fetchWithin(`http://127.0.0.1:${port}${link}`, { method: 'POST' })).status).toBe(405);
    } finally {
      await proc.stop(10_000);
    }
    expect(proc.exit()?.code).toBe(0);
    expect(proc.output()).toContain('portal link refused');
    expect(proc.output()).not.toContain(secret);
    expect(proc.output()).not.toMatch(/sig=/);
  });
});
