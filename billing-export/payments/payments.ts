// Payments in the ledger: imported once by reference, allocated to finalized invoices (the named one first, then
// the customer's oldest open ones in the same currency); what cannot be allocated waits for the next invoice.
import { type Dec, dec, min, sum, ZERO } from '../../rating/money.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PaymentInput } from './payments-csv.js';

export interface ImportOutcome {
  reference: string;
  status: 'imported' | 'duplicate';
  customerId: string;
  allocated: { invoiceNumber: string; amount: Dec }[];
  unallocated: Dec;
}

interface PaymentRow {
  id: number;
  reference: string;
  received_on: string;
  amount: string;
  currency: string;
  customer_id: string;
  invoice_number: string | null;
}

/**
 * Imports payments in one transaction: a reference already in the ledger is skipped when it is the same payment
 * and refused when it is not (a reused reference is a mistake worth stopping for). All or nothing.
 */
export function importPayments(ledger: Ledger, payments: readonly PaymentInput[], source: string, now: Date): ImportOutcome[] {
  return ledger.write(() => payments.map((p): ImportOutcome => {
    const where = `${source}:${p.line}`;
    const old = ledger.db.prepare('SELECT * FROM payment WHERE reference = ?').get(p.reference) as PaymentRow | undefined;
    if (old) {
      const same = old.received_on === p.receivedOn && dec(old.amount).eq(p.amount) && old.currency === p.currency && (old.invoice_number ?? undefined) === p.invoiceNumber;
      if (!same) throw new Error(`${where} reference: "${p.reference}" was imported before with other values (${old.received_on} ${old.amount} ${old.currency}); expected the same payment or a new reference`);
      return { reference: p.reference, status: 'duplicate', customerId: old.customer_id, allocated: [], unallocated: unallocatedOf(ledger, old.id, dec(old.amount)) };
    }
    let customerId = p.customerId;
    if (p.invoiceNumber) {
      const inv = ledger.row(p.invoiceNumber);
      if (!inv || inv.kind !== 'invoice') throw new Error(`${where} invoice: no finalized invoice numbered "${p.invoiceNumber}" (expected a number from \`wispmeter invoices list\`)`);
      if (customerId && customerId !== inv.customer_id) throw new Error(`${where} customer: "${customerId}" but ${p.invoiceNumber} is ${inv.customer_id}'s (expected the invoice's customer)`);
      if (inv.currency !== p.currency) throw new Error(`${where} currency: ${p.currency} but ${p.invoiceNumber} is in ${inv.currency} (expected the invoice's currency)`);
      customerId = inv.customer_id;
    }
    const id = Number(ledger.db.prepare(`
      INSERT INTO payment (reference, received_on, amount, currency, customer_id, invoice_number, source, imported_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(p.reference, p.receivedOn, p.amount.toString(), p.currency, customerId!, p.invoiceNumber ?? null, source, now.toISOString()).lastInsertRowid);
    const allocated = allocate(ledger, { id, customerId: customerId!, currency: p.currency, amount: p.amount, invoiceNumber: p.invoiceNumber }, now);
    return { reference: p.reference, status: 'imported', customerId: customerId!, allocated, unallocated: p.amount.minus(sum(allocated.map((a) => a.amount))) };
  }));
}

/**
 * Allocates money still unallocated on the customers' payments to their open invoices, oldest first, in one
 * transaction (run after invoices are finalized, so a prepayment or overpayment settles the next invoice).
 */
export function allocateUnapplied(ledger: Ledger, customerIds: Iterable<string>, now: Date): { customerId: string; invoiceNumber: string; amount: Dec }[] {
  const paymentsOf = ledger.db.prepare('SELECT * FROM payment WHERE customer_id = ? ORDER BY received_on, id');
  return ledger.write(() => {
    const out: { customerId: string; invoiceNumber: string; amount: Dec }[] = [];
    for (const customerId of customerIds) {
      for (const p of paymentsOf.all(customerId) as PaymentRow[]) {
        const left = unallocatedOf(ledger, p.id, dec(p.amount));
        if (left.gt(ZERO)) out.push(...allocate(ledger, { id: p.id, customerId, currency: p.currency, amount: left }, now).map((a) => ({ customerId, ...a })));
      }
    }
    return out;
  });
}

function allocate(ledger: Ledger, p: { id: number; customerId: string; currency: string; amount: Dec; invoiceNumber?: string }, now: Date): { invoiceNumber: string; amount: Dec }[] {
  const open = ledger.balances({ customerId: p.customerId, kind: 'invoice' }).filter((b) => b.currency === p.currency && b.balance.gt(ZERO));
  // The named invoice first, then the oldest (balances() is in issue order).
  const ordered = [...open.filter((b) => b.number === p.invoiceNumber), ...open.filter((b) => b.number !== p.invoiceNumber)];
  const insert = ledger.db.prepare('INSERT INTO payment_allocation (payment_id, invoice_id, amount, created_at) VALUES (?, ?, ?, ?)');
  const out: { invoiceNumber: string; amount: Dec }[] = [];
  let left = p.amount;
  for (const b of ordered) {
    if (left.lte(ZERO)) break;
    const amount = min(left, b.balance);
    insert.run(p.id, b.id, amount.toString(), now.toISOString());
    out.push({ invoiceNumber: b.number, amount });
    left = left.minus(amount);
  }
  return out;
}

function unallocatedOf(ledger: Ledger, paymentId: number, amount: Dec): Dec {
  const rows = ledger.db.prepare('SELECT amount FROM payment_allocation WHERE payment_id = ?').all(paymentId) as { amount: string }[];
  return amount.minus(sum(rows.map((r) => dec(r.amount))));
}

/** Per customer and currency: open balance of invoices, and payments not yet allocated (money on account). */
export function customerBalances(ledger: Ledger, customerId?: string): { customerId: string; currency: string; open: Dec; onAccount: Dec; invoices: number }[] {
  const out = new Map<string, { customerId: string; currency: string; open: Dec; onAccount: Dec; invoices: number }>();
  const entry = (c: string, cur: string) => {
    const k = `${c}\u0000${cur}`;
    let e = out.get(k);
    if (!e) out.set(k, (e = { customerId: c, currency: cur, open: ZERO, onAccount: ZERO, invoices: 0 }));
    return e;
  };
  for (const b of ledger.balances({ kind: 'invoice', ...(customerId ? { customerId } : {}) })) {
    const e = entry(b.customerId, b.currency);
    e.invoices++;
    if (b.balance.gt(ZERO)) e.open = e.open.plus(b.balance);
  }
  const payments = ledger.db.prepare('SELECT * FROM payment WHERE (? IS NULL OR customer_id = ?)').all(customerId ?? null, customerId ?? null) as PaymentRow[];
  for (const p of payments) {
    const left = unallocatedOf(ledger, p.id, dec(p.amount));
    if (left.gt(ZERO)) {
      const e = entry(p.customer_id, p.currency);
      e.onAccount = e.onAccount.plus(left);
    }
  }
  return [...out.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.currency < b.currency ? -1 : 1));
}
