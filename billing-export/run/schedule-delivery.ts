// What the scheduler delivers by itself (billing.schedule.deliver): its invoices by e-mail and webhook once they are
// finalized, and every delivery whose retry has come due. The same senders and ledger records as `invoices send|push`.
import type { Logger } from 'pino';
import type { Catalog } from '../../config/catalog-schema.js';
import type { BillingConfig } from '../config.js';
import type { InvoiceDocument } from '../document.js';
import type { Ledger } from '../ledger/ledger.js';
import { deliver, type DeliveryOutcome } from '../push/deliver.js';
import { type Channel, type Delivery, DeliveryLog } from '../push/delivery-log.js';
import { createMailer, type Mailer } from '../push/email.js';
import { type DocumentRef, emailDeliveries, emailSender, webhookDeliveries, webhookSender } from '../push/invoice-deliveries.js';
import type { HtmlOptions } from '../render/index.js';

/**
 * NOTE: only invoices of scheduled runs finalized in the last FRESH_DAYS are sent for the first time by the
 * scheduler, so that turning `deliver` on does not mail years of history; older ones are the clerk's, with
 * `invoices send|push --period`. A scheduler that was down longer than this after a run leaves them to the clerk too.
 */
export const FRESH_DAYS = 7;

export interface ScheduledDeliveryDeps {
  ledger: Ledger;
  catalog: Catalog;
  billing: BillingConfig;
  log: Logger;
  now: () => Date;
  /** Render options of a document (the letterhead logo), as `invoices send` gives them. */
  renderOptions?: (doc: InvoiceDocument) => HtmlOptions;
  /** Between two attempts: the scheduler renews its lease here (and throws when it has lost it). */
  beforeEach?: () => void;
  /** The mailer; tests may pass their own. Default: nodemailer over billing.email.smtp. */
  mailer?: (cfg: NonNullable<BillingConfig['email']>) => Mailer;
}

export interface DeliveryPassReport {
  outcomes: DeliveryOutcome[];
  /** Scheduled invoices whose customer has no e-mail address (catalog, else the document). */
  withoutAddress: DocumentRef[];
}

/** The channels the config asks the scheduler to deliver on (empty when `deliver` is off). */
export function scheduledChannels(billing: BillingConfig): Channel[] {
  const d = billing.schedule.deliver;
  return [...(d.email && billing.email ? ['email' as const] : []), ...(d.webhooks && billing.webhooks ? ['webhook' as const] : [])];
}

/** Finalized invoices of scheduled runs since `since` with no attempt yet on the channel (and target), by run and number. */
function undelivered(ledger: Ledger, since: Date, channel: Channel, target?: string): DocumentRef[] {
  // CROSS JOIN keeps the few recent runs outside, so only their invoices are read, from the covering index invoice_run.
  return ledger.db.prepare(`
    SELECT i.id AS invoiceId, i.number, i.customer_id AS customerId FROM billing_run r CROSS JOIN invoice i
    WHERE i.run_id = r.id AND r.trigger = 'schedule' AND r.started_at >= @since AND i.status = 'finalized'
      AND NOT EXISTS (SELECT 1 FROM delivery_attempt d WHERE d.invoice_id = i.id AND d.channel = @channel AND (@target IS NULL OR d.target = @target))
    ORDER BY r.id, i.number`).all({ since: since.toISOString(), channel, target: target ?? null }) as DocumentRef[];
}

/**
 * One delivery pass: the scheduled invoices not yet sent on a channel, then whatever waits for a retry (due ones are
 * attempted, the others skipped). Each delivery is claimed in the ledger before it is attempted, so a pass that races
 * `invoices send` or another scheduler never sends a document twice, and one cut short resumes on the next pass.
 */
export async function deliverScheduled(deps: ScheduledDeliveryDeps): Promise<DeliveryPassReport> {
  const channels = scheduledChannels(deps.billing);
  const report: DeliveryPassReport = { outcomes: [], withoutAddress: [] };
  if (channels.length === 0) return report;
  const log = new DeliveryLog(deps.ledger);
  const since = new Date(deps.now().getTime() - FRESH_DAYS * 86_400_000);
  const withRetries = (fresh: Delivery[], channel: Channel): Delivery[] => {
    const keys = new Set(fresh.map((d) => d.key));
    return [...fresh, ...log.unfinished(channel).filter((d) => !keys.has(d.key))];
  };
  const email = deps.billing.email;
  if (channels.includes('email') && email) {
    // As `invoices send`: the catalog's address now, else the one on the document.
    const customers = new Map(deps.catalog.customers.map((c) => [c.id, c]));
    const recipientOf = (d: DocumentRef) => {
      const customer = customers.get(d.customerId);
      return customer ? customer.email : deps.ledger.document(d.number).buyer.email;
    };
    const fresh = emailDeliveries(undelivered(deps.ledger, since, 'email'), recipientOf);
    report.withoutAddress.push(...fresh.missing);
    const deliveries = withRetries(fresh.deliveries, 'email');
    if (deliveries.length > 0) {
      const mailer = (deps.mailer ?? createMailer)(email);
      try {
        report.outcomes.push(...await deliver(deliveries, emailSender(deps.ledger, mailer, email, deps.renderOptions), log, {
          policy: email.retry, now: deps.now, ...(deps.beforeEach ? { beforeEach: deps.beforeEach } : {}),
        }));
      } finally {
        mailer.close();
      }
    }
  }
  const webhooks = deps.billing.webhooks;
  if (channels.includes('webhook') && webhooks) {
    const fresh = webhooks.endpoints.flatMap((e) => webhookDeliveries(undelivered(deps.ledger, since, 'webhook', e.name), [e]));
    const deliveries = withRetries(fresh, 'webhook');
    // The signature's timestamp is the wall clock (receivers check it); deps.now decides what is due.
    if (deliveries.length > 0) {
      report.outcomes.push(...await deliver(deliveries, webhookSender(deps.ledger, webhooks.endpoints, () => new Date()), log, {
        policy: webhooks.retry, now: deps.now, ...(deps.beforeEach ? { beforeEach: deps.beforeEach } : {}),
      }));
    }
  }
  const count = (s: DeliveryOutcome['status']) => report.outcomes.filter((o) => o.status === s).length;
  if (report.outcomes.length > 0 || report.withoutAddress.length > 0) {
    deps.log.info({ delivered: count('delivered'), retry: count('retry'), dead: count('dead'), notDue: count('skipped'), withoutAddress: report.withoutAddress.length }, 'scheduled deliveries');
  }
  for (const o of report.outcomes) {
    if (o.status === 'dead') deps.log.warn({ number: o.delivery.number, channel: o.delivery.channel, target: o.delivery.target, error: o.row.error }, 'delivery dead: no more attempts');
  }
  // Every pass finds them again: said at debug level, and in `bill schedule --once`'s summary.
  for (const d of report.withoutAddress) deps.log.debug({ number: d.number, customerId: d.customerId }, 'no e-mail address: invoice not sent');
  return report;
}
