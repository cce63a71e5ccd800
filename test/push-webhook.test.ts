// `wispmeter invoices push` against a real HTTP receiver on loopback: signed POSTs of the stored document, one
// accepted delivery per document and endpoint through a 500 and a dropped connection, the same Idempotency-Key on
// every attempt, retries persisted in the ledger and resumed by later runs (Retry-After honoured), 400 dead at
// once, 503 dead after maxAttempts.
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { runCli } from './wispmeter/cli-run.js';
import { cliArgs, ROOT } from './wispmeter/collector-process.js';

const SECRETS = { erp: 'erp-webhook-secret-0123456789', books: 'books-webhook-secret-9876543210' };

interface Seen {
  endpoint: 'erp' | 'books';
  document: string;
  key: string;
  signatureOk: boolean;
  body: string;
  answered: number | 'dropped';
}

/** What a receiver does, written from the docs and not from wispmeter's code: HMAC over "timestamp.body", 5 minutes' tolerance. */
function verify(secret: string, req: IncomingMessage, body: string): boolean {
  const ts = String(req.headers['x-wispmeter-timestamp'] ?? '');
  const sig = String(req.headers['x-wispmeter-signature'] ?? '');
  const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  return Math.abs(Date.now() / 1000 - Number(ts)) <= 300 && sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
}

