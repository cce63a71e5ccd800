// The `netflow:` config section: listeners, exporters, static prefixes, classes, template hold and aggregation.
import { z } from 'zod';
// From config/primitives.ts, not config/schema.ts: schema.ts imports this section, and a cycle would leave
// these uninitialised here.
import { byteSize, cidr, duration, listenAddress } from '../../config/primitives.js';
import { MIN_RING_BYTES } from './datagram-ring.js';

export const exporterSchema = z.strictObject({
  /** Name of the router: the `device` of its usage records. */
  name: z.string().min(1),
  /** Source address or prefix the exporter sends from; the most specific wins. */
  address: cidr,
  /** Use this 1-in-N instead of what the exporter announces (for exporters that sample but do not say so). */
  samplingInterval: z.number().int().min(1).optional(),
});

export const staticAssignmentSchema = z.strictObject({
  /** An address or prefix always held by one subscriber (static-IP customers who never touch RADIUS). */
  prefix: cidr,
  subscriber: z.string().min(1),
});

export const trafficClassSchema = z.strictObject({
  /** The class usage gets when its far end is in one of the prefixes, e.g. "zero-rated", "on-net". */
  name: z.string().min(1).regex(/^[a-z0-9][a-z0-9_-]*$/, 'class names are lower-case letters, digits, "-" and "_"'),
  prefixes: z.array(cidr).min(1),
});

export const templateHoldSchema = z.strictObject({
  /** How long data that came before its template waits for it before it is counted as dropped (no_template). */
  holdTime: duration.default(120_000),
  /** Data sets held per (exporter, domain, template); the oldest is dropped (and counted) past it. */
  maxSetsPerTemplate: z.number().int().min(1).default(64),
  /** Bytes held across all exporters; when full, the exporter holding the most loses its oldest set (counted). */
  maxBytes: byteSize.default(16 * 1024 * 1024),
  /** Templates cached across all exporters; past it the least recently used domain of the exporter with the most goes (counted). */
  maxTemplates: z.number().int().min(1).default(10_000),
  /** Templates cached per exporter address; past it that exporter's own least recently used domain goes (counted). */
  maxTemplatesPerExporter: z.number().int().min(1).default(2_000),
});

export const quarantineSchema = z.strictObject({
  /**
   * Bits per second no single flow can carry (the fastest link an exporter has, e.g. 100000000000 for 100G): a flow
   * whose octets (after sampling) exceed maxLineRate / 8 × its duration is quarantined instead of billed. Unset: only
   * flows of 2^63 octets or more are quarantined.
   */
  maxLineRate: z.number().positive().optional(),
  /**
   * The shortest duration the ceiling assumes: flows of one packet last 0 ms, and an exporter's clock may put start
   * and end a little off. Set it to your exporters' active timeout or more.
   */
  minDuration: duration.default(60_000),
});

