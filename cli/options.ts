// Turns a config file plus command-line flags into one validated Config: flags win over the file.
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { cidr, configSchema, listenAddress, type Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { netflowSchema, parseClassFlag, parseStaticFlag } from '../collectors/netflow/config.js';

export interface CommonFlags {
  config?: string;
  dataDir?: string;
  logLevel?: string;
  logPretty?: boolean;
}

export interface CollectFlags extends CommonFlags {
  radiusListen?: string[];
  radiusClient?: string[];
  netflowListen?: string[];
  static?: string[];
  class?: string[];
  metricsListen?: string;
}

/** A flag that does not parse: named the way a config error is, so users see one style. */
export class FlagError extends Error {
  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'FlagError';
  }
}

export function resolveConfig(flags: CollectFlags): Config {
  const config = flags.config ? loadConfig(flags.config) : configSchema.parse({});
  if (flags.dataDir) config.dataDir = resolve(flags.dataDir);
  else if (!isAbsolute(config.dataDir)) config.dataDir = resolve(config.dataDir);
  if (flags.logLevel) config.log.level = parseOr(configSchema.shape.log.unwrap().shape.level, flags.logLevel, '--log-level');
  if (flags.logPretty) config.log.pretty = true;
  if (flags.metricsListen) config.metrics.listen = parseOr(listenAddress, flags.metricsListen, '--metrics-listen');

  if (flags.radiusListen?.length || flags.radiusClient?.length) {
    config.radius ??= configSchema.shape.radius.unwrap().parse({});
    if (flags.radiusListen?.length) {
      config.radius.listen = flags.radiusListen.map((l) => parseOr(listenAddress, l, '--radius-listen'));
    }
    for (const spec of flags.radiusClient ?? []) config.radius.clients.push(parseClientFlag(spec));
  }
  applyNetflowFlags(config, flags);
  return config;
}

/**
 * --netflow-listen replaces netflow.listen; --static and --class add to the lists (a repeated class name gains
 * the prefix). Any of them turns the NetFlow collector on with its defaults.
 */
function applyNetflowFlags(config: Config, flags: CollectFlags): void {
  if (!flags.netflowListen?.length && !flags.static?.length && !flags.class?.length) return;
  config.netflow ??= netflowSchema.parse({});
  if (flags.netflowListen?.length) config.netflow.listen = flags.netflowListen.map((l) => parseOr(listenAddress, l, '--netflow-listen'));
  for (const spec of flags.static ?? []) {
    const s = parseStaticFlag(spec);
    if (typeof s === 'string') throw new FlagError('--static', s.replace(/^--static /, ''));
    config.netflow.static.push(s);
  }
  for (const spec of flags.class ?? []) {
    const c = parseClassFlag(spec);
    if (typeof c === 'string') throw new FlagError('--class', c.replace(/^--class /, ''));
    const known = config.netflow.classes.find((k) => k.name === c.name);
    if (known) known.prefixes.push(c.prefix);
    else config.netflow.classes.push({ name: c.name, prefixes: [c.prefix] });
  }
}

/** `--radius-client CIDR=SECRET` or `NAME@CIDR=SECRET`; the name defaults to the CIDR. */
export function parseClientFlag(spec: string): { name: string; address: string; secret: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) {
    throw new FlagError('--radius-client', 'expected CIDR=SECRET or NAME@CIDR=SECRET, e.g. 10.0.0.0/24=s3cret');
  }
  const left = spec.slice(0, eq);
  const secret = spec.slice(eq + 1);
  const at = left.indexOf('@');
  const name = at > 0 ? left.slice(0, at) : left;
  const address = parseOr(cidr, at > 0 ? left.slice(at + 1) : left, '--radius-client');
  return { name, address, secret };
}

/** Validates one flag value with the config's own schema, so a flag and a config key fail the same way. */
function parseOr<T>(schema: z.ZodType<T>, value: string, flag: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // `value` never holds a secret: --radius-client passes only its address part here.
  throw new FlagError(flag, `${r.error.issues[0]?.message ?? 'invalid'} (got "${value}")`);
}
