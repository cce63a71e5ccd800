// The e-mail transport: a finalized document to the customer over SMTP (nodemailer), the PDF (and UBL) attached.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { EmailConfig } from '../config.js';
import type { InvoiceDocument } from '../document.js';
import { escapeHtml } from '../render/html.js';
import { formatMoney } from '../../rating/money.js';
import type { AttemptResult } from './delivery-log.js';

export interface InvoiceMail {
  to: string;
  doc: InvoiceDocument;
  /** The rendered invoice; used as the body when `email.body` is "invoice". */
  html: string;
  pdf: Buffer;
  ubl?: string;
  /** The same for every attempt of a round: a receiver that saw it already can drop the repeat. */
  messageId: string;
}

export interface Mailer {
  send(mail: InvoiceMail): Promise<AttemptResult>;
  close(): void;
}

/** A Message-ID derived from the delivery key and round, at the From address's domain. */
export function mailMessageId(key: string, round: number, from: string): string {
  const domain = /@([^\s>@]+)>?\s*$/.exec(from)?.[1] ?? 'wispmeter.invalid';
  return `<${createHash('sha256').update(`${key}#${round}`).digest('hex').slice(0, 32)}@${domain}>`;
}

export function mailSubject(cfg: EmailConfig, doc: InvoiceDocument): string {
  const fields: Record<string, string> = {
    kind: doc.kind === 'invoice' ? 'Invoice' : 'Credit note', number: doc.number, period: doc.period.label,
    seller: doc.seller.tradingName ?? doc.seller.legalName, customer: doc.buyer.legalName, total: formatMoney(doc.total, doc.currency),
    currency: doc.currency, dueDate: doc.dueDate,
  };
  return cfg.subject.replace(/\{(\w+)\}/g, (m, k: string) => fields[k] ?? m);
}

function shortText(doc: InvoiceDocument): string {
  const what = doc.kind === 'invoice' ? 'invoice' : 'credit note';
  const due = doc.kind === 'invoice' ? `, due ${doc.dueDate}` : '';
  return `Please find attached ${what} ${doc.number} for ${doc.period.label}: ${formatMoney(doc.amountDue, doc.currency)} ${doc.currency}${due}.`;
}

export function createMailer(cfg: EmailConfig): Mailer {
  const smtp = cfg.smtp;
  const options: SMTPTransport.Options = {
    host: smtp.host, port: smtp.port, secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls === 'required', ignoreTLS: !smtp.secure && smtp.starttls === 'off',
    connectionTimeout: smtp.timeoutMs, greetingTimeout: smtp.timeoutMs, socketTimeout: smtp.timeoutMs,
    ...(smtp.user && smtp.password ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    ...(smtp.caFile ? { tls: { ca: readCa(smtp.caFile) } } : {}),
  };
  const transport = nodemailer.createTransport(options);
  const secrets = smtp.password ? [smtp.password, Buffer.from(smtp.password).toString('base64')] : [];
  return {
    async send(mail) {
      const text = shortText(mail.doc);
      try {
        const info = await transport.sendMail({
          from: cfg.from, to: mail.to, ...(cfg.bcc.length > 0 ? { bcc: cfg.bcc } : {}), ...(cfg.replyTo ? { replyTo: cfg.replyTo } : {}),
          subject: mailSubject(cfg, mail.doc), messageId: mail.messageId, text,
          html: cfg.body === 'invoice' ? mail.html : `<p>${escapeHtml(text)}</p>`,
          attachments: [
            { filename: `${mail.doc.number}.pdf`, content: mail.pdf, contentType: 'application/pdf' },
            ...(mail.ubl !== undefined ? [{ filename: `${mail.doc.number}.xml`, content: mail.ubl, contentType: 'application/xml' }] : []),
          ],
        });
        // The server may accept the copies (bcc) and refuse the customer: that is not a delivery. A 4xx refusal
        // (greylisting, a full mailbox) is retried; the copies then go out again with the same Message-ID.
        const refused = refusalOf(info, mail.to);
        if (refused) return classify(refused, secrets);
        return { status: 'ok', messageId: mail.messageId };
      } catch (err) {
        return classify(refusalOf(err, mail.to) ?? err, secrets);
      }
    },
    close() {
      transport.close();
    },
  };
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`billing.email.smtp.caFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The customer's own refusal among a message's or error's per-recipient errors (bcc refusals do not count). */
function refusalOf(x: unknown, to: string): { code: string; responseCode?: number; message: string; refusal: true } | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const errors = (x as { rejectedErrors?: { recipient?: string; responseCode?: number; response?: string }[] }).rejectedErrors ?? [];
  const e = errors.find((r) => r.recipient?.toLowerCase() === to.toLowerCase());
  return e ? { code: 'EENVELOPE', ...(e.responseCode !== undefined ? { responseCode: e.responseCode } : {}), message: `${to} refused: ${e.response ?? 'no reply'}`, refusal: true } : undefined;
}

/**
 * Permanent: a 5xx refusal of the customer's address (no such mailbox) or of the message itself (DATA). Everything
 * else is retried: the server down, 4xx "try later", and a 5xx to MAIL FROM, TLS or login — those refuse every
 * document alike and are the operator's to fix, not a reason to give up on this one.
 */
function classify(err: unknown, secrets: readonly string[]): AttemptResult {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; responseCode?: number; message?: string; refusal?: boolean };
  const error = scrub(`smtp${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(err)}`, secrets);
  const permanent = (e.refusal === true || e.code === 'EMESSAGE') && e.responseCode !== undefined && e.responseCode >= 500;
  return permanent ? { status: 'failed', error } : { status: 'retryable', error };
}

/** A server may echo what it was sent; the password never reaches the ledger or a log. */
function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
}
