// `wispmeter invoices send` against a real SMTP server on loopback (aiosmtpd): each invoice once to the customer's
// catalog address with the PDF (and UBL) attached, greylisting retried with the same Message-ID, a refused mailbox
// dead at once, a customer without an address reported, and the SMTP password in no output.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingWorld, monthOfUsage, seedUsage, writeBillingWorld } from './billing-fixture.js';
import { freePort } from './servers/free-port.js';
import type { ServerProcess } from './servers/server-process.js';
import { receivedMail, startSmtpSink } from './servers/smtp-sink.js';
import { runCli } from './wispmeter/cli-run.js';

const PASSWORD = 'smtp-Pa55word-never-printed';
const EMAILS: Record<string, string | undefined> = {
  'C-0001': 'c-0001@example.com', 'C-0002': 'c-0002@greylist.example', 'C-0003': 'c-0003@rejected.example', 'C-0004': undefined,
};

describe('wispmeter invoices send (e-mail over SMTP)', () => {
  let dir: string;
  let mailDir: string;
  let w: BillingWorld;
  let smtp: ServerProcess;
  const numbers = new Map<string, string>();
  const cli = (...args: string[]) => runCli([...args, '--config', w.config]);
  const json = <T>(r: { code: number | null; stdout: string; stderr: string }) => {
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(PASSWORD);
    return JSON.parse(r.stdout) as T;
  };
  type SendReport = { deliveries: { number: string; target: string; status: string; detail: string }[] };
  const byNumber = (r: SendReport) => Object.fromEntries(r.deliveries.map((d) => [d.number, d.status]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wispmeter-push-email-'));
    mailDir = join(dir, 'mail');
    mkdirSync(mailDir);
    const port = await freePort();
    smtp = await startSmtpSink(port, mailDir, PASSWORD);
    w = writeBillingWorld(join(dir, 'w'), 4, [
      '  email:',
      `    smtp: { host: 127.0.0.1, port: ${port}, starttls: "off", user: clerk, password: "${PASSWORD}", timeoutMs: 5000 }`,
      '    from: "Mesa Wireless <billing@mesa.example>"',
      '    bcc: [books@mesa.example]',
      '    subject: "{kind} {number} from {seller}, {period}"',
      '    attachUbl: true',
      '    retry: { maxAttempts: 3, baseDelayMs: 600000, maxDelayMs: 3600000 }',
    ].join('\n'));
    const customers = join(w.dir, 'customers.yaml');
    writeFileSync(customers, readFileSync(customers, 'utf8').replace(/^ {2}- id: (C-\d{4})$/gm, (line, id: string) => (EMAILS[id] ? `${line}\n    email: ${EMAILS[id]}` : line)));
    await seedUsage(w, monthOfUsage(w, 2025, 12, 1_000_000_000n));
    const run = await cli('bill', 'run', '--period', '2025-12');
    expect(run.code, run.stderr).toBe(0);
    for (const i of JSON.parse((await cli('invoices', 'list', '--format', 'json')).stdout) as { number: string; customerId: string }[]) numbers.set(i.customerId, i.number);
  });
  afterAll(async () => {
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dry run sends nothing and names the customer without an address', async () => {
    const r = await cli('invoices', 'send', '--period', '2025-12', '--dry-run', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = json<SendReport>(r);
    expect(byNumber(report)).toEqual({ [numbers.get('C-0001')!]: 'would-send', [numbers.get('C-0002')!]: 'would-send', [numbers.get('C-0003')!]: 'would-send', [numbers.get('C-0004')!]: 'no-address' });
    expect(report.deliveries.find((d) => d.status === 'no-address')!.detail).toBe('customer C-0004 has no email in the catalog');
    expect(readdirSync(mailDir)).toEqual([]);
  });

  it('sends each invoice once with its PDF; greylisting is retried with the same Message-ID; a refused mailbox is dead', async () => {
    const [n1, n2, n3] = ['C-0001', 'C-0002', 'C-0003'].map((c) => numbers.get(c)!) as [string, string, string];
    const first = await cli('invoices', 'send', '--period', '2025-12', '--format', 'json');
    expect(first.code, 'not everything delivered: exit 1').toBe(1);
    expect(byNumber(json<SendReport>(first))).toEqual({ [n1]: 'delivered', [n2]: 'retry', [n3]: 'dead', [numbers.get('C-0004')!]: 'no-address' });

    let mail = receivedMail(mailDir, join(dir, 'att1'));
    // The greylisted customer's copy still reached the bcc; the refused one's too.
    expect(mail.map((m) => m.envelope.to)).toEqual([['c-0001@example.com', 'books@mesa.example'], ['books@mesa.example'], ['books@mesa.example']]);
    const m1 = mail[0]!;
    expect(m1.envelope.login).toBe('clerk');
    expect(m1.envelope.from).toBe('billing@mesa.example');
    expect(m1.subject).toBe(`Invoice ${n1} from Mesa Wireless LLC, 2025-12`);
    expect(m1.attachments.map((a) => [a.filename, a.type])).toEqual([[`${n1}.pdf`, 'application/pdf'], [`${n1}.xml`, 'application/xml']]);
    const pdfText = execFileSync('pdftotext', [m1.attachments[0]!.path, '-'], { encoding: 'utf8' });
    expect(pdfText).toContain(n1);
    expect(pdfText).toContain('Customer C-0001');
    expect(readFileSync(m1.attachments[1]!.path, 'utf8')).toContain(`<cbc:ID>${n1}</cbc:ID>`);

    // Again: nothing new goes out (delivered, not yet due, dead).
    const again = await cli('invoices', 'send', '--period', '2025-12', '--format', 'json');
    expect(byNumber(json<SendReport>(again))).toEqual({ [n1]: 'already-delivered', [n2]: 'not-due', [n3]: 'dead-before', [numbers.get('C-0004')!]: 'no-address' });
    expect(receivedMail(mailDir, join(dir, 'att2'))).toHaveLength(3);
    const one = await cli('invoices', 'send', n1);
    expect([one.code, one.stdout]).toEqual([0, expect.stringMatching(/already-delivered +on \S+ \(--resend to send again\)\n.*1 already delivered/)]);

    // An hour later the retry is due: `invoices send` without numbers resumes what waits.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const retry = await cli('invoices', 'send', '--now', later, '--format', 'json');
    expect([retry.code, byNumber(json<SendReport>(retry))]).toEqual([0, { [n2]: 'delivered' }]);
    mail = receivedMail(mailDir, join(dir, 'att3'));
    expect(mail).toHaveLength(4);
    expect(mail[3]!.envelope.to).toEqual(['c-0002@greylist.example', 'books@mesa.example']);
    expect(mail[3]!.messageId).toBe(mail[1]!.messageId);

    // --resend is a new round: a new Message-ID.
    const resend = await cli('invoices', 'send', n1, '--resend');
    expect(resend.code, resend.stderr).toBe(0);
    mail = receivedMail(mailDir, join(dir, 'att4'));
    expect(mail.map((m) => m.envelope.to[0])).toEqual(['c-0001@example.com', 'books@mesa.example', 'books@mesa.example', 'c-0002@greylist.example', 'c-0001@example.com']);
    expect(mail[4]!.messageId).not.toBe(mail[0]!.messageId);

    const deliveries = json<{ number: string; target: string; status: string; attempts: number; error: string | null; messageId: string | null }[]>(
      await cli('invoices', 'deliveries', '--format', 'json'));
    expect(deliveries.map((d) => [d.number, d.target, d.status, d.attempts])).toEqual([
      [n1, 'c-0001@example.com', 'ok', 2], [n2, 'c-0002@greylist.example', 'ok', 2], [n3, 'c-0003@rejected.example', 'dead', 1],
    ]);
    expect(deliveries.find((d) => d.number === n3)!.error).toMatch(/550 5\.1\.1 no such mailbox/);
    expect(deliveries.find((d) => d.number === n1)!.messageId).toBe(mail[4]!.messageId);
  });
  it('STARTTLS required: the login goes over TLS to a relay trusted through caFile; no STARTTLS or an untrusted certificate is retried', async () => {
    const tlsDir = join(dir, 'tls');
    const tlsMail = join(tlsDir, 'mail');
    mkdirSync(tlsMail, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem')], { stdio: 'ignore' });
    const port = await freePort();
    const relay = await startSmtpSink(port, tlsMail, PASSWORD, [join(tlsDir, 'cert.pem'), join(tlsDir, 'key.pem')]);
    try {
      const base = readFileSync(w.config, 'utf8');
      const smtpLine = /^ {4}smtp: .*$/m;
      const config = (name: string, smtp: string) => {
        const file = join(w.dir, name);
        writeFileSync(file, base.replace(smtpLine, `    smtp: { host: 127.0.0.1, port: ${port}, user: clerk, password: "${PASSWORD}", timeoutMs: 5000, ${smtp} }`));
        return file;
      };
      const n1 = numbers.get('C-0001')!;
      const plain = await runCli(['invoices', 'send', n1, '--resend', '--format', 'json', '--config', config('plain.yaml', 'starttls: "off"')]);
      expect(plain.code).toBe(1);
      const refused = json<SendReport>(plain).deliveries[0]!;
      expect([refused.status, refused.detail]).toEqual(['retry', expect.stringMatching(/530 Must issue a STARTTLS command first/)]);

      // The relay's certificate is checked: without the private CA it is not trusted.
      const untrusted = await runCli(['invoices', 'send', n1, '--resend', '--format', 'json', '--config', config('untrusted.yaml', 'starttls: required')]);
      expect(json<SendReport>(untrusted).deliveries.map((d) => [d.status, d.detail])).toEqual([['retry', expect.stringMatching(/self[- ]signed certificate/)]]);

      const secure = await runCli(['invoices', 'send', n1, '--resend', '--format', 'json', '--config', config('tls.yaml', 'starttls: required, caFile: ../tls/cert.pem')]);
      expect(secure.code, secure.stdout + secure.stderr).toBe(0);
      expect(json<SendReport>(secure).deliveries.map((d) => d.status)).toEqual(['delivered']);
      const mail = receivedMail(tlsMail, join(tlsDir, 'att'));
      expect(mail.map((m) => [m.envelope.login, m.envelope.to[0]])).toEqual([['clerk', 'c-0001@example.com']]);
      const deliveries = JSON.stringify(json<unknown>(await cli('invoices', 'deliveries', '--format', 'json')));
      expect(deliveries).not.toContain(PASSWORD);
    } finally {
      await relay.stop();
    }
  });
});
