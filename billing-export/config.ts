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
  }).default({ at: '06:00', leaseMs: 60_000 }),
});

export type BillingConfig = z.infer<typeof billingSchema>;
export type PartyConfig = z.infer<typeof partySchema>;
