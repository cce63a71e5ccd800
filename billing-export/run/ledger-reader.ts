// What a billing run reads from the ledger before rating; a dry run reads it without ever writing (or creating) the file.
import { existsSync } from 'node:fs';
import type { Dec } from '../../rating/money.js';
import { Ledger } from '../ledger/ledger.js';

export type LedgerReader = Pick<Ledger, 'finalizedNumber' | 'finalizedCustomers' | 'hasInvoices' | 'creditBalances' | 'pendingCharges' | 'earlierInvoices'>;

/** A ledger with nothing in it: what a dry run sees before the first real run has created the file. */
export const EMPTY_LEDGER: LedgerReader = {
  finalizedNumber: () => undefined,
  finalizedCustomers: () => new Set<string>(),
  hasInvoices: () => false,
  creditBalances: () => new Map<string, Dec>(),
  pendingCharges: () => [],
  earlierInvoices: () => [],
};

/** The ledger for reading only: an existing file opened read-only (not migrated), or the empty ledger. */
export function openLedgerForReading(path: string): { reader: LedgerReader; close: () => void } {
  if (!existsSync(path)) return { reader: EMPTY_LEDGER, close: () => {} };
  const ledger = Ledger.open(path, { readOnly: true });
  return { reader: ledger, close: () => ledger.close() };
}
