// The SQL of the usage query, with its parameters shown, so the text kept as billing evidence is what ran.
import { STEP_MS, type UsageQuery } from '../usage-store.js';

export interface UsageSql {
  sql: string;
  params: Record<string, string | bigint>;
  /** `sql` followed by the parameter values, for UsageAnswer.query. */
  evidence: string;
}

function sqlLiteral(v: string | bigint): string {
  return typeof v === 'bigint' ? v.toString() : "'" + v.replace(/'/g, "''") + "'";
}

/**
 * Per-subscriber sums over records whose `end` is in [from, to). With a step, the bucket is
 * end_ms - end_ms % step: integer arithmetic aligned to the epoch (UTC); times are never negative here.
 */
export function usageSql(q: UsageQuery): UsageSql {
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw new RangeError(`usage query: from/to must be integer ms (got ${q.from}, ${q.to})`);
  const params: Record<string, string | bigint> = { from: BigInt(q.from), to: BigInt(q.to) };
  let where = 'end_ms >= @from AND end_ms < @to';
  if (q.subscriber !== undefined) {
    params.subscriber = q.subscriber;
    where += ' AND subscriber = @subscriber';
  }
  if (q.subscribers !== undefined) {
    const names = q.subscribers.map((sub, i) => {
      params[`subscriber${i}`] = sub;
      return `@subscriber${i}`;
    });
    where += names.length ? ` AND subscriber IN (${names.join(', ')})` : ' AND 0';
  }
  if (q.sources !== undefined) {
    const names = q.sources.map((s, i) => {
      params[`source${i}`] = s;
      return `@source${i}`;
    });
    // An empty list selects nothing, as it says; IN () is not SQL.
    where += names.length ? ` AND source IN (${names.join(', ')})` : ' AND 0';
  }
  let bucket = '@from';
  const keys = q.byClass ? ['subscriber', 'class'] : ['subscriber'];
  const group = [...keys];
  if (q.step) {
    params.step = BigInt(STEP_MS[q.step]);
    bucket = 'end_ms - end_ms % @step';
    group.push('bucket');
  }
  const sql =
    `SELECT ${keys.join(', ')}, ${bucket} AS bucket, SUM(bytes_down) AS bytes_down, SUM(bytes_up) AS bytes_up ` +
    `FROM usage_record WHERE ${where} GROUP BY ${group.join(', ')} ORDER BY ${[...keys, 'bucket'].join(', ')}`;
  const shown = Object.entries(params).map(([k, v]) => `@${k} = ${sqlLiteral(v)}`).join(', ');
  return { sql, params, evidence: `${sql} -- ${shown}` };
}
