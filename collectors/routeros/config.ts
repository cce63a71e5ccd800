// The `routeros:` config section: MikroTik devices polled over the API, poll timing, and subscriber rules per table.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
// From config/primitives.ts, not config/schema.ts: schema.ts imports this section (no import cycle).
import { duration, regexSource as regex } from '../../config/primitives.js';

/** The tables a device can be read from; each is a closed case in table-readings.ts. */
export const TABLES = ['queues', 'ppp', 'hotspot', 'interfaces'] as const;
export type Table = (typeof TABLES)[number];


/** How a row's key becomes a subscriber (the same shape as the SNMP poller's rules). */
function ruleSchema<F extends [string, ...string[]]>(fields: F, defaults: { from: F[number]; pattern: string }) {
  return z.strictObject({
    /** Which field of the row is the key. */
    from: z.enum(fields).default(defaults.from as never),
    /**
     * Regular expression on the key; the first capture group (or the whole match) is the subscriber. A row whose
     * key does not match maps to nobody (counted in wispmeter_routeros_unmapped_rows).
     */
    pattern: regex.default(defaults.pattern),
    /** Key (after `pattern`) → subscriber, for keys that are not subscriber ids. When set, keys not listed map to nobody. */
    map: z.record(z.string().min(1), z.string().min(1)).optional(),
  }).prefault({});
}

export const subscriberRulesSchema = z.strictObject({
  /** Simple queues: by `name`, or by `target` ("10.0.5.2/32"; a list "a/32,b/32" is matched as written). */
  queues: ruleSchema(['name', 'target', 'comment'], { from: 'name', pattern: '^(.+)$' }),
  /** PPP sessions: by user `name`, `caller-id` (the CPE's MAC for PPPoE) or `address`. */
  ppp: ruleSchema(['name', 'caller-id', 'address'], { from: 'name', pattern: '^(.+)$' }),
  /** Hotspot sessions: by `user`, `mac-address` or `address`. */
  hotspot: ruleSchema(['user', 'mac-address', 'address'], { from: 'user', pattern: '^(.+)$' }),
  /** Interfaces: by `comment` ("cust:alice", as the SNMP poller reads ifAlias) or `name`. Others map to nobody. */
  interfaces: ruleSchema(['comment', 'name'], { from: 'comment', pattern: '^cust:(\\S+)$' }),
});

export const routerosTlsSchema = z.strictObject({
  /** PEM file of the CA that signed the router's api-ssl certificate (relative to the config file). */
  ca: z.string().min(1).optional(),
  /** SHA-256 fingerprint of the router's certificate, pinning a self-signed one (`openssl x509 -fingerprint -sha256`). */
  fingerprint: z.string().regex(/^([0-9a-fA-F]{2}:?){32}$/, 'not a SHA-256 fingerprint (expected 64 hex digits, colons allowed)').optional(),
  /** Name the certificate is issued to, when the router is addressed by IP. */
  servername: z.string().min(1).optional(),
});

export const routerosDeviceSchema = z.strictObject({
  /** Name of the router: the `device` of its usage records and its state in the spool. Unique. */
  name: z.string().min(1),
  /** Host name or address of the router's API service. */
  host: z.string().min(1),
  /** API port: 8728 (api) by default, 8729 (api-ssl) with `tls`. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Use api-ssl. `true` checks the certificate against the system CAs; give `ca` or `fingerprint` for a private one. */
  tls: z.union([z.boolean(), routerosTlsSchema]).default(false),
  /** API user (a read-only group is enough: see collectors/routeros/README.md). */
  username: z.string().min(1),
  /** Its password. Never logged. */
  password: z.string(),
  /** Tables to meter. Meter a subscriber from one table only, or it is counted twice. */
  tables: z.array(z.enum(TABLES)).min(1).default(['queues']),
  /** Width of the router's byte counters: 64 on RouterOS 6 and 7; 32 for counters that wrap at 4 GiB. */
  counterBits: z.union([z.literal(32), z.literal(64)]).default(64),
  /** Overrides routeros.interval for this device. */
  interval: duration.optional(),
  /** Overrides routeros.subscribers for this device, per table. */
  subscribers: z.strictObject({
    queues: subscriberRulesSchema.shape.queues.optional(),
    ppp: subscriberRulesSchema.shape.ppp.optional(),
    hotspot: subscriberRulesSchema.shape.hotspot.optional(),
    interfaces: subscriberRulesSchema.shape.interfaces.optional(),
  }).optional(),
});

export const routerosSchema = z.strictObject({
  /** Time between two polls of a device; each poll yields one usage record per subscriber with traffic. */
  interval: duration.default(60_000),
  /** Bound on connecting and logging in, and on each command's reply. */
  timeout: duration.default(10_000),
  /** Devices polled at the same time, at most. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Retry delays after a failed poll: exponential from `initial` to `max`, jittered. */
  backoff: z.strictObject({
    initial: duration.default(1000),
    max: duration.default(300_000),
  }).prefault({}),
  /** A row not seen for this long is forgotten (its next appearance is a first sight), bounding the saved state. */
  forgetAfter: duration.default(7 * 86_400_000),
  /**
   * Also meter dynamic simple queues (the `<pppoe-…>`/`<hotspot-…>` ones RouterOS makes per session). Off: those
   * bytes are the PPP or hotspot session's own, metered from that table.
   */
  dynamicQueues: z.boolean().default(false),
  subscribers: subscriberRulesSchema.prefault({}),
  devices: z.array(routerosDeviceSchema).min(1),
}).superRefine((c, ctx) => {
  const names = new Set<string>();
  c.devices.forEach((d, i) => {
    if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'name'], message: `device name "${d.name}" is used twice` });
    names.add(d.name);
    if (new Set(d.tables).size !== d.tables.length) ctx.addIssue({ code: 'custom', path: ['devices', i, 'tables'], message: 'a table is listed twice' });
  });
});

export type RouterosConfig = z.infer<typeof routerosSchema>;
export type RouterosDeviceConfig = z.infer<typeof routerosDeviceSchema>;
export type SubscriberRules = z.infer<typeof subscriberRulesSchema>;
export type SubscriberRule = SubscriberRules[Table];

/** The port a device's API listens on. */
export function devicePort(d: RouterosDeviceConfig): number {
  return d.port ?? (d.tls === false ? 8728 : 8729);
}

/** The section with every relative `tls.ca` made absolute against `base` (the config file's folder), as the loader does for the catalog. */
export function resolveRouterosPaths(c: RouterosConfig, base: string): RouterosConfig {
  return {
    ...c,
    devices: c.devices.map((d) => (typeof d.tls === 'object' && d.tls.ca !== undefined && !isAbsolute(d.tls.ca) ? { ...d, tls: { ...d.tls, ca: resolve(base, d.tls.ca) } } : d)),
  };
}
