// The rating catalog, declared once: plans with their charges, taxes, and customers with subscriptions and identities.
import { z } from 'zod';
import { BYTE_UNITS, type ByteUnit } from '../rating/bytes.js';
import { DECIMAL_TEXT, type Dec, dec, isKnownCurrency } from '../rating/money.js';
import { timeZone } from './primitives.js';
import { cidr } from './schema.js';

/**
 * A decimal as written: "29.99" (quoted, preferred) or 29.99. A YAML number is read back through its shortest
 * text form, which is what was written for up to 15 significant digits; exponents are refused.
 */
export const decimal = z.union([z.string(), z.number()]).transform((v, ctx): Dec => {
  const text = typeof v === 'number' ? String(v) : v.trim();
  if (!DECIMAL_TEXT.test(text)) {
    ctx.addIssue({ code: 'custom', message: `not a decimal (expected e.g. "29.99" or "0.0625", quoted)` });
    return z.NEVER;
  }
  return dec(text);
});

export const nonNegativeDecimal = decimal.refine((d) => d.gte(dec('0')), { message: 'negative (expected a decimal ≥ 0)' });

/** ISO 4217 code with known minor units (rating/money.ts); an unknown code is refused, never assumed to be 2 digits. */
export const currency = z.string().refine(isKnownCurrency, { message: 'unknown currency (expected an ISO 4217 code such as USD, EUR, JPY, KWD)' });

export { timeZone };

/** A local calendar day "2025-12-17" (start of that day in the customer's zone), or an instant with offset. */
export const dateOrInstant = z.string().refine(
  (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) ? !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  { message: 'not a date (expected "YYYY-MM-DD" in the customer\'s zone, or an instant such as "2025-12-17T08:30:00Z")' },
);

export const byteUnit = z.enum(BYTE_UNITS as [ByteUnit, ...ByteUnit[]]);
const id = z.string().min(1).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { message: 'not an id (expected letters, digits and . _ : -)' });
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { message: 'not a time of day (expected "HH:MM", 00:00 to 24:00)' });

