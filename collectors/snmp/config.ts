// The `snmp:` config section: targets (v2c or v3), poll timing, profiles and the subscriber rules of each profile.
import { z } from 'zod';
// From config/primitives.ts, not config/schema.ts: schema.ts imports this section (no import cycle).
import { duration, regexSource as regex } from '../../config/primitives.js';

/** The closed set of profiles; `auto` picks them by sysObjectID (profiles/registry.ts). */
export const PROFILE_IDS = ['if-mib', 'mikrotik-queue', 'airmax-station'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];


/** Extra rule fields every profile shares: how a row's key becomes a subscriber. */
const ruleCommon = {
  /**
   * Regular expression on the key; the first capture group (or the whole match) is the subscriber. A row whose
   * key does not match maps to nobody (counted in wispmeter_snmp_unmapped_rows).
   */
  pattern: regex.default('^(.+)$'),
  /** Key (after `pattern`) → subscriber, for keys that are not subscriber ids (MACs, addresses). When set, keys not listed map to nobody. */
  map: z.record(z.string().min(1), z.string().min(1)).optional(),
};

export const ifMibRuleSchema = z.strictObject({
  /** Which interface column names the subscriber: ifAlias (the interface comment), ifName or ifDescr. */
  from: z.enum(['alias', 'name', 'descr']).default('alias'),
  ...ruleCommon,
  pattern: regex.default('^cust:(\\S+)$'),
  /**
   * `subscriber`: the interface faces the subscriber (a router's customer VLAN or PPPoE interface), so what it
   * sends out is download. `upstream`: the interface faces the network (a CPE's WAN port), so what comes in is download.
   */
  facing: z.enum(['subscriber', 'upstream']).default('subscriber'),
});

export const queueRuleSchema = z.strictObject({
  /** The queue's name, or its target address ("10.0.5.2", or "10.0.5.0/29" for a prefix). */
  from: z.enum(['name', 'target']).default('name'),
  ...ruleCommon,
});

export const stationRuleSchema = z.strictObject({
  /** The station's MAC (lower-case, colon-separated: "04:18:d6:aa:bb:cc") or its device name. */
  from: z.enum(['mac', 'name']).default('mac'),
  ...ruleCommon,
});

export const subscriberRulesSchema = z.strictObject({
  'if-mib': ifMibRuleSchema.default({ from: 'alias', pattern: '^cust:(\\S+)$', facing: 'subscriber' }),
  'mikrotik-queue': queueRuleSchema.default({ from: 'name', pattern: '^(.+)$' }),
  'airmax-station': stationRuleSchema.default({ from: 'mac', pattern: '^(.+)$' }),
});

const profileList = z.array(z.enum(['auto', ...PROFILE_IDS])).min(1);

const targetCommon = {
  /** Name of the device: the `device` of its usage records. Unique. */
  name: z.string().min(1),
  /** The tower or site the device stands on: the `tower` tag of its device_health points, for the radio dashboard. */
  tower: z.string().min(1).optional(),
  /** Host name or IP address of the agent. */
  address: z.string().min(1),
  /** UDP port of the agent. */
  port: z.number().int().min(1).max(65535).default(161),
  /** Profiles to poll; `auto` picks by sysObjectID (MikroTik: queues + IF-MIB, airOS: stations + IF-MIB, else IF-MIB). */
  profiles: profileList.default(['auto']),
  /** Overrides snmp.interval for this target. */
  interval: duration.optional(),
  /** Overrides snmp.timeout for this target. */
  timeout: duration.optional(),
  /** Overrides snmp.retries for this target. */
  retries: z.number().int().min(0).max(10).optional(),
  /** Overrides snmp.subscribers for this target: each profile's rule given here replaces the section's whole. */
  subscribers: z.strictObject({
    'if-mib': ifMibRuleSchema.optional(),
    'mikrotik-queue': queueRuleSchema.optional(),
    'airmax-station': stationRuleSchema.optional(),
  }).optional(),
};

export const v2cTargetSchema = z.strictObject({
  /** SNMP version: "2c" (community) or 3 (user-based security). */
  version: z.literal('2c'),
  ...targetCommon,
  /** Read community. Never logged. */
  community: z.string().min(1),
});

