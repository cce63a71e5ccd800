// Finds the zod schema behind a key path and says in words what it accepts, for the "(expected …)" part.
import { z } from 'zod';
import { byteSize, cidr, duration, listenAddress } from './schema.js';
import type { KeyPath } from './yaml-position.js';

// Named leaf types: what the operator should write, with an example, instead of zod's internal shape.
const NAMED = new Map<z.ZodType, string>([
  [byteSize, 'a byte size, e.g. 1048576, "512MiB", "1GB"'],
  [duration, 'a duration, e.g. 500ms, 30s, 5m, 24h'],
  [listenAddress, 'HOST:PORT, e.g. "0.0.0.0:1813" or "[::]:1813"'],
  [cidr, 'an IP address or CIDR prefix, e.g. "10.0.0.1", "10.0.0.0/24", "2001:db8::/32"'],
]);

/** Strips optional/default wrappers: they do not change what a present value must look like. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 16; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else break;
  }
  return s;
}

/** The schema for `path`, following the raw input to pick a discriminated union's branch. */
export function schemaAt(root: z.ZodType, path: KeyPath, input: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = input;
  for (const seg of path) {
    if (!schema) return undefined;
    schema = pickBranch(unwrap(schema), value);
    if (schema instanceof z.ZodObject && typeof seg === 'string') {
      schema = (schema.shape as Record<string, z.ZodType>)[seg];
    } else if (schema instanceof z.ZodArray && typeof seg === 'number') {
      schema = schema.element as z.ZodType;
    } else {
      return undefined;
    }
    value = isRecord(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  return schema;
}

/** Keys a mapping accepts, in declaration order (for "unknown key" problems). */
export function knownKeys(schema: z.ZodType | undefined, input: unknown): string[] {
  if (!schema) return [];
  const s = pickBranch(unwrap(schema), input);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** A union member that a value most likely meant: the discriminated branch, or the only object branch. */
function pickBranch(schema: z.ZodType, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const options = schema.options as readonly z.ZodType[];
  if (schema instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const disc = schema.def.discriminator;
    const match = options.find((o) => {
      const lit = o instanceof z.ZodObject ? (o.shape as Record<string, z.ZodType>)[disc] : undefined;
      return lit instanceof z.ZodLiteral && lit.values.has(value[disc] as z.core.util.Literal);
    });
    if (match) return match;
  }
  const objects = options.map(unwrap).filter((o) => o instanceof z.ZodObject);
  return objects.length === 1 ? objects[0]! : schema;
}

/** Values a discriminated union's discriminator accepts, e.g. [1, 2] for stores.influx.version. */
export function discriminatorValues(schema: z.ZodType | undefined): unknown[] {
  const s = schema && unwrap(schema);
  if (!(s instanceof z.ZodDiscriminatedUnion)) return [];
  const disc = s.def.discriminator;
  return (s.options as readonly z.ZodType[]).flatMap((o) => {
    const lit = o instanceof z.ZodObject ? (o.shape as Record<string, z.ZodType>)[disc] : undefined;
    return lit instanceof z.ZodLiteral ? [...lit.values] : [];
  });
}

/** In words, what a value for this schema must be: "a non-empty string", "1 or 2", "true or false". */
export function describeExpected(schema: z.ZodType | undefined): string {
  if (!schema) return 'a valid value';
  const s = unwrap(schema);
  const named = NAMED.get(s);
  if (named) return named;
  if (s instanceof z.ZodString) {
    if (s.format === 'url') return 'a URL, e.g. http://127.0.0.1:8086';
    const min = s.minLength ?? 0;
    return min > 1 ? `a string of at least ${min} characters` : min === 1 ? 'a non-empty string' : 'a string';
  }
  if (s instanceof z.ZodNumber) {
    const kind = s.isInt ? 'an integer' : 'a number';
    const { minValue: min, maxValue: max } = s;
    const finite = (n: number | null): n is number => n !== null && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
    if (finite(min) && finite(max)) return `${kind} from ${min} to ${max}`;
    if (finite(min)) return `${kind} ≥ ${min}`;
    if (finite(max)) return `${kind} ≤ ${max}`;
    return kind;
  }
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return `one of ${(s.options as readonly unknown[]).join(', ')}`;
  if (s instanceof z.ZodLiteral) return orList([...s.values].map((v) => JSON.stringify(v)));
  if (s instanceof z.ZodArray) {
    const of = describeExpected(s.element as z.ZodType);
    return `${minLength(s) >= 1 ? 'a non-empty list' : 'a list'} of ${of}`;
  }
  if (s instanceof z.ZodDiscriminatedUnion) {
    return `a mapping with ${s.def.discriminator}: ${orList(discriminatorValues(s).map((v) => JSON.stringify(v)))}`;
  }
  if (s instanceof z.ZodUnion) return orList((s.options as readonly z.ZodType[]).map(describeExpected));
  if (s instanceof z.ZodObject) return 'a mapping';
  if (s instanceof z.ZodPipe) return describeExpected(s.in as z.ZodType);
  return 'a valid value';
}

// Arrays keep their length checks in def.checks only (the bag is filled for strings, not arrays).
function minLength(s: z.ZodType): number {
  for (const check of s._zod.def.checks ?? []) {
    const def = check._zod.def as { check: string; minimum?: number };
    if (def.check === 'min_length' && typeof def.minimum === 'number') return def.minimum;
  }
  return 0;
}

function orList(items: readonly string[]): string {
  if (items.length <= 2) return items.join(' or ');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
