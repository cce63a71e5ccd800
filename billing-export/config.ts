// The `billing:` config section: who sells (the seller Party on every document), letterhead, numbering, terms, schedule.
import { z } from 'zod';
import { timeZone as zone } from '../config/primitives.js';

const nonEmpty = z.string().min(1);

/** A string of a given shape; a refinement, so the loader quotes the bad value beside the message. */
function matching(pattern: RegExp, message: string) {
  return z.string().refine((s) => pattern.test(s), { message });
}


/**
 * A number format: literal text with {YYYY} (year of the issue date), {YY}, {MM} and exactly one {seq:0N}
 * (the gap-free sequence, zero-padded to N digits). The text with {seq…} removed names the series, so
 * "INV-{YYYY}-{seq:06}" restarts at 1 every year and "INV-{seq:06}" never does.
 */
export const numberFormat = z.string().refine((f) => {
  const seq = f.match(/\{seq(:0\d)?\}/g) ?? [];
  const rest = f.replace(/\{seq(:0\d)?\}|\{YYYY\}|\{YY\}|\{MM\}/g, '');
  return seq.length === 1 && !/[{}]/.test(rest);
}, { message: 'not a number format (expected text with {YYYY}, {YY}, {MM} and one {seq:0N}, e.g. "INV-{YYYY}-{seq:06}")' });

const seriesText = (format: string) => format.replace(/\{seq(:0\d)?\}/, '').replace(/[-_/.\s]+$/, '');

export const partySchema = z.strictObject({
  /** Registered (legal) name. */
  legalName: nonEmpty,
  /** Trading name, when it differs. */
  tradingName: nonEmpty.optional(),
  address: z.strictObject({
    /** Street lines, first line first. */
    lines: z.array(nonEmpty).min(1),
    city: nonEmpty.optional(),
    postalCode: nonEmpty.optional(),
    /** State, province or region. */
    region: nonEmpty.optional(),
    /** ISO 3166-1 alpha-2, e.g. "US", "DE". */
    countryCode: matching(/^[A-Z]{2}$/, 'not a country code (expected ISO 3166-1 alpha-2 such as "US" or "DE")'),
  }),
  /** VAT/GST/sales-tax ids, the one used for invoicing first. */
  taxIds: z.array(nonEmpty).default([]),
  /** Company registration number. */
  companyId: nonEmpty.optional(),
  /** Peppol electronic address, e.g. { scheme: "0088", id: "7300010000001" }. */
  endpoint: z.strictObject({ scheme: nonEmpty, id: nonEmpty }).optional(),
  email: nonEmpty.optional(),
  phone: nonEmpty.optional(),
});

