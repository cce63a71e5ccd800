// Turns zod issues into operator-facing problems: "what is wrong (expected …)", never a secret's value.
import type { z } from 'zod';
import { describeExpected, discriminatorValues, isRecord, knownKeys, schemaAt } from './describe-schema.js';
import type { KeyPath } from './yaml-position.js';

/** A problem before it is given its file and line. */
export interface KeyedProblem {
  path: KeyPath;
  message: string;
}

type Issue = z.core.$ZodIssue;

const SECRET_KEY = /secret|passw(or)?d|token|community|api[-_]?key/i;

/** True when any key on the path names a secret: its value must never be echoed. */
export function isSecretPath(path: KeyPath): boolean {
  return path.some((seg) => typeof seg === 'string' && SECRET_KEY.test(seg));
}

/** Every issue of a failed parse, translated; unknown keys become one problem per key. */
export function problemsFromIssues(root: z.ZodType, input: unknown, issues: readonly Issue[], prefix: KeyPath = []): KeyedProblem[] {
  return issues.flatMap((issue) => translate(root, input, issue, [...prefix, ...(issue.path as KeyPath)]));
}

function translate(root: z.ZodType, input: unknown, issue: Issue, path: KeyPath): KeyedProblem[] {
  const value = valueAt(input, path);
  const secret = isSecretPath(path);
  const expected = () => describeExpected(schemaAt(root, path, input));
  const one = (message: string): KeyedProblem[] => [{ path, message }];

  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return one(`missing (expected ${expected()})`);
      if (value === null) return one(`empty value (expected ${expected()})`);
      return one(`wrong type: got ${show(value, secret)} (expected ${expected()}${quoteHint(issue.expected, value)})`);
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      if (issue.origin === 'string' && small && issue.minimum === 1) return one(`empty (expected ${expected()})`);
      if (issue.origin === 'array' && small && issue.minimum === 1) return one(`empty list (expected ${expected()})`);
      return one(`${small ? 'too small' : 'too large'}: ${show(value, secret)} (expected ${expected()})`);
    }
    case 'invalid_value':
      return one(`invalid value ${show(value, secret)} (expected ${expected()})`);
    case 'invalid_format':
      return one(`not ${issue.format === 'url' ? 'a URL' : `a valid ${issue.format}`}: ${show(value, secret)} (expected ${expected()})`);
    case 'unrecognized_keys': {
      const keys = knownKeys(schemaAt(root, path, input), value);
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, keys) }));
    }
    case 'invalid_union':
      return translateUnion(root, input, issue, path, value, secret, expected);
    case 'custom':
      return one(customMessage(issue.message, value, secret));
    default:
      return one(`${lowerFirst(issue.message)} (expected ${expected()})`);
  }
}

function translateUnion(
  root: z.ZodType, input: unknown, issue: z.core.$ZodIssueInvalidUnion, path: KeyPath,
  value: unknown, secret: boolean, expected: () => string,
): KeyedProblem[] {
  // A discriminated union names the discriminator's path; its value decides which branch applies.
  if (issue.discriminator !== undefined && issue.errors.length === 0) {
    const accepted = discriminatorValues(schemaAt(root, path.slice(0, -1), input)).map((v) => JSON.stringify(v));
    const want = accepted.length ? accepted.join(' or ') : expected();
    if (value === undefined) return [{ path, message: `missing (expected ${want})` }];
    return [{ path, message: `invalid value ${show(value, secret)} (expected ${want})` }];
  }
  // A branch whose type matched but whose content did not is what the operator meant: report its issues.
  const meant = issue.errors.find((branch) => branch.some((i) => !isTypeMismatch(i)));
  if (meant) return problemsFromIssues(root, input, meant, path);
  if (value === undefined) return [{ path, message: `missing (expected ${expected()})` }];
  if (value === null) return [{ path, message: `empty value (expected ${expected()})` }];
  return [{ path, message: `wrong type: got ${show(value, secret)} (expected ${expected()})` }];
}

function isTypeMismatch(i: Issue): boolean {
  return i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value');
}

/** Schema messages read "not a listen address (expected …)"; add the value the operator wrote, or hide it. */
function customMessage(message: string, value: unknown, secret: boolean): string {
  if (secret) return redact(message, value);
  const m = /^([^:(]+?) \((expected .*)\)$/.exec(message);
  if (m && value !== undefined) return `${m[1]}: ${show(value, false)} (${m[2]})`;
  return message;
}

function redact(message: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return message;
  const raw = String(value);
  if (raw === '') return message;
  return message.split(JSON.stringify(raw)).join('(hidden)').split(raw).join('(hidden)');
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'unknown key (expected no other keys here)';
  const near = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= (k.length <= 4 ? 1 : 2));
  const hint = near ? `, did you mean ${near}?` : '';
  return `unknown key${hint} (expected one of ${known.join(', ')})`;
}

// YAML reads `secret: 0123` or `secret: yes` as a number or boolean; quoting keeps it a string.
function quoteHint(expected: string, value: unknown): string {
  return expected === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? '; put it in quotes' : '';
}

/** A value as the operator wrote it, short; for secrets only its kind. */
export function show(value: unknown, secret: boolean): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  if (secret) return `a ${typeof value}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let v = input;
  for (const seg of path) {
    if (isRecord(v) && typeof seg === 'string') v = Object.hasOwn(v, seg) ? v[seg] : undefined;
    else if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else return undefined;
  }
  return v;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Levenshtein distance, bounded by short key names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
