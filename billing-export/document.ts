// The finalized invoice or credit note as every renderer and push sees it: built by the ledger from its rows,
// never from a fresh rating, so what is rendered is exactly what was finalized.
import type { CreditUse, Fee, TaxSummary, UsageEvidence } from '../rating/fee.js';
import type { Dec } from '../rating/money.js';

/** A postal address in the shape UBL (cac:PostalAddress) and a printed letterhead both need. */
export interface PostalAddress {
  /** Street lines, first line first. */
  lines: string[];
  city?: string;
  postalCode?: string;
  /** State, province or region (cbc:CountrySubentity). */
  region?: string;
  /** ISO 3166-1 alpha-2, e.g. "DE", "US". Peppol requires it for seller and buyer. */
  countryCode: string;
}

export interface Party {
  /** The registered (legal) name. */
  legalName: string;
  /** Trading name when it differs. */
  tradingName?: string;
  address: PostalAddress;
  /** VAT/GST/sales-tax ids, the one used for invoicing first (e.g. "DE123456789"). */
  taxIds: string[];
  /** Company registration number (cac:PartyLegalEntity/cbc:CompanyID). */
  companyId?: string;
  /** Peppol electronic address (cbc:EndpointID), e.g. { scheme: '0088', id: '7300010000001' } or an email scheme. */
  endpoint?: { scheme: string; id: string };
  email?: string;
  phone?: string;
}

/** The seller's letterhead and how the customer pays: from config, copied into every document at finalization. */
export interface Branding {
  /** Path of a PNG or JPEG logo, relative to the config file. */
  logo?: string;
  /** CSS colours, e.g. "#0b5394". */
  primaryColor: string;
  accentColor: string;
  /** Lines under "How to pay": bank, IBAN/BIC, portal link. */
  paymentInstructions: string[];
  /** IBAN for UBL cac:PaymentMeans (credit transfer), when the seller takes transfers. */
  iban?: string;
  bic?: string;
  footer?: string;
}

/** One printed/exported line: a rated fee, or an adjustment for late usage of an earlier finalized period. */
export interface DocumentLine {
  /** 1-based line number, stable: the UBL cbc:ID and the CSV line column. */
  lineNo: number;
  kind: Fee['kind'] | 'adjustment';
  description: string;
  /** Service period of the line, [from, to) UTC ISO. */
  period: { from: string; to: string };
  quantity: Dec;
  /** Unit as rated: "month", "GB", "GiB", "Mbps", "block of 10 GB", "each". */
  unit: string;
  unitPrice: Dec;
  /** Net of tax, rounded to the currency. */
  net: Dec;
  /** As priced (gross for inclusive plans). */
  amount: Dec;
  taxCategory: string;
  taxes: Fee['taxes'];
  calculation: string[];
  evidence?: UsageEvidence;
  /** Whether `unitPrice` and `amount` include tax (inclusive plans); exclusive when absent. */
  prices?: Fee['prices'];
  /** Why a line carries no tax although tax could apply (the customer's exemption certificate): UBL category E. */
  taxExemptionReason?: string;
  /** For an adjustment: the earlier invoice whose period the late usage belongs to. */
  adjusts?: { invoiceNumber: string; period: { from: string; to: string } };
}

/** Daily usage of the period for the small chart, in the customer's zone. */
export interface DailyUsage {
  date: string;
  bytesDown: bigint;
  bytesUp: bigint;
}

export interface InvoiceDocument {
  kind: 'invoice' | 'credit_note';
  /** Formatted number, e.g. "INV-2025-000042" or "CN-2025-000003". */
  number: string;
  series: string;
  sequence: number;
  /** YYYY-MM-DD, the day it was finalized in the seller's zone. */
  issueDate: string;
  dueDate: string;
  seller: Party;
  buyer: Party & { customerId: string };
  branding: Branding;
  currency: string;
  period: { label: string; from: string; to: string; timezone: string };
  lines: DocumentLine[];
  /** Σ line net. */
  subtotal: Dec;
  taxes: TaxSummary[];
  taxTotal: Dec;
  total: Dec;
  credits: CreditUse[];
  amountDue: Dec;
  reverseCharge: boolean;
  notes: string[];
  /** A credit note names the invoice it corrects (UBL cac:BillingReference). */
  corrects?: { invoiceNumber: string; issueDate: string; reason: string };
  dailyUsage: DailyUsage[];
}