const color = matching(/^#[0-9a-fA-F]{6}$/, 'not a colour (expected "#RRGGBB", e.g. "#0b5394")');

export const brandingSchema = z.strictObject({
  /** PNG or JPEG logo, relative to this config file. */
  logo: nonEmpty.optional(),
  primaryColor: color.default('#0b5394'),
  accentColor: color.default('#e69138'),
  /** Lines under "How to pay": bank, IBAN/BIC, portal link. */
  paymentInstructions: z.array(nonEmpty).default([]),
  /** IBAN for UBL PaymentMeans (credit transfer). */
  iban: nonEmpty.optional(),
  bic: nonEmpty.optional(),
  footer: nonEmpty.optional(),
});

/** Retries of a failed delivery: exponential backoff with jitter, persisted in the ledger (next_attempt_at). */
export const retrySchema = z.strictObject({
  /** Attempts in all, the first included; after the last failure the delivery is dead. */
  maxAttempts: z.number().int().min(1).max(50).default(8),
  /** Delay after the first failure; doubles with each attempt (±50 % jitter). */
  baseDelayMs: z.number().int().min(0).default(60_000),
  /** Longest delay between two attempts. */
  maxDelayMs: z.number().int().min(0).default(6 * 3_600_000),
});
const retryDefaults = { maxAttempts: 8, baseDelayMs: 60_000, maxDelayMs: 6 * 3_600_000 };

/** Placeholders a mail subject may use. */
export const SUBJECT_FIELDS = ['kind', 'number', 'period', 'seller', 'customer', 'total', 'currency', 'dueDate'] as const;

export const emailSchema = z.strictObject({
  smtp: z.strictObject({
    host: nonEmpty,
    /** 465 with secure: true, 587 (submission) with STARTTLS, 25 between servers. */
    port: z.number().int().min(1).max(65535).default(587),
    /** Implicit TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Without implicit TLS: "required" refuses a server that offers no STARTTLS, "opportunistic" uses it when offered, "off" never. */
    starttls: z.enum(['required', 'opportunistic', 'off']).default('required'),
    user: nonEmpty.optional(),
    /** SMTP password. Never logged. */
    password: nonEmpty.optional(),
    /** Per attempt: connect, greeting and each command. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** PEM file of CA certificates to trust besides the system's (a relay with a private CA); relative to this config file. */
    caFile: nonEmpty.optional(),
  }),
  /** The From header, e.g. "Mesa Wireless <billing@mesa.example>". */
  from: nonEmpty,
  /** Copies to these (e.g. the bookkeeper), in the envelope only. */
  bcc: z.array(matching(/^[^\s@]+@[^\s@]+$/, 'not an email address (expected e.g. "books@example.com")')).default([]),
  replyTo: nonEmpty.optional(),
  /** Subject template; placeholders {kind}, {number}, {period}, {seller}, {customer}, {total}, {currency}, {dueDate}. */
  subject: z.string().refine((t) => [...t.matchAll(/\{(\w+)\}/g)].every((m) => (SUBJECT_FIELDS as readonly string[]).includes(m[1]!)), {
    message: `unknown placeholder (expected {${SUBJECT_FIELDS.join('}, {')}})`,
  }).default('{kind} {number} from {seller}'),
  /** Attach the UBL 2.1 XML beside the PDF. */
  attachUbl: z.boolean().default(false),
  /** The HTML body: the whole rendered invoice, or a short note (the PDF is attached either way). */
  body: z.enum(['invoice', 'short']).default('invoice'),
  retry: retrySchema.default(retryDefaults),
}).refine((e) => (e.smtp.user === undefined) === (e.smtp.password === undefined), {
  path: ['smtp', 'user'], message: 'user and password go together (expected both, or neither for an open relay)',
});

export const webhookSchema = z.strictObject({
  /** Stable name of the endpoint: part of the Idempotency-Key, so keep it when the URL moves. */
  name: matching(/^[a-z0-9][a-z0-9_-]*$/, 'not an endpoint name (expected lower-case letters, digits, - and _, e.g. "erp")'),
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC-SHA256 key of X-Wispmeter-Signature. Never logged. */
  secret: z.string().min(16),
  /** Per attempt, from connect to the end of the response. */
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
});

const clockTime = matching(/^([01]\d|2[0-3]):[0-5]\d$/, 'not a time of day (expected "HH:MM", 00:00 to 23:59)');
const periodLabel = matching(/^\d{4}-(0[1-9]|1[0-2])$/, 'not a billing period (expected YYYY-MM, e.g. 2025-12)');

export const billingSchema = z.strictObject({
  /** The seller on every invoice and credit note. */
  seller: partySchema,
  branding: brandingSchema.default({ primaryColor: '#0b5394', accentColor: '#e69138', paymentInstructions: [] }),
  /** Zone of the seller: the issue date is the day an invoice is finalized there. */
  timezone: zone.default('UTC'),
  /** Number formats, one series each; credit notes never share the invoice series. */
  numbering: z.strictObject({
    invoice: numberFormat.default('INV-{YYYY}-{seq:06}'),
    creditNote: numberFormat.default('CN-{YYYY}-{seq:06}'),
  }).refine((n) => seriesText(n.invoice) !== seriesText(n.creditNote), {
    path: ['creditNote'], message: 'same series as numbering.invoice (expected a different prefix, e.g. "CN-{YYYY}-{seq:06}")',
  }).default({ invoice: 'INV-{YYYY}-{seq:06}', creditNote: 'CN-{YYYY}-{seq:06}' }),
  /** Due date = issue date + this many days. */
  paymentTermsDays: z.number().int().min(0).max(365).default(30),
  /** The ledger SQLite file; relative paths are under dataDir. */
  ledger: nonEmpty.default('ledger.sqlite'),
  /** Earlier finalized periods re-rated on each run, so late usage is billed as an adjustment line. */
  lateUsageLookback: z.number().int().min(0).max(24).default(3),
  schedule: z.strictObject({
    /** Local time, in each customer's zone, on their billing day when the period that just ended is billed. */
    at: clockTime.default('06:00'),
    /** First period the scheduler bills; earlier periods are left to `bill run`. */
    firstPeriod: periodLabel.optional(),
    /** How long a scheduler's lease lasts without a heartbeat before another may take over. */
    leaseMs: z.number().int().min(1000).default(60_000),
    /**
     * What the scheduler delivers by itself once a run has finalized invoices, as `invoices send` and `invoices push`
     * would, with their retries (billing.email.retry, billing.webhooks.retry) tried on its ticks.
     */
    deliver: z.strictObject({
      /** E-mail each scheduled invoice to the customer (needs billing.email). */
      email: z.boolean().default(false),
      /** Push each scheduled invoice to every endpoint (needs billing.webhooks). */
      webhooks: z.boolean().default(false),
      /** How often the scheduler looks for deliveries due for a retry, between billing moments. */
      retryEveryMs: z.number().int().min(1000).max(86_400_000).default(60_000),
    }).default({ email: false, webhooks: false, retryEveryMs: 60_000 }),
  }).default({ at: '06:00', leaseMs: 60_000, deliver: { email: false, webhooks: false, retryEveryMs: 60_000 } }),
  /** `invoices send`: each finalized document to the customer's catalog email, over SMTP. */
  email: emailSchema.optional(),
  /** `invoices push`: the canonical JSON of each finalized document, POSTed and signed. */
  webhooks: z.strictObject({
    endpoints: z.array(webhookSchema).min(1).refine((es) => new Set(es.map((e) => e.name)).size === es.length, { message: 'two endpoints share a name (expected unique names)' }),
    retry: retrySchema.default(retryDefaults),
  }).optional(),
}).superRefine((b, ctx) => {
  // A scheduler told to deliver over a channel that is not set up would bill and then never send.
  if (b.schedule.deliver.email && !b.email) {
    ctx.addIssue({ code: 'custom', path: ['schedule', 'deliver', 'email'], message: 'nothing to send with, no billing.email section (expected billing.email with smtp, from and subject, or email: false)' });
  }
  if (b.schedule.deliver.webhooks && !b.webhooks) {
    ctx.addIssue({ code: 'custom', path: ['schedule', 'deliver', 'webhooks'], message: 'nothing to push to, no billing.webhooks section (expected billing.webhooks with endpoints, or webhooks: false)' });
  }
});

export type BillingConfig = z.infer<typeof billingSchema>;
export type EmailConfig = z.infer<typeof emailSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type RetryPolicy = z.infer<typeof retrySchema>;
export type PartyConfig = z.infer<typeof partySchema>;
