// Schema of the ledger file, versioned by PRAGMA user_version: migrations only ever append. Immutability of
// finalized documents is enforced here, by triggers, so no code path (or sqlite3 shell) can rewrite history.
import type Database from 'better-sqlite3';

interface Migration {
  /** user_version after this migration. */
  version: number;
  why: string;
  sql: string;
}

/** The message every immutability trigger raises; the ledger recognizes it to explain the refusal. */
export const IMMUTABLE = 'ledger: finalized documents, their lines, numbers, payments and allocations cannot be changed';

/** Triggers that refuse any change to a child row of a finalized invoice (lines, taxes, credits, daily usage). */
function childOfFinalized(table: string): string {
  const finalized = (ref: 'NEW' | 'OLD') => `(SELECT status FROM invoice WHERE id = ${ref}.invoice_id) = 'finalized'`;
  return `
    CREATE TRIGGER ${table}_insert_finalized BEFORE INSERT ON ${table} WHEN ${finalized('NEW')}
      BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
    CREATE TRIGGER ${table}_update_finalized BEFORE UPDATE ON ${table} WHEN ${finalized('OLD')} OR ${finalized('NEW')}
      BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
    CREATE TRIGGER ${table}_delete_finalized BEFORE DELETE ON ${table} WHEN ${finalized('OLD')}
      BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
  `;
}

