// Customers from a CRM's CSV export (RFC 4180), one customer and its current subscription per row; errors as FILE:LINE column.
import type { KeyPath } from './yaml-position.js';
import { type Customer, customerSchema, type PlansFile } from './catalog-schema.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { customerChecks } from './catalog-load.js';
import { problemsFromIssues } from './zod-problems.js';

/** Columns, in any order; list cells hold several values separated by ";". */
export const CSV_COLUMNS = [
  'id', 'legal_name', 'address', 'tax_ids', 'currency', 'timezone', 'billing_day', 'tax_jurisdiction', 'tax_exemptions',
  'reverse_charge', 'subscription_id', 'plan', 'start', 'end', 'radius', 'ips', 'macs', 'queues',
] as const;
type Column = (typeof CSV_COLUMNS)[number];
const REQUIRED: readonly Column[] = ['id', 'legal_name', 'currency', 'timezone', 'tax_jurisdiction'];

// Schema path prefix → the column it came from, longest first.
const COLUMN_OF: [KeyPath, Column][] = [
  [['subscriptions', 0, 'id'], 'subscription_id'], [['subscriptions', 0, 'plan'], 'plan'], [['subscriptions', 0, 'start'], 'start'],
  [['subscriptions', 0, 'end'], 'end'], [['subscribers', 'radius'], 'radius'], [['subscribers', 'ips'], 'ips'],
  [['subscribers', 'macs'], 'macs'], [['subscribers', 'queues'], 'queues'], [['tax', 'jurisdiction'], 'tax_jurisdiction'],
  [['tax', 'exemptions'], 'tax_exemptions'], [['tax', 'reverseCharge'], 'reverse_charge'], [['legalName'], 'legal_name'],
  [['taxIds'], 'tax_ids'], [['billingDay'], 'billing_day'], [['id'], 'id'], [['address'], 'address'], [['currency'], 'currency'],
  [['timezone'], 'timezone'],
];

export function columnOf(path: KeyPath): string {
  const hit = COLUMN_OF.find(([prefix]) => prefix.every((seg, i) => path[i] === seg));
  return hit ? hit[1] : path.join('.');
}

/** RFC 4180 records with the 1-based line each starts on; quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // Excel's BOM
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else { if (ch === '\n') line++; field += ch; }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { fields.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new Error(`unterminated quoted field starting on line ${rowLine}`);
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

const list = (cell: string | undefined) => (cell ?? '').split(';').map((s) => s.trim()).filter((s) => s !== '');

export function parseCustomersCsv(text: string, file: string, plans: PlansFile | undefined): Customer[] {
  const problems: ConfigProblem[] = [];
  let rows: { line: number; fields: string[] }[];
  try {
    rows = parseCsv(text);
  } catch (err) {
    throw new ConfigError([{ file, line: undefined, key: '(file)', message: `${(err as Error).message} (expected RFC 4180 CSV)` }]);
  }
  const header = rows.shift();
  if (!header) throw new ConfigError([{ file, line: 1, key: '(header)', message: `the file is empty (expected a header row: ${CSV_COLUMNS.join(',')})` }]);
  const index = new Map<string, number>();
  header.fields.forEach((h, i) => {
    const name = h.trim().toLowerCase();
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) problems.push({ file, line: header.line, key: name || `(column ${i + 1})`, message: `unknown column (expected one of ${CSV_COLUMNS.join(', ')})` });
    else index.set(name, i);
  });
  for (const col of REQUIRED) if (!index.has(col)) problems.push({ file, line: header.line, key: col, message: 'missing column (expected it in the header row)' });
  if (problems.length > 0) throw new ConfigError(problems);

  const customers: Customer[] = [];
  const lines: number[] = [];
  for (const row of rows) {
    const cell = (c: Column) => { const i = index.get(c); return i === undefined ? undefined : row.fields[i]?.trim(); };
    const opt = (c: Column) => { const v = cell(c); return v === undefined || v === '' ? undefined : v; };
    const raw: Record<string, unknown> = {
      id: cell('id'), legalName: cell('legal_name'), address: cell('address') ?? '', taxIds: list(cell('tax_ids')),
      currency: cell('currency'), timezone: cell('timezone'),
      billingDay: opt('billing_day') === undefined ? undefined : /^\d+$/.test(opt('billing_day')!) ? Number(opt('billing_day')) : opt('billing_day'),
      tax: {
        jurisdiction: cell('tax_jurisdiction'), exemptions: list(cell('tax_exemptions')),
        reverseCharge: /^(true|yes|1)$/i.test(cell('reverse_charge') ?? ''),
      },
      subscribers: { radius: list(cell('radius')), ips: list(cell('ips')), macs: list(cell('macs')), queues: list(cell('queues')) },
      subscriptions: opt('plan') === undefined ? [] : [{
        id: opt('subscription_id') ?? `${cell('id')}-1`, plan: opt('plan'), start: opt('start'), ...(opt('end') ? { end: opt('end') } : {}),
      }],
    };
    const parsed = customerSchema.safeParse(raw);
    if (!parsed.success) {
      for (const p of problemsFromIssues(customerSchema, raw, parsed.error.issues)) problems.push({ file, line: row.line, key: columnOf(p.path), message: p.message });
      continue;
    }
    customers.push(parsed.data);
    lines.push(row.line);
  }
  for (const p of customerChecks(customers, plans, (i) => [i])) {
    const [i, ...rest] = p.path as [number, ...KeyPath];
    problems.push({ file, line: lines[i], key: columnOf(rest), message: p.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return customers;
}
