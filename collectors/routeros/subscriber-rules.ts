// Which subscriber a row belongs to: a table's rule (field, pattern, optional map) applied to the row's fields.
import type { SubscriberRule, SubscriberRules, Table } from './config.js';

export type SubscriberOf = (table: Table, fields: Readonly<Record<string, string>>) => string | undefined;

/** Compiles the rules once; the device's own rules replace the section's per table. */
export function compileRules(section: SubscriberRules, device?: Partial<SubscriberRules>): SubscriberOf {
  const compiled = new Map<Table, (fields: Readonly<Record<string, string>>) => string | undefined>();
  for (const table of Object.keys(section) as Table[]) compiled.set(table, compileRule(device?.[table] ?? section[table]));
  return (table, fields) => compiled.get(table)?.(fields);
}

function compileRule(rule: SubscriberRule): (fields: Readonly<Record<string, string>>) => string | undefined {
  const pattern = new RegExp(rule.pattern);
  return (fields) => {
    const value = fields[rule.from];
    if (value === undefined || value === '') return undefined;
    const m = pattern.exec(value);
    if (!m) return undefined;
    const key = m[1] ?? m[0];
    if (rule.map) return rule.map[key];
    return key === '' ? undefined : key;
  };
}
