// `wispmeter bill schedule` delivering by itself (billing.schedule.deliver): after a scheduled run its invoices go out
// by e-mail (a real SMTP server, aiosmtpd) and by signed webhook (a loopback receiver), once each, and what failed is
// retried on the scheduler's own ticks with the same Message-ID and Idempotency-Key; the clerk's commands agree.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { freePort } from './servers/free-port.js';
import type { ServerProcess } from './servers/server-process.js';
import { receivedMail, startSmtpSink } from './servers/smtp-sink.js';
import { runCli } from './wispmeter/cli-run.js';
import { cliArgs, ROOT } from './wispmeter/collector-process.js';

const PASSWORD = 'smtp-Pa55word-never-printed';
const SECRET = 'erp-webhook-secret-0123456789';

interface Mail {
  to: string[];
  messageId: string;
  pdf?: string;
}

/** Messages the SMTP sink stored, oldest first: envelope recipients, Message-ID and the PDF attachment saved to a file. */
function mailbox(dir: string, into: string): Mail[] {
  return receivedMail(dir, into).map((m) => {
    const pdf = m.attachments.find((a) => a.type === 'application/pdf')?.path;
    return { to: m.envelope.to, messageId: m.messageId, ...(pdf ? { pdf } : {}) };
  });
}

interface Hook {
  customerId: string;
  key: string;
  status: number;
}