/** A time-of-day window in the customer's zone: [from, to) on the given days; `to` before `from` crosses midnight. */
export const windowSchema = z.strictObject({
  days: z.array(weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
  from: clock,
  to: clock,
});

/** Which usage a charge counts. */
export const usageFilterSchema = z.strictObject({
  /** Direction from the subscriber: down (to it), up (from it), both (sum). */
  direction: z.enum(['down', 'up', 'both']).default('both'),
  /** Sources in order of precedence: per subscriber, the first that has usage in the period is used. */
  sources: z.array(z.enum(['radius', 'netflow', 'snmp', 'routeros'])).min(1).optional(),
  /** Traffic classes not counted (e.g. "zero-rated"). */
  excludeClasses: z.array(z.string().min(1)).default([]),
  /** Windows in the customer's zone whose usage is free (e.g. nights 00:00–06:00, weekends). */
  unmetered: z.array(windowSchema).default([]),
});

const usage = usageFilterSchema.default({ direction: 'both', excludeClasses: [], unmetered: [] });

const chargeBase = {
  /** Unique within the plan; fees and discounts refer to it. */
  id,
  /** Shown on the invoice; defaults to a description built from the model. */
  description: z.string().min(1).optional(),
  /** Product category, which picks the tax rates (taxes.categories). */
  taxCategory: z.string().min(1),
};

/** A tier: [from, upTo) in the charge's unit; the last tier has no upTo. */
export const tierSchema = z.strictObject({
  from: nonNegativeDecimal,
  upTo: nonNegativeDecimal.optional(),
  unitPrice: nonNegativeDecimal,
  /** Charged once when any usage falls in this tier. */
  flatFee: nonNegativeDecimal.optional(),
});

export const chargeSchema = z.discriminatedUnion('model', [
  z.strictObject({ ...chargeBase, model: z.literal('flat'), price: decimal, billing: z.enum(['advance', 'arrears']).default('advance') }),
  z.strictObject({ ...chargeBase, model: z.literal('per_unit'), unit: byteUnit, unitPrice: nonNegativeDecimal, usage }),
  z.strictObject({ ...chargeBase, model: z.literal('graduated'), unit: byteUnit, tiers: z.array(tierSchema).min(1), usage }),
  z.strictObject({ ...chargeBase, model: z.literal('volume'), unit: byteUnit, tiers: z.array(tierSchema).min(1), usage }),
  z.strictObject({
    ...chargeBase, model: z.literal('package'), unit: byteUnit,
    /** Size of one block in `unit`; usage is rounded up to whole blocks. */
    blockSize: nonNegativeDecimal, blockPrice: nonNegativeDecimal,
    /** Blocks included at no charge. */
    freeBlocks: z.number().int().nonnegative().default(0), usage,
  }),
  z.strictObject({
    ...chargeBase, model: z.literal('quota_overage'), unit: byteUnit,
    /** Allowance in `unit` per full period. */
    included: nonNegativeDecimal,
    /** Overage is rounded up to whole blocks of this size (in `unit`), each at blockPrice. */
    overageBlock: nonNegativeDecimal, overageBlockPrice: nonNegativeDecimal,
    /** Shrink the allowance with the active share of the period (starts, ends, suspensions). */
    prorateAllowance: z.boolean().default(true), usage,
  }),
  z.strictObject({
    ...chargeBase, model: z.literal('percentile'),
    percentile: z.number().int().min(1).max(100).default(95),
    /** max: the higher of the in and out percentiles; sum: the percentile of in + out per sample. */
    measure: z.enum(['max', 'sum']).default('max'),
    /** Committed rate in Mbps (10^6 bits/s), billed at commitPrice per period whatever the usage. */
    committedMbps: nonNegativeDecimal, commitPrice: nonNegativeDecimal,
    /** Price per Mbps of the percentile above the commitment. */
    burstPricePerMbps: nonNegativeDecimal, usage,
  }),
  z.strictObject({ ...chargeBase, model: z.literal('one_off'), price: decimal, on: z.enum(['start']).default('start') }),
  z.strictObject({
    ...chargeBase, model: z.literal('discount'),
    percent: nonNegativeDecimal.optional(), amount: nonNegativeDecimal.optional(),
    /** Charge ids it reduces; all recurring and usage charges of the plan when absent. */
    appliesTo: z.array(id).optional(),
    /** Only in the first N billing periods of the subscription (time-limited promotion). */
    firstPeriods: z.number().int().positive().optional(),
  }),
]);

export const planSchema = z.strictObject({
  id,
  name: z.string().min(1),
  currency,
  /** Whether prices already include tax (consumer pricing in the EU) or tax is added on top. */
  prices: z.enum(['exclusive', 'inclusive']).default('exclusive'),
  /** Proration for partial periods: by local calendar day, by second, or none (full charge). */
  proration: z.enum(['day', 'second', 'none']).default('day'),
  charges: z.array(chargeSchema).min(1),
});

export const taxRateSchema = z.strictObject({
  id,
  name: z.string().min(1),
  /** e.g. "US-TX", "CA-QC", "DE". A customer's tax.jurisdiction picks its rates. */
  jurisdiction: z.string().min(1),
  /** Product categories it applies to. */
  categories: z.array(z.string().min(1)).min(1),
  /** Fraction, "0.0625" for 6.25 %. */
  rate: nonNegativeDecimal,
  /** Compound: applied to the net plus the non-compound taxes before it (in list order). */
  compound: z.boolean().default(false),
});

export const plansFileSchema = z.strictObject({
  rounding: z.strictObject({
    mode: z.enum(['HALF_UP', 'HALF_EVEN']).default('HALF_UP'),
    /** Tax rounded on each line then summed, or once per rate on the invoice's summed bases. */
    tax: z.enum(['per_line', 'per_invoice']).default('per_line'),
    /**
     * Prices (flat and one-off prices, commitments, fixed discounts) with more decimals than the currency: `currency`
     * refuses them at load (file, line, key); `exact` accepts them, prorates from the exact price and rounds once,
     * at the fee line (docs/rating.md "Prices with more decimals than the currency").
     */
    pricePrecision: z.enum(['currency', 'exact']).default('currency'),
  }).default({ mode: 'HALF_UP', tax: 'per_line', pricePrecision: 'currency' }),
  taxes: z.strictObject({
    categories: z.array(z.string().min(1)).min(1),
    rates: z.array(taxRateSchema).default([]),
  }),
  plans: z.array(planSchema).min(1),
});

const period = z.strictObject({ from: dateOrInstant, to: dateOrInstant.optional() });

export const subscriptionSchema = z.strictObject({
  id,
  plan: id,
  /** First day of service. */
  start: dateOrInstant,
  /** First day without service (exclusive); open-ended when absent. */
  end: dateOrInstant.optional(),
  /** Plan changes: from `date` on, the subscription is on `plan`. */
  changes: z.array(z.strictObject({ date: dateOrInstant, plan: id })).default([]),
  /** Suspensions [from, to): nothing recurring is billed and allowances shrink. */
  suspensions: z.array(period).default([]),
  /** Customer-specific discounts, limited to [from, to). */
  discounts: z.array(z.strictObject({
    id, description: z.string().min(1).optional(),
    percent: nonNegativeDecimal.optional(), amount: nonNegativeDecimal.optional(),
    appliesTo: z.array(id).optional(), from: dateOrInstant.optional(), to: dateOrInstant.optional(),
  })).default([]),
  /** One-off charges on a date (installation, equipment). */
  oneOff: z.array(z.strictObject({ id, description: z.string().min(1), price: decimal, date: dateOrInstant, taxCategory: z.string().min(1) })).default([]),
});

/** A structured postal address for invoices (UBL cac:PostalAddress, the printed customer block). */
export const postalAddressSchema = z.strictObject({
  /** Street lines, first line first. */
  lines: z.array(z.string().min(1)).min(1),
  city: z.string().min(1).optional(),
  postalCode: z.string().min(1).optional(),
  /** State, province or region. */
  region: z.string().min(1).optional(),
  /** ISO 3166-1 alpha-2 (Peppol requires it for seller and buyer). */
  countryCode: z.string().refine((s) => /^[A-Z]{2}$/.test(s), { message: 'not a country code (expected ISO 3166-1 alpha-2 in capitals, e.g. "DE", "US")' }),
});

/** A Peppol electronic address (UBL cbc:EndpointID with its EAS scheme, e.g. 0088 GLN, 0192 Norway org no, 9930 DE VAT, EM email). */
export const peppolEndpointSchema = z.strictObject({
  scheme: z.string().refine((s) => /^(\d{4}|[A-Z]{2})$/.test(s), { message: 'not an EAS scheme (expected a code such as "0088", "0192", "9930" or "EM")' }),
  id: z.string().min(1),
});

export const customerSchema = z.strictObject({
  id,
  legalName: z.string().min(1),
  /** Trading name shown beside the legal name when it differs. */
  tradingName: z.string().min(1).optional(),
  /** Free-text address (one line, as a CRM exports it); `postalAddress` wins on invoices when both are given. */
  address: z.string().default(''),
  /** Structured address for invoices: needed for a Peppol UBL invoice (country code). */
  postalAddress: postalAddressSchema.optional(),
  /** Where invoices are sent, and the buyer's contact on them. */
  email: z.string().refine((s) => /^[^\s@]+@[^\s@]+$/.test(s), { message: 'not an email address (expected e.g. "billing@example.com")' }).optional(),
  /** Peppol participant id: an invoice is Peppol BIS 3 only when both seller and buyer have one. */
  endpoint: peppolEndpointSchema.optional(),
  /** Company registration number (UBL cac:PartyLegalEntity/cbc:CompanyID). */
  companyId: z.string().min(1).optional(),
  taxIds: z.array(z.string().min(1)).default([]),
  currency,
  timezone: timeZone,
  /** Day of month the billing period starts, 1–28 so every month has it. */
  billingDay: z.number().int().min(1).max(28).default(1),
  tax: z.strictObject({
    jurisdiction: z.string().min(1),
    /** Tax rate ids this customer is exempt from (certificate on file). */
    exemptions: z.array(id).default([]),
    /** Reverse charge: no tax is charged; the customer self-assesses (B2B cross-border). */
    reverseCharge: z.boolean().default(false),
  }),
  /** The identities that tie usage to the customer, as the collectors name subscribers. */
  subscribers: z.strictObject({
    radius: z.array(z.string().min(1)).default([]),
    ips: z.array(cidr).default([]),
    macs: z.array(z.string().regex(/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i, { message: 'not a MAC address (expected e.g. "aa:bb:cc:dd:ee:ff")' })).default([]),
    queues: z.array(z.string().min(1)).default([]),
  }).default({ radius: [], ips: [], macs: [], queues: [] }),
  subscriptions: z.array(subscriptionSchema).default([]),
  /** Prepaid or goodwill credit, applied to the invoice total after tax in date order; what is left carries over. */
  credits: z.array(z.strictObject({ id, amount: nonNegativeDecimal, date: dateOrInstant, reason: z.string().min(1) })).default([]),
});

export const customersFileSchema = z.strictObject({ customers: z.array(customerSchema).default([]) });

export type Charge = z.output<typeof chargeSchema>;
export type ChargeModel = Charge['model'];
export type ChargeOf<M extends ChargeModel> = Extract<Charge, { model: M }>;
export type Tier = z.output<typeof tierSchema>;
export type UsageFilterSpec = z.output<typeof usageFilterSchema>;
export type TimeWindowSpec = z.output<typeof windowSchema>;
export type Plan = z.output<typeof planSchema>;
export type TaxRate = z.output<typeof taxRateSchema>;
export type PlansFile = z.output<typeof plansFileSchema>;
export type Subscription = z.output<typeof subscriptionSchema>;
export type Customer = z.output<typeof customerSchema>;
export type PostalAddressSpec = z.output<typeof postalAddressSchema>;

/** Everything rating needs besides usage. */
export interface Catalog {
  rounding: PlansFile['rounding'];
  taxes: PlansFile['taxes'];
  plans: ReadonlyMap<string, Plan>;
  customers: readonly Customer[];
}
