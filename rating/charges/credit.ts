// Credits: prepaid or goodwill balances applied to an invoice total after tax, oldest first; what is left carries over.
import type { CreditUse } from '../fee.js';
import { type Dec, min, ZERO } from '../money.js';

export interface CreditBalance {
  creditId: string;
  reason: string;
  /** Balance still available (a billing ledger tracks use across invoices; rating is given it). */
  available: Dec;
}

/** Never takes the amount due below zero: a credit larger than the invoice leaves the rest as `remaining`. */
export function applyCredits(total: Dec, credits: readonly CreditBalance[]): { uses: CreditUse[]; due: Dec } {
  let due = total.gt(ZERO) ? total : ZERO;
  const uses = credits.map((c) => {
    const applied = min(c.available, due);
    due = due.minus(applied);
    return { creditId: c.creditId, reason: c.reason, available: c.available, applied, remaining: c.available.minus(applied) };
  });
  return { uses, due };
}