// RFC 3414 §11.2 asks for passphrases of at least 8 characters; net-snmp agents refuse shorter ones.
const passphrase = z.string().min(8);

export const v3TargetSchema = z.strictObject({
  version: z.literal(3),
  ...targetCommon,
  /** USM user name. */
  user: z.string().min(1),
  /** authNoPriv (signed) or authPriv (signed and encrypted). */
  level: z.enum(['authNoPriv', 'authPriv']),
  authProtocol: z.enum(['sha', 'sha224', 'sha256', 'sha384', 'sha512', 'md5']).default('sha'),
  /** Authentication passphrase (8 or more characters). Never logged. */
  authPassword: passphrase,
  /** aes = AES-128-CFB (RFC 3826); aes256b/aes256r = the two AES-256 key-localisation variants. Required with authPriv. */
  privProtocol: z.enum(['aes', 'aes256b', 'aes256r']).optional(),
  /** Privacy passphrase (8 or more characters). Never logged. */
  privPassword: passphrase.optional(),
  /** SNMPv3 context name, when the agent needs one. */
  context: z.string().optional(),
});

export const snmpTargetSchema = z.discriminatedUnion('version', [v2cTargetSchema, v3TargetSchema]);

export const snmpSchema = z.strictObject({
  /** How often each target is polled; one usage record per subscriber per poll. */
  interval: duration.default(60_000),
  /** How long one request waits for an answer before a retry. */
  timeout: duration.default(2_000),
  /** Retries of a request that got no answer. */
  retries: z.number().int().min(0).max(10).default(1),
  /** Targets polled at the same time at most; a dead target holds one slot for timeout × (retries + 1) per request. */
  concurrency: z.number().int().min(1).max(1024).default(32),
  /** Rows asked for per GETBULK request. */
  maxRepetitions: z.number().int().min(1).max(200).default(20),
  /** How rows map to subscribers, per profile; a target can override any of them. */
  subscribers: subscriberRulesSchema.default({
    'if-mib': { from: 'alias', pattern: '^cust:(\\S+)$', facing: 'subscriber' },
    'mikrotik-queue': { from: 'name', pattern: '^(.+)$' },
    'airmax-station': { from: 'mac', pattern: '^(.+)$' },
  }),
  /** Device health gauges (signal, CCQ, capacity, oper status, poll latency) to stores.influx, measurement device_health. */
  health: z.strictObject({
    influx: z.boolean().default(true),
  }).default({ influx: true }),
  targets: z.array(snmpTargetSchema).default([]),
});

/**
 * Checks across keys, on the raw YAML (config/cross-checks.ts) so they are reported together with every schema
 * problem instead of only once the rest is valid: unique target names, authPriv with its privacy settings.
 */
export function snmpCrossChecks(raw: unknown): { path: (string | number)[]; message: string }[] {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { targets?: unknown }).targets)) return [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const names = new Map<string, number>();
  ((raw as { targets: unknown[] }).targets).forEach((t, i) => {
    if (typeof t !== 'object' || t === null) return;
    const target = t as Record<string, unknown>;
    if (typeof target.name === 'string' && target.name !== '') {
      const first = names.get(target.name);
      if (first === undefined) names.set(target.name, i);
      else problems.push({ path: ['snmp', 'targets', i, 'name'], message: `target name ${JSON.stringify(target.name)} is used twice (expected unique names; first used by snmp.targets[${first}])` });
    }
    if (target.version === 3 && target.level === 'authPriv') {
      if (target.privProtocol === undefined) problems.push({ path: ['snmp', 'targets', i, 'privProtocol'], message: 'missing while level is authPriv (expected aes, aes256b or aes256r)' });
      if (target.privPassword === undefined) problems.push({ path: ['snmp', 'targets', i, 'privPassword'], message: 'missing while level is authPriv (expected a passphrase of at least 8 characters)' });
    }
  });
  return problems;
}

export type SnmpConfig = z.infer<typeof snmpSchema>;
export type SnmpTargetConfig = z.infer<typeof snmpTargetSchema>;
export type SubscriberRules = z.infer<typeof subscriberRulesSchema>;
export type IfMibRule = z.infer<typeof ifMibRuleSchema>;
export type QueueRule = z.infer<typeof queueRuleSchema>;
export type StationRule = z.infer<typeof stationRuleSchema>;
