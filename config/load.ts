// Reads the YAML config into a typed Config, or throws one ConfigError listing every problem as FILE:LINE KEY: what (expected …).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { resolveRouterosPaths } from '../collectors/routeros/config.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { crossCheck } from './cross-checks.js';
import { isRecord } from './describe-schema.js';
import { type Config, configSchema } from './schema.js';
import { isSecretPath, problemsFromIssues, type KeyedProblem } from './zod-problems.js';
import { formatKeyPath, type KeyPath, YamlPositions } from './yaml-position.js';

export { ConfigError, formatConfigErrors, formatConfigProblem, type ConfigProblem } from './config-error.js';

export interface ParseOptions {
  /** Directory a relative dataDir is resolved against; defaults to the config file's directory. */
  baseDir?: string;
}

/** Reads and validates a config file. A relative dataDir is resolved against the file's directory. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new ConfigError([{ file, line: undefined, key: '(file)', message: `cannot read: ${why} (expected a readable YAML file)` }]);
  }
  return parseConfig(text, file);
}

/** Validates config text; `fileName` is only used to name positions (and to resolve a relative dataDir). */
export function parseConfig(text: string, fileName: string, options: ParseOptions = {}): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const positions = new YamlPositions(doc, lineCounter);
  const problems: ConfigProblem[] = [];
  const at = (p: KeyedProblem, line = positions.lineOf(p.path)): ConfigProblem =>
    ({ file: fileName, line, key: formatKeyPath(upToSecret(p.path)), message: p.message });

  for (const err of [...doc.errors, ...doc.warnings]) {
    problems.push(at({ path: positions.pathAt(err.pos[0]), message: yamlMessage(err) }, lineCounter.linePos(err.pos[0]).line));
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An unresolved or runaway alias: nothing sensible to validate.
    problems.push(at({ path: [], message: `cannot read the document: ${(err as Error).message} (expected valid YAML anchors and aliases)` }));
    throw new ConfigError(problems);
  }

  if (raw === null || raw === undefined) {
    problems.push(at({ path: [], message: 'the file is empty (expected a mapping of settings, see config/wispmeter.sample.yaml)' }));
    throw new ConfigError(problems);
  }
  if (!isRecord(raw)) {
    const kind = Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    problems.push(at({ path: [], message: `not a mapping: the document is ${kind} (expected a mapping of settings such as radius:, spool:, stores:)` }));
    throw new ConfigError(problems);
  }

  const lineOf = (path: KeyPath) => positions.lineOf(path);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...problemsFromIssues(configSchema, raw, parsed.error.issues).map((p) => at(p)));
  problems.push(...crossCheck(raw, lineOf).map((p) => at(p)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const config = parsed.data;
  // Paths in a config file mean "next to this file", not "wherever the daemon was started".
  const base = options.baseDir ?? dirname(resolve(fileName));
  if (!isAbsolute(config.dataDir)) config.dataDir = resolve(base, config.dataDir);
  if (config.catalog) config.catalog = { plans: resolve(base, config.catalog.plans), customers: resolve(base, config.catalog.customers) };
  if (config.routeros) config.routeros = resolveRouterosPaths(config.routeros, base);
  if (config.billing?.branding.logo) config.billing.branding.logo = resolve(base, config.billing.branding.logo);
  if (config.billing?.email?.smtp.caFile) config.billing.email.smtp.caFile = resolve(base, config.billing.email.smtp.caFile);
  return config;
}

const YAML_EXPECTED: Record<string, string> = {
  DUPLICATE_KEY: 'duplicate key (expected each key once per mapping)',
  TAB_AS_INDENT: 'tab used for indentation (expected spaces)',
  MULTIPLE_DOCS: 'more than one YAML document (expected a single document, no "---" separator)',
  MISSING_CHAR: 'YAML syntax: {msg} (expected a closing quote or bracket)',
  BAD_INDENT: 'YAML syntax: {msg} (expected consistent indentation)',
  BLOCK_AS_IMPLICIT_KEY: 'YAML syntax: {msg} (expected "key: value" with nested keys on their own, further indented lines)',
  MULTILINE_IMPLICIT_KEY: 'YAML syntax: {msg} (expected a key on a single line; check the indentation above)',
  TAG_RESOLVE_FAILED: 'YAML tag: {msg} (expected a value of the tagged type, or no tag)',
};

// yaml's messages (without prettyErrors) never quote the source, so they are safe next to secrets.
export function yamlMessage(err: YAMLError): string {
  const msg = lowerFirst(err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  const template = YAML_EXPECTED[err.code] ?? 'YAML syntax: {msg} (expected valid YAML)';
  return template.replace('{msg}', msg);
}

// Keys below a secret (`secret: {x: y}`, `secret: abc: def`) are part of its value: name the secret only.
function upToSecret(path: KeyPath): KeyPath {
  const i = path.findIndex((seg) => isSecretPath([seg]));
  return i < 0 ? path : path.slice(0, i + 1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
