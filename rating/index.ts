// The rating engine's public surface: what the CLI and billing import. Pure except ratePeriod, which reads a UsageStore.
export { rateCustomer, ratePeriod, readCustomerUsage, subscribersOf, customerPeriod, usageStepFor, usagePerSourceFor, type RateOptions, type RatePeriodOptions } from './rate.js';
export { formatRated, invoiceToJson, invoiceToTable } from './invoice-json.js';
export type { Fee, FeeKind, RatedInvoice, TaxLine, TaxSummary, CreditUse, UsageEvidence } from './fee.js';
export type { CustomerUsage, UsageRow, UsageSourceName } from './usage.js';
export { type Dec, dec, formatMoney, roundMoney, minorUnits, MINOR_UNITS, type RoundingMode } from './money.js';
export { BYTES_PER_UNIT, bytesTo, type ByteUnit } from './bytes.js';
export { billingPeriod, type Period } from './calendar.js';
