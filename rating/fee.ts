// What rating produces: fees (line items) with the evidence they were computed from, and the rated invoice of a period.
import type { Dec } from './money.js';

/** Where the bytes of a usage fee came from, so a clerk can answer a dispute without re-running anything. */
export interface UsageEvidence {
  /** The queries the store ran (SQL or InfluxQL). */
  queries: string[];
  store: string;
  /** Bucket size the rows were read at; 'total' is one sum per stretch of the period between plan changes, starts, ends and suspensions. */
  step: '5m' | '1h' | '1d' | 'total';
  subscribers: string[];
  /** [from, to) UTC ISO spans the usage was read over (active service only). */
  spans: { from: string; to: string }[];
  direction: 'down' | 'up' | 'both';
  rows: number;
  bytesDown: bigint;
  bytesUp: bigint;
  /** Bytes the charge counted, after direction, windows and classes. */
  bytesCounted: bigint;
  /** Bytes in unmetered windows (customer's zone) and excluded classes, not charged. */
  bytesUnmetered: bigint;
  bytesExcludedClasses: bigint;
  /** Bytes (down + up) by source when read per source for precedence; under "all" otherwise. */
  bySource: Record<string, bigint>;
  /** Free-form notes: filters that could not be applied, percentile sample counts. */
  notes: string[];
}

export interface TaxLine {
  rateId: string;
  name: string;
  rate: Dec;
  compound: boolean;
  /** Base the rate was applied to. */
  base: Dec;
  /** Rounded to the currency (per-line rounding) or exact (per-invoice rounding: the invoice rounds the sum). */
  amount: Dec;
}

export type FeeKind = 'flat' | 'per_unit' | 'graduated' | 'volume' | 'package' | 'quota_overage' | 'percentile_commit' | 'percentile_burst' | 'one_off' | 'discount';

export interface Fee {
  customerId: string;
  subscriptionId: string;
  planId: string;
  chargeId: string;
  kind: FeeKind;
  description: string;
  /** Service period of this line, [from, to) UTC ISO. */
  period: { from: string; to: string };
  quantity: Dec;
  unit: string;
  unitPrice: Dec;
  /** As priced, rounded to the currency: gross when the plan's prices include tax, net otherwise. */
  amount: Dec;
  prices: 'exclusive' | 'inclusive';
  /** Net of tax (equals amount for exclusive prices). */
  net: Dec;
  taxCategory: string;
  taxes: TaxLine[];
  /** advance or arrears for recurring fees: which invoice it lands on is billing's choice. */
  billing?: 'advance' | 'arrears';
  /** How the amount was reached, in words and numbers: "16/31 days of 49.00", tier breakdown, blocks. */
  calculation: string[];
  evidence?: UsageEvidence;
}

export interface TaxSummary {
  rateId: string;
  name: string;
  rate: Dec;
  base: Dec;
  amount: Dec;
}

export interface CreditUse {
  creditId: string;
  reason: string;
  available: Dec;
  applied: Dec;
  remaining: Dec;
}

export interface RatedInvoice {
  customerId: string;
  period: { label: string; from: string; to: string; timezone: string };
  currency: string;
  fees: Fee[];
  /** Σ fee net. */
  subtotal: Dec;
  taxes: TaxSummary[];
  taxTotal: Dec;
  /** subtotal + taxTotal. */
  total: Dec;
  credits: CreditUse[];
  /** total − credits applied; never negative (unused credit carries over). */
  amountDue: Dec;
  reverseCharge: boolean;
  notes: string[];
}
