// The YAML config, declared once: every key with its default and what it means.
import { z } from 'zod';

export { byteSize, cidr, duration, listenAddress, parseHostPort } from './primitives.js';
import { netflowSchema } from '../collectors/netflow/config.js';
import { billingSchema } from '../billing-export/config.js';
import { routerosSchema } from '../collectors/routeros/config.js';
import { snmpSchema } from '../collectors/snmp/config.js';
import { portalSchema } from '../portal/config.js';
import { byteSize, cidr, duration, listenAddress } from './primitives.js';

export const radiusClientSchema = z.strictObject({
  /** Name of the NAS: the `device` tag of its usage. */
  name: z.string().min(1),
  /** Source address or prefix the NAS sends from. The most specific prefix wins. */
  address: cidr,
  /** Shared secret. Never logged. */
  secret: z.string().min(1),
});

export const identitySchema = z.strictObject({
  /** Attribute that names the subscriber. */
  attribute: z.enum(['User-Name', 'Calling-Station-Id', 'Class']).default('User-Name'),
  /** Drop "@realm" (and "realm\\" prefixes) from the identity. */
  stripRealm: z.boolean().default(false),
  /** Lower-case the identity (MAC addresses in Calling-Station-Id, mixed-case user names). */
  lowercase: z.boolean().default(false),
});

export const radiusSchema = z.strictObject({
  /** Addresses to listen on for accounting (UDP). */
  listen: z.array(listenAddress).min(1).default(['0.0.0.0:1813', '[::]:1813']),
  /** NAS clients allowed to send accounting, each with its own secret. */
  clients: z.array(radiusClientSchema).default([]),
  /** How a packet names its subscriber. */
  identity: identitySchema.default({ attribute: 'User-Name', stripRealm: false, lowercase: false }),
  /** How long a response is kept to answer a retransmitted request (RFC 5080 §2.2.2). */
  duplicateWindow: duration.default(30_000),
  /** How long a closed session is remembered, so a retried Stop is not counted twice. */
  closedSessionRetention: duration.default(86_400_000),
  /** An open session with no packet for this long is closed (its NAS stopped sending interims). */
  staleSessionTimeout: duration.default(2 * 86_400_000),
  /**
   * How long a session closed as stale (no Stop and no Accounting-On/Off ever came for it) is remembered, so that
   * `wispmeter reconcile` can report it as never stopped for a past month. At least closedSessionRetention.
   */
  unstoppedSessionRetention: duration.default(62 * 86_400_000),
});

export const spoolSchema = z.strictObject({
  /** Past this many unconsumed bytes, RADIUS stops acknowledging (the NAS retries) and drops are counted. */
  maxBytes: byteSize.default(1024 ** 3),
  /** Size at which a spool segment file is closed and a new one started. */
  segmentBytes: byteSize.default(64 * 1024 ** 2),
});

export const embeddedStoreSchema = z.strictObject({
  /** SQLite file; relative paths are under dataDir. */
  path: z.string().min(1).default('usage.sqlite'),
});

const influxCommon = {
  /** Base URL of the server, e.g. http://127.0.0.1:8086. */
  url: z.string().url(),
  /** Points per write request. */
  batchSize: z.number().int().min(1).max(100_000).default(5000),
  /** Timeout of one write request. */
  timeout: duration.default(10_000),
};

export const influxSchema = z.discriminatedUnion('version', [
  z.strictObject({
    /** InfluxDB 1.x `/write` and `/query`. */
    version: z.literal(1),
    ...influxCommon,
    database: z.string().min(1),
    retentionPolicy: z.string().min(1).optional(),
    username: z.string().optional(),
    /** Never logged. */
    password: z.string().optional(),
  }),
  z.strictObject({
    /** InfluxDB 2.x/3.x `/api/v2/write` (via @influxdata/influxdb-client); reads use InfluxQL `/query`. */
    version: z.literal(2),
    ...influxCommon,
    org: z.string().min(1),
    bucket: z.string().min(1),
    /** API token. Never logged. */
    token: z.string().min(1),
    /** Database name for InfluxQL reads (the bucket's DBRP mapping); defaults to the bucket. */
    database: z.string().min(1).optional(),
  }),
]);

export const healthSchema = z.strictObject({
  /** /healthz calls a store unhealthy once every write to it has failed (and is being retried) for this long. */
  sinkFailingAfter: duration.default(60_000),
  /** ...or once it is this many spool bytes behind. Default: half of spool.maxBytes. */
  sinkMaxLag: byteSize.optional(),
  /** ...and the spool unhealthy above this share of spool.maxBytes (at 1, RADIUS stops acknowledging). */
  spoolHighWater: z.number().gt(0).max(1).default(0.9),
});

export const configSchema = z.strictObject({
  /** Where the spool, session state and embedded store live. */
  dataDir: z.string().min(1).default('./data'),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** Human-readable logs instead of JSON lines. */
    pretty: z.boolean().default(false),
  }).default({ level: 'info', pretty: false }),
  metrics: z.strictObject({
    /** Prometheus metrics at http://HOST:PORT/metrics and health at /healthz; omit to turn off. */
    listen: listenAddress.optional(),
    /** When /healthz answers 503; the defaults of healthSchema when omitted. */
    health: healthSchema.optional(),
  }).default({}),
  spool: spoolSchema.default({ maxBytes: 1024 ** 3, segmentBytes: 64 * 1024 ** 2 }),
  /** The RADIUS accounting collector; omit to run without it. */
  radius: radiusSchema.optional(),
  /** The NetFlow v5/v9 and IPFIX collector (collectors/netflow/README.md); omit to run without it. */
  netflow: netflowSchema.optional(),
  /** The SNMP poller: targets, profiles, subscriber rules (collectors/snmp/README.md); omit to run without it. */
  snmp: snmpSchema.optional(),
  /** The RouterOS API poller (collectors/routeros/README.md); omit to run without it. */
  routeros: routerosSchema.optional(),
  /** The rating catalog (`wispmeter rate`): plans and customers files, relative to this config file. */
  catalog: z.strictObject({
    /** Plans, charges and tax rates (YAML; see fixtures/catalog/plans.yaml). */
    plans: z.string().min(1),
    /** Customers: YAML, or CSV as a CRM exports it (see fixtures/catalog/customers.csv). */
    customers: z.string().min(1),
  }).optional(),
  stores: z.strictObject({
    /** The embedded SQLite store. On unless set to false. */
    embedded: z.union([embeddedStoreSchema, z.literal(false)]).default({ path: 'usage.sqlite' }),
    /** InfluxDB, for Grafana and as a query source. */
    influx: influxSchema.optional(),
  }).default({ embedded: { path: 'usage.sqlite' } }),
  /** Invoicing (`wispmeter bill`, `invoices`, `payments`): seller, numbering, terms, schedule. */
  billing: billingSchema.optional(),
  /** The customer usage portal (`wispmeter portal`, docs/portal.md): link secret and listen address; omit to turn off. */
  portal: portalSchema.optional(),
});

export type Config = z.infer<typeof configSchema>;
export type RadiusConfig = z.infer<typeof radiusSchema>;
export type RadiusClientConfig = z.infer<typeof radiusClientSchema>;
export type IdentityConfig = z.infer<typeof identitySchema>;
export type SpoolConfig = z.infer<typeof spoolSchema>;
export type InfluxConfig = z.infer<typeof influxSchema>;
export type HealthConfig = z.infer<typeof healthSchema>;