describe('wispmeter invoices push (signed webhooks)', () => {
  let dir: string;
  let w: BillingWorld;
  let server: Server;
  const seen: Seen[] = [];
  /** How many requests of each Idempotency-Key were accepted (answered 2xx, signature good). */
  const accepted = new Map<string, number>();
  const acted = new Set<string>();
  const repeats: string[] = [];
  const hold = new Set<string>();
  const numbers = new Map<string, string>();
  /** erp's script per customer: what to answer on the 1st, 2nd, … request for that document. */
  const script: Record<string, (number | 'drop')[]> = { 'C-0001': [500, 'drop', 200], 'C-0002': [200], 'C-0003': [400], 'C-0004': [503, 503, 503] };
  const customerOf = (doc: string) => [...numbers].find(([, n]) => n === doc)?.[0] ?? '?';
  const cli = (...args: string[]) => runCli([...args, '--config', w.config]);
  type PushReport = { deliveries: { number: string; target: string; status: string; detail: string }[] };
  const push = async (...args: string[]) => {
    const r = await cli('invoices', 'push', ...args, '--format', 'json');
    for (const s of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(s);
    const report = JSON.parse(r.stdout) as PushReport;
    return { code: r.code, erp: Object.fromEntries(report.deliveries.filter((d) => d.target === 'erp').map((d) => [customerOf(d.number), d.status])), report };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-push-webhook-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const endpoint = req.url === '/erp/hook?token=t0k3n' ? 'erp' : 'books';
        const document = String(req.headers['x-wispmeter-document']);
        const key = String(req.headers['idempotency-key']);
        const n = seen.filter((s) => s.endpoint === endpoint && s.document === document).length;
        const answer = endpoint === 'erp' ? script[customerOf(document)]?.[n] ?? 200 : 200;
        const entry: Seen = { endpoint, document, key, signatureOk: verify(SECRETS[endpoint], req, body), body, answered: answer === 'drop' ? 'dropped' : answer };
        seen.push(entry);
        if (answer === 'drop') {
          req.socket.destroy();
          return;
        }
        if (answer === 200 && entry.signatureOk) {
          accepted.set(key, (accepted.get(key) ?? 0) + 1);
          // A receiver acts once per key; a repeat is answered 200 and not acted on again.
          if (acted.has(key)) repeats.push(key);
          acted.add(key);
        }
        // Acted on, but the answer never leaves: the sender dies waiting (see the kill test).
        if (hold.has(document)) return;
        // Credit notes are answered slowly, so two pushes of one overlap.
        const headers = { 'content-type': 'text/plain', ...(answer === 503 ? { 'retry-after': '5400' } : {}) };
        setTimeout(() => res.writeHead(entry.signatureOk ? answer : 401, headers).end(answer === 400 ? 'unknown customer' : 'ok'),
          document.startsWith('CN-') ? 1500 : 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    w = writeBillingWorld(join(dir, 'w'), 4, [
      '  webhooks:',
      '    endpoints:',
      `      - { name: erp, url: "http://127.0.0.1:${port}/erp/hook?token=t0k3n", secret: "${SECRETS.erp}", timeoutMs: 3000 }`,
      `      - { name: books, url: "http://127.0.0.1:${port}/books", secret: "${SECRETS.books}" }`,
      '    retry: { maxAttempts: 3, baseDelayMs: 600000, maxDelayMs: 7200000 }',
    ].join('\n'));
    await seedUsage(w, monthOfUsage(w, 2025, 12, 1_000_000_000n));
    const run = await cli('bill', 'run', '--period', '2025-12');
    expect(run.code, run.stderr).toBe(0);
    for (const i of JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string; customerId: string }[]) numbers.set(i.customerId, i.number);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers each document once per endpoint through failures; 400 is dead at once; 503 dies after maxAttempts', async () => {
    const hour = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const first = await push('--period', '2025-12');
    expect(first.code).toBe(1);
    expect(first.erp).toEqual({ 'C-0001': 'retry', 'C-0002': 'delivered', 'C-0003': 'dead', 'C-0004': 'retry' });
    expect(first.report.deliveries.filter((d) => d.target === 'books').map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(first.report.deliveries.find((d) => d.number === numbers.get('C-0003') && d.target === 'erp')!.detail).toMatch(/HTTP 400 unknown customer \(permanent\)/);

    // Not due yet: nothing is sent.
    const early = await push();
    expect([early.code, early.erp]).toEqual([1, { 'C-0001': 'not-due', 'C-0004': 'not-due' }]);
    expect(seen).toHaveLength(8);

    // Later runs resume from the ledger: the dropped connection is retried too; the 503's Retry-After (1.5 h) is
    // longer than the backoff (10 min ± 50 %), so it is honoured.
    expect((await push('--now', hour(1))).erp).toEqual({ 'C-0001': 'retry', 'C-0004': 'not-due' });
    const last = await push('--now', hour(24));
    expect([last.code, last.erp]).toEqual([1, { 'C-0001': 'delivered', 'C-0004': 'retry' }]);
    expect((await push('--period', '2025-12', '--now', hour(48))).erp).toEqual({ 'C-0001': 'already-delivered', 'C-0002': 'already-delivered', 'C-0003': 'dead-before', 'C-0004': 'dead' });

    // Every request was signed right; each document reached each endpoint's business logic once.
    expect(seen.every((s) => s.signatureOk)).toBe(true);
    expect(seen).toHaveLength(12);
    const n1 = numbers.get('C-0001')!;
    const n1erp = seen.filter((s) => s.endpoint === 'erp' && s.document === n1);
    expect(n1erp.map((s) => s.answered)).toEqual([500, 'dropped', 200]);
    expect(new Set(n1erp.map((s) => s.key))).toEqual(new Set([`webhook:${n1}:erp`]));
    const stored = (await cli('invoices', 'show', n1, '--format', 'json')).stdout;
    expect(n1erp.every((s) => s.body === stored)).toBe(true);
    expect([...accepted.values()].every((count) => count === 1)).toBe(true);
    expect([...accepted.keys()].sort()).toEqual([
      ...['C-0001', 'C-0002', 'C-0003', 'C-0004'].map((c) => `webhook:${numbers.get(c)}:books`),
      ...['C-0001', 'C-0002'].map((c) => `webhook:${numbers.get(c)}:erp`),
    ].sort());

    const dead = JSON.parse((await cli('invoices', 'deliveries', '--status', 'dead', '--format', 'json')).stdout) as { number: string; target: string; attempts: number; error: string }[];
    expect(dead.map((d) => [d.number, d.target, d.attempts])).toEqual([[numbers.get('C-0003'), 'erp', 1], [numbers.get('C-0004'), 'erp', 3]]);
    expect(dead[1]!.error).toMatch(/HTTP 503 .*gave up after 3 attempts/);
    // The URL (with its token) is not what the ledger names.
    const all = await cli('invoices', 'deliveries');
    expect(all.stdout).not.toContain('t0k3n');
  });

  it('two pushes at once send a new credit note once per endpoint (the claim is taken under the ledger lock)', async () => {
    const credit = await cli('invoices', 'credit', numbers.get('C-0002')!, '--reason', 'outage', '--amount', '5.00');
    expect(credit.code, credit.stderr).toBe(0);
    const cn = credit.stdout.split(' ')[0]!;
    numbers.set('CN', cn);
    const before = seen.length;
    const [a, b] = await Promise.all([push(cn), push(cn)]);
    const statuses = [...a.report.deliveries, ...b.report.deliveries].map((d) => `${d.target}:${d.status}`).sort();
    // The loser of each race finds the attempt in flight (or already delivered): never a second request.
    expect(statuses.filter((s) => s.endsWith(':delivered')).sort()).toEqual(['books:delivered', 'erp:delivered']);
    expect(seen.slice(before).map((s) => `${s.endpoint}:${s.document}`).sort()).toEqual([`books:${cn}`, `erp:${cn}`]);
  });

  it('a push killed after the receiver acted is resumed with the same Idempotency-Key, and acted on once', async () => {
    const credit = await cli('invoices', 'credit', numbers.get('C-0001')!, '--reason', 'goodwill', '--amount', '1.00');
    expect(credit.code, credit.stderr).toBe(0);
    const cn = credit.stdout.split(' ')[0]!;
    numbers.set('CN2', cn);
    hold.add(cn);
    const child = spawn(process.execPath, cliArgs('invoices', 'push', cn, '--config', w.config), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 200 && !seen.some((s) => s.document === cn); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    hold.delete(cn);
    const key = `webhook:${cn}:erp`;
    expect(accepted.get(key)).toBe(1);

    // Right after the crash the attempt may still be in flight elsewhere: left alone. erp comes first, so books was never claimed.
    const now = await push(cn);
    expect(now.report.deliveries.map((d) => `${d.target}:${d.status}`)).toEqual(['erp:in-flight', 'books:delivered']);
    const later = await push(cn, '--now', new Date(Date.now() + 11 * 60_000).toISOString());
    expect([later.code, later.erp]).toEqual([0, { CN2: 'delivered' }]);
    const attempts = seen.filter((s) => s.document === cn && s.endpoint === 'erp');
    expect(attempts.map((s) => s.key)).toEqual([key, key]);
    // The sender never saw the first 200, so it sent again; the key told the receiver it was a repeat.
    expect([accepted.get(key), repeats]).toEqual([2, [key]]);
  });

  it('config errors name the key, never the secret', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, [
      'billing:',
      '  seller: { legalName: X, address: { lines: [a], countryCode: US } }',
      '  webhooks:',
      '    endpoints: [{ name: erp, url: "http://127.0.0.1:9/x", secret: "tiny-secret" }]',
      '  email: { smtp: { host: h, user: u, password: 12345678 }, from: a@b }',
      '',
    ].join('\n'));
    const r = await runCli(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:4 billing.webhooks.endpoints[0].secret: too small`);
    expect(r.stderr).toContain(`${bad}:5 billing.email.smtp.password: wrong type: got a number`);
    expect(r.stderr).not.toMatch(/tiny-secret|12345678/);
  });
});