export const netflowSchema = z.strictObject({
  /** UDP addresses: 2055 is the usual NetFlow v5/v9 port, 4739 IPFIX's; every port takes every version. */
  listen: z.array(listenAddress).min(1).default(['0.0.0.0:2055', '[::]:2055', '0.0.0.0:4739', '[::]:4739']),
  /** SO_RCVBUF asked for; the kernel caps it at net.core.rmem_max (the granted size is logged). */
  receiveBuffer: byteSize.default(8 * 1024 * 1024),
  /**
   * Receive in a worker thread that only copies datagrams into a shared queue, and decode on the main thread, so the
   * two use two cores. false: one thread does both (the sockets' handler decodes).
   */
  receiveThread: z.boolean().default(true),
  /**
   * How the receive thread reads its sockets: `recvmmsg` takes many datagrams per system call (Linux x64/arm64,
   * through koffi), `dgram` is Node's one-datagram-per-callback socket, `auto` is recvmmsg where it can be used and
   * dgram elsewhere. Without the receive thread the sockets are read with dgram.
   */
  receiveMethod: z.enum(['auto', 'recvmmsg', 'dgram']).default('auto'),
  /**
   * Size of that queue (shared memory). When it is full the receive thread waits and the socket buffer fills (counted).
   * 64 MiB holds about half a second of 3.5M IPFIX records/s: what a collector restarted under full load needs while
   * its decoder is still being compiled (16 MiB lost datagrams in that first second at 3.5M in bench/netflow).
   */
  receiveQueue: byteSize.pipe(z.number().int().min(MIN_RING_BYTES, `at least ${MIN_RING_BYTES} bytes (1MiB)`).max(1024 * 1024 * 1024, 'at most 1GiB')).default(64 * 1024 * 1024),
  /** Known exporters. Empty: every source is accepted and named by its address. */
  exporters: z.array(exporterSchema).default([]),
  /** Static address/prefix → subscriber entries; RADIUS leases of the same length win. */
  static: z.array(staticAssignmentSchema).default([]),
  /** Prefix lists that give usage a class by the far end of the flow. */
  classes: z.array(trafficClassSchema).default([]),
  templates: templateHoldSchema.default({ holdTime: 120_000, maxSetsPerTemplate: 64, maxBytes: 16 * 1024 * 1024, maxTemplates: 10_000, maxTemplatesPerExporter: 2_000 }),
  /** Implausible flows are kept out of usage, counted and written to spool/quarantine/netflow.jsonl. */
  quarantine: quarantineSchema.default({ minDuration: 60_000 }),
  /** Length of the aggregation bucket: one record per (subscriber, class, exporter, bucket). */
  bucket: duration.default(60_000),
}).superRefine((c, ctx) => {
  const seen = new Map<string, string>();
  c.static.forEach((s, i) => {
    const key = canonicalPrefix(s.prefix);
    const other = seen.get(key);
    if (other !== undefined && other !== s.subscriber) ctx.addIssue({ code: 'custom', path: ['static', i, 'prefix'], message: `${s.prefix} is already assigned to "${other}"` });
    seen.set(key, s.subscriber);
  });
  const classOf = new Map<string, string>();
  c.classes.forEach((k, i) => k.prefixes.forEach((p, j) => {
    const other = classOf.get(canonicalPrefix(p));
    if (other !== undefined && other !== k.name) ctx.addIssue({ code: 'custom', path: ['classes', i, 'prefixes', j], message: `${p} is already in class "${other}"` });
    classOf.set(canonicalPrefix(p), k.name);
  }));
  const names = new Set<string>();
  c.exporters.forEach((e, i) => {
    if (names.has(e.name)) ctx.addIssue({ code: 'custom', path: ['exporters', i, 'name'], message: `exporter name "${e.name}" is used twice` });
    names.add(e.name);
  });
});

export type NetflowConfig = z.infer<typeof netflowSchema>;
export type ExporterConfig = z.infer<typeof exporterSchema>;

/** "10.0.0.1" and "10.0.0.1/32" are the same prefix. */
function canonicalPrefix(p: string): string {
  return p.includes('/') ? p.toLowerCase() : `${p.toLowerCase()}/${p.includes(':') ? 128 : 32}`;
}

/** `--static CIDR=SUBSCRIBER` → an entry, or an error text naming the flag. */
export function parseStaticFlag(s: string): { prefix: string; subscriber: string } | string {
  const at = s.indexOf('=');
  const prefix = s.slice(0, at);
  const subscriber = s.slice(at + 1);
  if (at < 1 || !subscriber || !cidr.safeParse(prefix).success) return `--static ${s}: expected CIDR=SUBSCRIBER, e.g. 100.64.5.0/24=acme`;
  return { prefix, subscriber };
}

/** `--class NAME=CIDR` → a class with one prefix, or an error text. Repeated names merge in applyNetflowFlags. */
export function parseClassFlag(s: string): { name: string; prefix: string } | string {
  const at = s.indexOf('=');
  const name = s.slice(0, at);
  const prefix = s.slice(at + 1);
  if (at < 1 || !trafficClassSchema.shape.name.safeParse(name).success || !cidr.safeParse(prefix).success) return `--class ${s}: expected NAME=CIDR, e.g. zero-rated=198.51.100.0/24`;
  return { name, prefix };
}
