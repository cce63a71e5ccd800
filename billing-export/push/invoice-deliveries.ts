// Which deliveries a batch of finalized documents makes (one per recipient and channel), and each channel's sender.
import type { EmailConfig, WebhookConfig } from '../config.js';
import type { InvoiceDocument } from '../document.js';
import type { Ledger } from '../ledger/ledger.js';
import { type HtmlOptions, renderHtml, renderPdf, renderUbl } from '../render/index.js';
import type { DeliverySender } from './deliver.js';
import { type Delivery, deliveryKey } from './delivery-log.js';
import { mailMessageId, type Mailer } from './email.js';
import { postWebhook } from './webhook.js';

/** A finalized invoice or credit note to deliver. */
export interface DocumentRef {
  invoiceId: number;
  number: string;
  customerId: string;
}

/** The documents named, or every finalized document of a period (invoices and credit notes), in issue order. */
export function documentsToDeliver(ledger: Ledger, sel: { numbers?: readonly string[]; period?: string }): DocumentRef[] {
  if (sel.numbers && sel.numbers.length > 0) {
    return sel.numbers.map((n) => {
      const row = ledger.row(n);
      if (!row) throw new Error(`no finalized invoice or credit note numbered ${n} (see \`wispmeter invoices list\`)`);
      return { invoiceId: row.id, number: n, customerId: row.customer_id };
    });
  }
  return ledger.balances().filter((b) => b.period === sel.period).map((b) => ({ invoiceId: b.id, number: b.number, customerId: b.customerId }));
}

/**
 * One e-mail delivery per document with a recipient; the documents of customers without an address come back as
 * `missing`, for the clerk to see.
 */
export function emailDeliveries(docs: readonly DocumentRef[], recipientOf: (d: DocumentRef) => string | undefined): { deliveries: Delivery[]; missing: DocumentRef[] } {
  const deliveries: Delivery[] = [];
  const missing: DocumentRef[] = [];
  for (const d of docs) {
    const to = recipientOf(d);
    if (to === undefined) missing.push(d);
    else deliveries.push({ invoiceId: d.invoiceId, number: d.number, channel: 'email', target: to, key: deliveryKey('email', d.number, to) });
  }
  return { deliveries, missing };
}

/** One webhook delivery per document and endpoint; the target is the endpoint's name (its URL may carry a token). */
export function webhookDeliveries(docs: readonly DocumentRef[], endpoints: readonly WebhookConfig[]): Delivery[] {
  return docs.flatMap((d) => endpoints.map((e): Delivery => ({ invoiceId: d.invoiceId, number: d.number, channel: 'webhook', target: e.name, key: deliveryKey('webhook', d.number, e.name) })));
}

/** Renders each document as stored at finalization (HTML body, PDF, UBL when configured) and mails it. */
export function emailSender(ledger: Ledger, mailer: Mailer, cfg: EmailConfig, renderOptions: (doc: InvoiceDocument) => HtmlOptions = () => ({})): DeliverySender {
  return {
    async send(d, { round }) {
      const doc = ledger.document(d.number);
      const render = renderOptions(doc);
      const pdf = await renderPdf(doc, render);
      return mailer.send({
        to: d.target, doc, html: renderHtml(doc, render), pdf, ...(cfg.attachUbl ? { ubl: renderUbl(doc) } : {}),
        messageId: mailMessageId(d.key, round, cfg.from),
      });
    },
  };
}

/** POSTs the stored canonical JSON, byte for byte, to the endpoint the delivery names. */
export function webhookSender(ledger: Ledger, endpoints: readonly WebhookConfig[], now: () => Date): DeliverySender {
  return {
    async send(d) {
      const endpoint = endpoints.find((e) => e.name === d.target);
      // An endpoint removed from the config while a retry waited: nothing to send it to, ever.
      if (!endpoint) return { status: 'failed', error: `webhook ${d.target}: no longer configured (billing.webhooks.endpoints)` };
      const row = ledger.row(d.number);
      if (!row?.document_json) return { status: 'failed', error: `no finalized document numbered ${d.number}` };
      return postWebhook({ endpoint, body: row.document_json, idempotencyKey: d.key, documentNumber: d.number, now: now() });
    },
  };
}
