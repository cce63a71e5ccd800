// RADIUS attribute dictionary: the `radius` package's RFC files plus our vendor files, in FreeRADIUS syntax.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Value types we decode. Anything else a dictionary names (tlv, abinary, ether, ...) is kept as octets. */
export type AttributeType =
  | 'string'
  | 'octets'
  | 'integer'
  | 'short'
  | 'integer64'
  | 'date'
  | 'ipaddr'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid';

export interface AttributeDef {
  /** 0 for the RFC space, else the vendor's IANA enterprise number. */
  vendor: number;
  type: number;
  name: string;
  valueType: AttributeType;
  /** Enumerated values (VALUE lines): number → label. */
  values: ReadonlyMap<number, string>;
}

export interface Dictionary {
  byCode(vendor: number, type: number): AttributeDef | undefined;
  byName(name: string): AttributeDef | undefined;
  vendorName(vendor: number): string | undefined;
}

export const VENDOR_MIKROTIK = 14988;
export const VENDOR_WISPR = 14122;
export const VENDOR_UBIQUITI = 41112;

const KNOWN_TYPES: ReadonlySet<string> = new Set<AttributeType>([
  'string', 'octets', 'integer', 'short', 'integer64', 'date', 'ipaddr', 'ipv6addr', 'ipv6prefix', 'ifid',
]);

interface MutableDef extends AttributeDef {
  values: Map<number, string>;
}

/** Parses dictionary texts (FreeRADIUS v3 syntax: VENDOR, BEGIN-VENDOR, ATTRIBUTE, VALUE, END-VENDOR). */
export function parseDictionaries(texts: readonly string[]): Dictionary {
  const byCode = new Map<string, MutableDef>();
  const byName = new Map<string, MutableDef>();
  const vendors = new Map<string, number>();
  const vendorNames = new Map<number, string>();
  const pendingValues: { attr: string; label: string; value: number }[] = [];

  for (const text of texts) {
    let vendor = 0;
    for (const rawLine of text.split('\n')) {
      const f = rawLine.replace(/#.*/, '').trim().split(/\s+/);
      switch (f[0]) {
        case 'VENDOR':
          if (f[1] && f[2]) {
            vendors.set(f[1], Number(f[2]));
            vendorNames.set(Number(f[2]), f[1]);
          }
          break;
        case 'BEGIN-VENDOR':
          vendor = vendors.get(f[1] ?? '') ?? 0;
          break;
        case 'END-VENDOR':
          vendor = 0;
          break;
        case 'ATTRIBUTE': {
          const [, name, num, type, flags] = f;
          if (!name || !num || !/^\d+$/.test(num) || !type) break;
          // Tagged (RFC 2868) and encrypted attributes need context we do not have in accounting: keep raw.
          const special = flags !== undefined && /has_tag|encrypt/.test(flags);
          const t = type.toLowerCase() === 'text' ? 'string' : type.toLowerCase();
          const valueType: AttributeType = !special && KNOWN_TYPES.has(t) ? (t as AttributeType) : 'octets';
          const def: MutableDef = { vendor, type: Number(num), name, valueType, values: new Map() };
          byCode.set(`${vendor}:${num}`, def);
          byName.set(name.toLowerCase(), def);
          break;
        }
        case 'VALUE':
          if (f[1] && f[2] && f[3] && /^\d+$/.test(f[3])) pendingValues.push({ attr: f[1], label: f[2], value: Number(f[3]) });
          break;
        default:
          break;
      }
    }
  }
  // VALUE lines may precede their ATTRIBUTE (or come from another file), so attach them last.
  for (const v of pendingValues) {
    const def = byName.get(v.attr.toLowerCase());
    if (def && !def.values.has(v.value)) def.values.set(v.value, v.label);
  }
  return {
    byCode: (vendor, type) => byCode.get(`${vendor}:${type}`),
    byName: (name) => byName.get(name.toLowerCase()),
    vendorName: (vendor) => vendorNames.get(vendor),
  };
}

/** Our vendor files; from dist/ the folder is found in the package's source tree. */
function vendorDictionaryDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'dictionary'), join(here, '..', '..', '..', 'collectors', 'radius', 'dictionary')];
  const found = candidates.find((d) => existsSync(join(d, 'dictionary.mikrotik')));
  if (!found) throw new Error(`radius: vendor dictionaries not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** The RFC dictionaries shipped with the `radius` package (the data part of the lib we keep). */
function libDictionaryDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('radius/package.json')), 'dictionaries');
}

function readDir(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('dictionary.'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

let cached: Dictionary | undefined;

/** The default dictionary, loaded once: RFC attributes from the `radius` package, then our vendor files. */
export function defaultDictionary(): Dictionary {
  cached ??= parseDictionaries([...readDir(libDictionaryDir()), ...readDir(vendorDictionaryDir())]);
  return cached;
}