/** Rows that are facts once written (payments, allocations): never updated or deleted. */
function appendOnly(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
  `;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: 'runs, invoices and credit notes with their lines, taxes and evidence; gap-free number series; immutability triggers',
    // Money and quantities are exact decimal text (big.js toString); byte counts are INTEGER (int64).
    sql: `
      CREATE TABLE billing_run (
        id           INTEGER PRIMARY KEY,
        period       TEXT    NOT NULL,
        customers    TEXT    NOT NULL,
        trigger      TEXT    NOT NULL CHECK (trigger IN ('cli', 'schedule')),
        pid          INTEGER NOT NULL,
        started_at   TEXT    NOT NULL,
        finished_at  TEXT,
        status       TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
        finalized    INTEGER NOT NULL DEFAULT 0,
        skipped      INTEGER NOT NULL DEFAULT 0,
        error        TEXT
      ) STRICT;

      -- One row per series ("INV-2025"): the last sequence handed out. It only ever moves up by one, in the same
      -- transaction that finalizes the document carrying the number, so a number is never skipped or reused.
      CREATE TABLE number_series (
        series         TEXT    NOT NULL PRIMARY KEY,
        kind           TEXT    NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
        last_sequence  INTEGER NOT NULL CHECK (last_sequence >= 0)
      ) STRICT;
      CREATE TRIGGER number_series_forward BEFORE UPDATE ON number_series
        WHEN NEW.last_sequence <> OLD.last_sequence + 1 OR NEW.series <> OLD.series OR NEW.kind <> OLD.kind
        BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
      CREATE TRIGGER number_series_no_delete BEFORE DELETE ON number_series BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;

      CREATE TABLE invoice (
        id                   INTEGER PRIMARY KEY,
        kind                 TEXT    NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
        status               TEXT    NOT NULL CHECK (status IN ('draft', 'finalized')),
        customer_id          TEXT    NOT NULL,
        period_label         TEXT    NOT NULL,
        period_from          TEXT    NOT NULL,
        period_to            TEXT    NOT NULL,
        timezone             TEXT    NOT NULL,
        currency             TEXT    NOT NULL,
        subtotal             TEXT    NOT NULL,
        tax_total            TEXT    NOT NULL,
        total                TEXT    NOT NULL,
        amount_due           TEXT    NOT NULL,
        reverse_charge       INTEGER NOT NULL CHECK (reverse_charge IN (0, 1)),
        notes                TEXT    NOT NULL,
        run_id               INTEGER REFERENCES billing_run (id),
        corrects_invoice_id  INTEGER REFERENCES invoice (id),
        reason               TEXT,
        created_at           TEXT    NOT NULL,
        series               TEXT,
        sequence             INTEGER,
        number               TEXT    UNIQUE,
        issue_date           TEXT,
        due_date             TEXT,
        finalized_at         TEXT,
        -- The InvoiceDocument as canonical JSON: renderers render exactly this, never a fresh rating.
        document_json        TEXT,
        CHECK ((status = 'draft') = (number IS NULL)),
        CHECK (status = 'draft' OR (series IS NOT NULL AND sequence IS NOT NULL AND issue_date IS NOT NULL
                                    AND due_date IS NOT NULL AND finalized_at IS NOT NULL AND document_json IS NOT NULL)),
        CHECK ((kind = 'credit_note') = (corrects_invoice_id IS NOT NULL)),
        UNIQUE (series, sequence)
      ) STRICT;
      -- The guarantee behind "impossible to double": one invoice (draft or final) per customer and period.
      CREATE UNIQUE INDEX invoice_one_per_customer_period ON invoice (customer_id, period_label) WHERE kind = 'invoice';
      CREATE INDEX invoice_customer ON invoice (customer_id, status, period_from);
      CREATE INDEX invoice_corrects ON invoice (corrects_invoice_id) WHERE corrects_invoice_id IS NOT NULL;

      -- Documents are born drafts, and a draft becomes final by one UPDATE; after that nothing changes.
      CREATE TRIGGER invoice_born_draft BEFORE INSERT ON invoice WHEN NEW.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'ledger: a document is inserted as a draft and finalized by update'); END;
      CREATE TRIGGER invoice_finalized_no_update BEFORE UPDATE ON invoice WHEN OLD.status = 'finalized'
        BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
      CREATE TRIGGER invoice_finalized_no_delete BEFORE DELETE ON invoice WHEN OLD.status = 'finalized'
        BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
      -- The number must be the next of its series, taken in this very transaction.
      CREATE TRIGGER invoice_number_is_next BEFORE UPDATE OF status ON invoice WHEN NEW.status = 'finalized'
        AND NEW.sequence IS NOT (SELECT last_sequence FROM number_series WHERE series = NEW.series AND kind = NEW.kind)
        BEGIN SELECT RAISE(ABORT, 'ledger: a finalized document takes the next number of its series'); END;

      CREATE TABLE invoice_line (
        invoice_id          INTEGER NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
        line_no             INTEGER NOT NULL CHECK (line_no >= 1),
        kind                TEXT    NOT NULL,
        description         TEXT    NOT NULL,
        subscription_id     TEXT    NOT NULL,
        plan_id             TEXT    NOT NULL,
        charge_id           TEXT    NOT NULL,
        prices              TEXT    NOT NULL CHECK (prices IN ('exclusive', 'inclusive')),
        billing             TEXT,
        period_from         TEXT    NOT NULL,
        period_to           TEXT    NOT NULL,
        quantity            TEXT    NOT NULL,
        unit                TEXT    NOT NULL,
        unit_price          TEXT    NOT NULL,
        net                 TEXT    NOT NULL,
        amount              TEXT    NOT NULL,
        tax_category        TEXT    NOT NULL,
        calculation         TEXT    NOT NULL,
        evidence            TEXT,
        -- Adjustment lines (late usage) and credit-note lines name the earlier invoice (and line) they act on.
        adjusts_invoice_id  INTEGER REFERENCES invoice (id),
        credits_line_no     INTEGER,
        PRIMARY KEY (invoice_id, line_no)
      ) STRICT;
      CREATE INDEX invoice_line_adjusts ON invoice_line (adjusts_invoice_id) WHERE adjusts_invoice_id IS NOT NULL;

      CREATE TABLE invoice_line_tax (
        invoice_id  INTEGER NOT NULL,
        line_no     INTEGER NOT NULL,
        position    INTEGER NOT NULL,
        rate_id     TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        rate        TEXT    NOT NULL,
        compound    INTEGER NOT NULL CHECK (compound IN (0, 1)),
        base        TEXT    NOT NULL,
        amount      TEXT    NOT NULL,
        PRIMARY KEY (invoice_id, line_no, position),
        FOREIGN KEY (invoice_id, line_no) REFERENCES invoice_line (invoice_id, line_no) ON DELETE CASCADE
      ) STRICT;

      CREATE TABLE invoice_tax (
        invoice_id  INTEGER NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        rate_id     TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        rate        TEXT    NOT NULL,
        base        TEXT    NOT NULL,
        amount      TEXT    NOT NULL,
        PRIMARY KEY (invoice_id, position)
      ) STRICT;

      -- Catalog credits used by an invoice; the latest finalized "remaining" is what the next period may use.
      CREATE TABLE invoice_credit (
        invoice_id  INTEGER NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
        credit_id   TEXT    NOT NULL,
        reason      TEXT    NOT NULL,
        available   TEXT    NOT NULL,
        applied     TEXT    NOT NULL,
        remaining   TEXT    NOT NULL,
        PRIMARY KEY (invoice_id, credit_id)
      ) STRICT;

      CREATE TABLE invoice_daily_usage (
        invoice_id  INTEGER NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
        date        TEXT    NOT NULL,
        bytes_down  INTEGER NOT NULL CHECK (bytes_down >= 0),
        bytes_up    INTEGER NOT NULL CHECK (bytes_up >= 0),
        PRIMARY KEY (invoice_id, date)
      ) STRICT;

      ${childOfFinalized('invoice_line')}
      ${childOfFinalized('invoice_line_tax')}
      ${childOfFinalized('invoice_tax')}
      ${childOfFinalized('invoice_credit')}
      ${childOfFinalized('invoice_daily_usage')}
    `,
  },
  {
    version: 2,
    why: 'one-off charges waiting for the next run, payments and their allocations, delivery attempts, the scheduler lease',
    sql: `
      CREATE TABLE pending_charge (
        id            TEXT    NOT NULL PRIMARY KEY,
        customer_id   TEXT    NOT NULL,
        description   TEXT    NOT NULL,
        amount        TEXT    NOT NULL,
        tax_category  TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        -- Set when the invoice carrying it is finalized; from then on the row is history.
        invoice_id    INTEGER REFERENCES invoice (id)
      ) STRICT;
      CREATE INDEX pending_charge_open ON pending_charge (customer_id) WHERE invoice_id IS NULL;
      CREATE TRIGGER pending_charge_billed_no_update BEFORE UPDATE ON pending_charge WHEN OLD.invoice_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;
      CREATE TRIGGER pending_charge_billed_no_delete BEFORE DELETE ON pending_charge WHEN OLD.invoice_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, '${IMMUTABLE}'); END;

      CREATE TABLE payment (
        id              INTEGER PRIMARY KEY,
        -- The bank's or processor's reference: importing the same file twice adds nothing.
        reference       TEXT    NOT NULL UNIQUE,
        received_on     TEXT    NOT NULL,
        amount          TEXT    NOT NULL,
        currency        TEXT    NOT NULL,
        customer_id     TEXT    NOT NULL,
        invoice_number  TEXT,
        source          TEXT    NOT NULL,
        imported_at     TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX payment_customer ON payment (customer_id, received_on);

      CREATE TABLE payment_allocation (
        id          INTEGER PRIMARY KEY,
        payment_id  INTEGER NOT NULL REFERENCES payment (id),
        invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
        amount      TEXT    NOT NULL,
        created_at  TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX payment_allocation_invoice ON payment_allocation (invoice_id);
      CREATE INDEX payment_allocation_payment ON payment_allocation (payment_id);
      CREATE TRIGGER payment_allocation_finalized_only BEFORE INSERT ON payment_allocation
        WHEN (SELECT status FROM invoice WHERE id = NEW.invoice_id) IS NOT 'finalized'
        BEGIN SELECT RAISE(ABORT, 'ledger: payments are allocated to finalized invoices only'); END;
      ${appendOnly('payment')}
      ${appendOnly('payment_allocation')}

      -- Every delivery or push of a finalized document (email, webhook, accounting): one row per attempt.
      CREATE TABLE delivery_attempt (
        id               INTEGER PRIMARY KEY,
        invoice_id       INTEGER NOT NULL REFERENCES invoice (id),
        channel          TEXT    NOT NULL,
        target           TEXT    NOT NULL,
        attempt          INTEGER NOT NULL CHECK (attempt >= 1),
        status           TEXT    NOT NULL CHECK (status IN ('pending', 'ok', 'retryable', 'failed')),
        next_attempt_at  TEXT,
        error            TEXT,
        idempotency_key  TEXT    NOT NULL,
        created_at       TEXT    NOT NULL,
        updated_at       TEXT    NOT NULL,
        UNIQUE (idempotency_key, attempt)
      ) STRICT;
      CREATE INDEX delivery_attempt_due ON delivery_attempt (status, next_attempt_at);

      -- At most one scheduler bills at a time: the holder renews its lease; an expired lease may be taken over.
      CREATE TABLE scheduler_lease (
        name           TEXT    NOT NULL PRIMARY KEY,
        holder         TEXT    NOT NULL,
        acquired_at    INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    why: 'what an adjustment saw billed for its charge when rated, so two runs at once never bill the same late usage twice',
    // A later finalized adjustment of the same charge makes the draft stale (ledger.ts staleness).
    sql: 'ALTER TABLE invoice_line ADD COLUMN adjusts_billed TEXT;',
  },
  {
    version: 4,
    why: 'a finalized number starts at 1: a fresh series (last 0) must not let a document be finalized as number 0',
    sql: `
      CREATE TRIGGER invoice_sequence_positive BEFORE UPDATE OF status ON invoice WHEN NEW.status = 'finalized' AND NEW.sequence < 1
        BEGIN SELECT RAISE(ABORT, 'ledger: a finalized document takes the next number of its series'); END;
    `,
  },
  {
    version: 5,
    why: 'deliveries: a dead state (no more attempts), the message id the receiver gave, one lookup per idempotency key',
    // SQLite cannot change a CHECK: the table is rebuilt. 'failed' (never written before this version) becomes 'dead'.
    sql: `
      CREATE TABLE delivery_attempt_v5 (
        id               INTEGER PRIMARY KEY,
        invoice_id       INTEGER NOT NULL REFERENCES invoice (id),
        channel          TEXT    NOT NULL,
        target           TEXT    NOT NULL,
        attempt          INTEGER NOT NULL CHECK (attempt >= 1),
        -- pending: claimed and in flight (or the sender died); ok: delivered; retryable: again at next_attempt_at; dead: never again.
        status           TEXT    NOT NULL CHECK (status IN ('pending', 'ok', 'retryable', 'dead')),
        next_attempt_at  TEXT,
        error            TEXT,
        message_id       TEXT,
        idempotency_key  TEXT    NOT NULL,
        created_at       TEXT    NOT NULL,
        updated_at       TEXT    NOT NULL,
        CHECK ((status = 'retryable') = (next_attempt_at IS NOT NULL)),
        UNIQUE (idempotency_key, attempt)
      ) STRICT;
      INSERT INTO delivery_attempt_v5 (id, invoice_id, channel, target, attempt, status, next_attempt_at, error, idempotency_key, created_at, updated_at)
        SELECT id, invoice_id, channel, target, attempt, CASE status WHEN 'failed' THEN 'dead' ELSE status END,
          CASE status WHEN 'retryable' THEN coalesce(next_attempt_at, updated_at) END, error, idempotency_key, created_at, updated_at
        FROM delivery_attempt;
      DROP TABLE delivery_attempt;
      ALTER TABLE delivery_attempt_v5 RENAME TO delivery_attempt;
      CREATE INDEX delivery_attempt_due ON delivery_attempt (status, next_attempt_at);
      CREATE INDEX delivery_attempt_invoice ON delivery_attempt (invoice_id);
      -- A delivered attempt is a fact.
      CREATE TRIGGER delivery_attempt_ok_no_update BEFORE UPDATE ON delivery_attempt WHEN OLD.status IN ('ok', 'dead')
        BEGIN SELECT RAISE(ABORT, 'ledger: a finished delivery attempt cannot be changed'); END;
    `,
  },
  {
    version: 6,
    why: 'the scheduler finds the invoices of its recent runs to deliver (every minute) without reading every invoice row',
    // Covering: the rows themselves carry the document JSON, a page or more each.
    sql: 'CREATE INDEX invoice_run ON invoice (run_id, status, number, customer_id);',
  },
];

export const LEDGER_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Brings the file to LEDGER_SCHEMA_VERSION, one transaction per migration; refuses a file from a newer wispmeter. */
export function migrateLedger(db: Database.Database, path: string): { from: number; to: number } {
  const from = Number(db.pragma('user_version', { simple: true }));
  if (from > LEDGER_SCHEMA_VERSION) {
    throw new Error(`ledger ${path}: schema version ${from} is newer than this wispmeter knows (${LEDGER_SCHEMA_VERSION}); upgrade wispmeter`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    try {
      db.transaction(() => {
        // Another process may have migrated while this one waited for the write lock.
        if (Number(db.pragma('user_version', { simple: true })) >= m.version) return;
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (err) {
      throw new Error(`ledger ${path}: migration to version ${m.version} (${m.why}) failed`, { cause: err });
    }
  }
  return { from, to: LEDGER_SCHEMA_VERSION };
}