/** A webhook receiver that checks the signature and answers 500 to the first request for `failFirst`'s invoice. */
async function startReceiver(failFirst: string): Promise<{ server: Server; url: string; hooks: Hook[] }> {
  const hooks: Hook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-wispmeter-timestamp']);
      const signed = req.headers['x-wispmeter-signature'] === `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
      const customerId = (JSON.parse(body) as { buyer: { customerId: string } }).buyer.customerId;
      const first = !hooks.some((h) => h.customerId === customerId);
      const status = !signed ? 401 : customerId === failFirst && first ? 500 : 200;
      hooks.push({ customerId, key: String(req.headers['idempotency-key']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hooks };
}

/** A billing world whose scheduler sends and pushes; `emails` maps customers to addresses (absent: none). */
function deliveringWorld(dir: string, smtpPort: number, hookUrl: string, emails: Record<string, string>, schedule: string): BillingWorld {
  const w = writeBillingWorld(dir, Object.keys(emails).length + 1, [
    `  schedule: { ${schedule}, deliver: { email: true, webhooks: true, retryEveryMs: 1000 } }`,
    '  email:',
    `    smtp: { host: 127.0.0.1, port: ${smtpPort}, starttls: "off", user: clerk, password: "${PASSWORD}", timeoutMs: 5000 }`,
    '    from: "Mesa Wireless <billing@mesa.example>"',
    '    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 2000 }',
    '  webhooks:',
    `    endpoints: [{ name: erp, url: "${hookUrl}", secret: "${SECRET}", timeoutMs: 3000 }]`,
    '    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 2000 }',
  ].join('\n'));
  const customers = join(w.dir, 'customers.yaml');
  writeFileSync(customers, readFileSync(customers, 'utf8').replace(/^ {2}- id: (C-\d{4})$/gm, (line, id: string) => (emails[id] ? `${line}\n    email: ${emails[id]}` : line)));
  return w;
}

interface Delivery {
  number: string;
  channel: string;
  target: string;
  status: string;
  attempts: number;
  messageId: string | null;
}

describe('bill schedule delivers by itself (billing.schedule.deliver)', () => {
  let dir: string;
  let smtp: ServerProcess;
  let smtpPort: number;
  const mailDir = () => join(dir, 'mail');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-schedule-deliver-'));
    smtpPort = await freePort();
    smtp = await startSmtpSink(smtpPort, mailDir(), PASSWORD);
  });
  afterAll(async () => {
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--once: bills, then mails and pushes each invoice once; failures wait for a later tick, then go out with the same ids', async () => {
    const hook = await startReceiver('C-0001');
    try {
      const w = deliveringWorld(join(dir, 'once'), smtpPort, hook.url, { 'C-0001': 'c-0001@example.com', 'C-0002': 'c-0002@greylist.example' }, 'firstPeriod: "2025-12"');
      await seedUsage(w, monthOfUsage(w, 2025, 12, 1_000_000_000n));
      const cli = (...args: string[]) => runCli([...args, '--config', w.config]);
      const schedule = (now: string) => cli('bill', 'schedule', '--once', '--now', now);

      const first = await schedule('2026-01-01T13:00:00Z');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/schedule: 3 finalized in 1 period\(s\)/);
      // C-0002's mailbox greylists the first try; C-0003 has no address; the ERP answers C-0001's first push 500.
      expect(first.stdout).toMatch(/^email: 1 delivered, 1 waiting, 0 dead, 1 without an address$/m);
      expect(first.stdout).toMatch(/^webhook: 2 delivered, 1 waiting, 0 dead$/m);
      expect(first.stdout + first.stderr).not.toContain(PASSWORD);
      const invoices = JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string; customerId: string }[];
      const number = (c: string) => invoices.find((i) => i.customerId === c)!.number;

      let mail = mailbox(mailDir(), join(dir, 'att-once-1'));
      expect(mail.map((m) => m.to)).toEqual([['c-0001@example.com']]);
      expect(execFileSync('pdftotext', [mail[0]!.pdf!, '-'], { encoding: 'utf8' })).toContain(number('C-0001'));
      expect(hook.hooks.map((h) => [h.customerId, h.status])).toEqual([['C-0001', 500], ['C-0002', 200], ['C-0003', 200]]);

      // The same moment again: billed already, and nothing is due; nothing goes out twice.
      const again = await schedule('2026-01-01T13:00:00Z');
      expect(again.stdout).toMatch(/schedule: 0 finalized in 0 period\(s\)/);
      expect(again.stdout).toMatch(/^email: 0 delivered, 1 waiting, 0 dead, 1 without an address$/m);
      expect(mailbox(mailDir(), join(dir, 'att-once-2'))).toHaveLength(1);
      expect(hook.hooks).toHaveLength(3);

      // An hour later the retries are due: the scheduler's next tick delivers them.
      const later = await schedule('2026-01-01T14:00:00Z');
      expect(later.code, later.stderr).toBe(0);
      expect(later.stdout).toMatch(/^email: 1 delivered, 0 waiting, 0 dead, 1 without an address$/m);
      expect(later.stdout).toMatch(/^webhook: 1 delivered, 0 waiting, 0 dead$/m);
      mail = mailbox(mailDir(), join(dir, 'att-once-3'));
      expect(mail.map((m) => m.to)).toEqual([['c-0001@example.com'], ['c-0002@greylist.example']]);
      expect(hook.hooks.map((h) => [h.customerId, h.status])).toEqual([['C-0001', 500], ['C-0002', 200], ['C-0003', 200], ['C-0001', 200]]);
      // The retry carried the first attempt's Idempotency-Key.
      expect(hook.hooks[3]!.key).toBe(hook.hooks[0]!.key);

      // The ledger's delivery records: each once, and the clerk's commands find nothing left to send.
      const deliveries = JSON.parse((await cli('invoices', 'deliveries', '--format', 'json')).stdout) as Delivery[];
      expect(deliveries.map((d) => [d.number, d.channel, d.target, d.status, d.attempts])).toEqual([
        [number('C-0001'), 'email', 'c-0001@example.com', 'ok', 1], [number('C-0001'), 'webhook', 'erp', 'ok', 2],
        [number('C-0002'), 'email', 'c-0002@greylist.example', 'ok', 2], [number('C-0002'), 'webhook', 'erp', 'ok', 1],
        [number('C-0003'), 'webhook', 'erp', 'ok', 1],
      ]);
      const send = await cli('invoices', 'send', '--period', '2025-12');
      expect(send.stdout).toMatch(/email: 0 delivered, 2 already delivered, 0 waiting, 0 dead, 1 without an address/);
      const push = await cli('invoices', 'push', '--period', '2025-12');
      expect([push.code, push.stdout]).toEqual([0, expect.stringMatching(/webhook: 0 delivered, 3 already delivered/)]);
      expect(mailbox(mailDir(), join(dir, 'att-once-4'))).toHaveLength(2);
      expect(hook.hooks).toHaveLength(4);
    } finally {
      await new Promise((resolve) => hook.server.close(resolve));
    }
  });

  it('as a daemon: the catch-up run is delivered, and the retries go out on its own ticks; SIGTERM stops it cleanly', async () => {
    const hook = await startReceiver('C-0001');
    try {
      // Billed by the real clock: the one period that ended last (billing day 1).
      const now = new Date();
      const period = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (now.getUTCDate() === 1 ? 2 : 1), 1)).toISOString().slice(0, 7);
      const w = deliveringWorld(join(dir, 'daemon'), smtpPort, hook.url, { 'C-0001': 'd-0001@greylist.example' }, `firstPeriod: "${period}"`);
      const child = spawn(process.execPath, cliArgs('bill', 'schedule', '--config', w.config, '--log-level', 'info'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const mine = () => mailbox(mailDir(), join(dir, `att-daemon-${Date.now()}`)).filter((m) => m.to[0]!.startsWith('d-'));
      const deadline = Date.now() + 40_000;
      // Both customers pushed (C-0001 after a 500), C-0001's mail through the greylist: all by the retry ticks.
      while (Date.now() < deadline && (mine().length < 1 || hook.hooks.filter((h) => h.status === 200).length < 2)) await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
      expect(mine().map((m) => m.to), out).toEqual([['d-0001@greylist.example']]);
      expect(hook.hooks.map((h) => [h.customerId, h.status])).toEqual([['C-0001', 500], ['C-0002', 200], ['C-0001', 200]]);
      const deliveries = JSON.parse((await runCli(['invoices', 'deliveries', '--format', 'json', '--config', w.config])).stdout) as Delivery[];
      expect(deliveries.map((d) => [d.channel, d.status, d.attempts])).toEqual([['email', 'ok', 2], ['webhook', 'ok', 2], ['webhook', 'ok', 1]]);
      expect(readdirSync(w.dataDir)).toContain('ledger.sqlite');
    } finally {
      await new Promise((resolve) => hook.server.close(resolve));
    }
  });
});
