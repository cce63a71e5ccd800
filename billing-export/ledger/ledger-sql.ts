// The ledger's SQL in one place, prepared once per connection; ledger.ts gives each statement its meaning.
import type Database from 'better-sqlite3';

/** Every statement the ledger runs, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    insertRun: db.prepare("INSERT INTO billing_run (period, customers, trigger, pid, started_at, status) VALUES (@period, @customers, @trigger, @pid, @started_at, 'running')"),
    finishRun: db.prepare('UPDATE billing_run SET status = @status, finalized = @finalized, skipped = @skipped, error = @error, finished_at = @finished_at WHERE id = @id'),
    invoiceFor: db.prepare("SELECT id, status, number FROM invoice WHERE kind = 'invoice' AND customer_id = ? AND period_label = ?"),
    invoiceRowFor: db.prepare("SELECT * FROM invoice WHERE kind = 'invoice' AND customer_id = ? AND period_label = ?"),
    invoiceById: db.prepare('SELECT * FROM invoice WHERE id = ?'),
    byNumber: db.prepare("SELECT * FROM invoice WHERE number = ? AND status = 'finalized'"),
    finalizedCustomers: db.prepare("SELECT customer_id FROM invoice WHERE kind = 'invoice' AND status = 'finalized' AND period_label = ?"),
    creditRemaining: db.prepare(`
      SELECT c.credit_id, c.remaining FROM invoice_credit c JOIN invoice i ON i.id = c.invoice_id
      WHERE i.customer_id = ? AND i.status = 'finalized' AND i.kind = 'invoice' ORDER BY i.period_from, i.id`),
    pendingFor: db.prepare('SELECT id, description, amount, tax_category, created_at FROM pending_charge WHERE customer_id = ? AND invoice_id IS NULL ORDER BY created_at, id'),
    pendingBilledBy: db.prepare('SELECT invoice_id FROM pending_charge WHERE id = ?'),
    billPending: db.prepare('UPDATE pending_charge SET invoice_id = ? WHERE id = ? AND customer_id = ? AND invoice_id IS NULL'),
    earlier: db.prepare(`
      SELECT id, number, period_label FROM invoice
      WHERE kind = 'invoice' AND status = 'finalized' AND customer_id = ? AND period_from < ? ORDER BY period_from DESC LIMIT ?`),
    adjustingInvoices: db.prepare(`
      SELECT DISTINCT l.invoice_id FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
      WHERE l.adjusts_invoice_id = ? AND i.status = 'finalized' AND i.kind = 'invoice' ORDER BY l.invoice_id`),
    deleteDraft: db.prepare("DELETE FROM invoice WHERE id = ? AND status = 'draft'"),
    insertInvoice: db.prepare(`
      INSERT INTO invoice (kind, status, customer_id, period_label, period_from, period_to, timezone, currency, subtotal, tax_total, total,
        amount_due, reverse_charge, notes, run_id, corrects_invoice_id, reason, created_at)
      VALUES (@kind, 'draft', @customer_id, @period_label, @period_from, @period_to, @timezone, @currency, @subtotal, @tax_total, @total,
        @amount_due, @reverse_charge, @notes, @run_id, @corrects_invoice_id, @reason, @created_at)`),
    insertLine: db.prepare(`
      INSERT INTO invoice_line (invoice_id, line_no, kind, description, subscription_id, plan_id, charge_id, prices, billing, period_from, period_to,
        quantity, unit, unit_price, net, amount, tax_category, calculation, evidence, adjusts_invoice_id, adjusts_billed, credits_line_no)
      VALUES (@invoice_id, @line_no, @kind, @description, @subscription_id, @plan_id, @charge_id, @prices, @billing, @period_from, @period_to,
        @quantity, @unit, @unit_price, @net, @amount, @tax_category, @calculation, @evidence, @adjusts_invoice_id, @adjusts_billed, @credits_line_no)`),
    insertLineTax: db.prepare(`
      INSERT INTO invoice_line_tax (invoice_id, line_no, position, rate_id, name, rate, compound, base, amount)
      VALUES (@invoice_id, @line_no, @position, @rate_id, @name, @rate, @compound, @base, @amount)`),
    insertTax: db.prepare('INSERT INTO invoice_tax (invoice_id, position, rate_id, name, rate, base, amount) VALUES (@invoice_id, @position, @rate_id, @name, @rate, @base, @amount)'),
    insertCredit: db.prepare('INSERT INTO invoice_credit (invoice_id, credit_id, reason, available, applied, remaining) VALUES (@invoice_id, @credit_id, @reason, @available, @applied, @remaining)'),
    insertDaily: db.prepare('INSERT INTO invoice_daily_usage (invoice_id, date, bytes_down, bytes_up) VALUES (@invoice_id, @date, @bytes_down, @bytes_up)'),
    ensureSeries: db.prepare('INSERT INTO number_series (series, kind, last_sequence) VALUES (?, ?, 0) ON CONFLICT (series) DO NOTHING'),
    nextSequence: db.prepare('UPDATE number_series SET last_sequence = last_sequence + 1 WHERE series = ? AND kind = ? RETURNING last_sequence'),
    finalize: db.prepare(`
      UPDATE invoice SET status = 'finalized', series = @series, sequence = @sequence, number = @number, issue_date = @issue_date,
        due_date = @due_date, finalized_at = @finalized_at, document_json = @document_json, subtotal = @subtotal, tax_total = @tax_total,
        total = @total, amount_due = @amount_due
      WHERE id = @id AND status = 'draft'`),
    linesOf: db.prepare(`
      SELECT l.*, a.number AS adj_number, a.period_from AS adj_from, a.period_to AS adj_to
      FROM invoice_line l LEFT JOIN invoice a ON a.id = l.adjusts_invoice_id WHERE l.invoice_id = ? ORDER BY l.line_no`),
    lineTaxesOf: db.prepare('SELECT line_no, position, rate_id, name, rate, compound, base, amount FROM invoice_line_tax WHERE invoice_id = ? ORDER BY line_no, position'),
    taxesOf: db.prepare('SELECT rate_id, name, rate, base, amount FROM invoice_tax WHERE invoice_id = ? ORDER BY position'),
    creditsOf: db.prepare('SELECT credit_id, reason, available, applied, remaining FROM invoice_credit WHERE invoice_id = ? ORDER BY credit_id'),
    dailyOf: db.prepare('SELECT date, bytes_down, bytes_up FROM invoice_daily_usage WHERE invoice_id = ? ORDER BY date').safeIntegers(true),
    creditedTotal: db.prepare("SELECT group_concat(total) AS total FROM invoice WHERE corrects_invoice_id = ? AND status = 'finalized'"),
    balances: db.prepare(`
      SELECT i.*,
        (SELECT group_concat(a.amount) FROM payment_allocation a WHERE a.invoice_id = i.id) AS paid,
        (SELECT group_concat(c.total) FROM invoice c WHERE c.corrects_invoice_id = i.id AND c.status = 'finalized') AS credited
      FROM invoice i
      WHERE i.status = 'finalized' AND (@customer_id IS NULL OR i.customer_id = @customer_id) AND (@kind IS NULL OR i.kind = @kind)
      ORDER BY i.issue_date, i.id`),
  };
}
