// A billing test world on disk: a config with a billing section, a catalog of N customers, and usage seeded into a
// real embedded store through its sink (as the collectors write it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { recordId, type UsageRecord } from '../collectors/pipeline/usage-record.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';

const HOUR = 3_600_000;

export const PLANS_YAML = `
rounding: { mode: HALF_UP, tax: per_line }
taxes:
  categories: [internet, service]
  rates:
    - { id: us-tx-state, name: "Texas sales tax", jurisdiction: US-TX, categories: [internet, service], rate: "0.0625" }
plans:
  - id: home
    name: Home 100
    currency: USD
    charges:
      - { id: base, model: flat, price: "40.00", taxCategory: internet }
      - { id: data, model: per_unit, unit: GB, unitPrice: "0.10", taxCategory: internet }
`;

export interface BillingWorld {
  dir: string;
  config: string;
  dataDir: string;
  ledger: string;
  customerIds: string[];
  subscriber: (customerId: string) => string;
}

/** Customers C-0001… on plan "home" since 2025-06-01, alternating Chicago and UTC; the first has a 10.00 credit. */
export function writeBillingWorld(dir: string, customers: number, extraBilling = ''): BillingWorld {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const ids = Array.from({ length: customers }, (_, i) => `C-${String(i + 1).padStart(4, '0')}`);
  const subscriber = (id: string) => `${id.toLowerCase()}@wisp`;
  const customerYaml = ids.map((id, i) => [
    `  - id: ${id}`,
    `    legalName: "Customer ${id}"`,
    '    address: "1 Main St, Marfa TX"',
    '    currency: USD',
    `    timezone: ${i % 2 === 0 ? 'America/Chicago' : 'UTC'}`,
    '    billingDay: 1',
    '    tax: { jurisdiction: US-TX }',
    `    subscribers: { radius: ["${subscriber(id)}"] }`,
    `    subscriptions: [{ id: S-${id}, plan: home, start: 2025-06-01 }]`,
    ...(i === 0 ? ['    credits: [{ id: CR-1, amount: "10.00", date: 2025-06-01, reason: "outage goodwill" }]'] : []),
  ].join('\n')).join('\n');
  writeFileSync(join(dir, 'plans.yaml'), PLANS_YAML);
  writeFileSync(join(dir, 'customers.yaml'), `customers:\n${customerYaml}\n`);
  const config = join(dir, 'wispmeter.yaml');
  writeFileSync(config, [
    'dataDir: ./data',
    'log: { level: warn }',
    'catalog: { plans: plans.yaml, customers: customers.yaml }',
    'billing:',
    '  seller:',
    '    legalName: "Mesa Wireless LLC"',
    '    address: { lines: ["100 Tower Rd"], city: Marfa, region: TX, postalCode: "79843", countryCode: US }',
    '    taxIds: ["TX-32000000000"]',
    '  timezone: America/Chicago',
    '  paymentTermsDays: 15',
    extraBilling,
    '',
  ].join('\n'));
  return { dir, config, dataDir: join(dir, 'data'), ledger: join(dir, 'data', 'ledger.sqlite'), customerIds: ids, subscriber };
}

/** One record per hour over [from, to) for a subscriber, `down` bytes each hour (and a tenth of it up). */
export function hourlyUsage(subscriber: string, from: number, to: number, down: bigint, device = 'nas-1'): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (let t = from + HOUR; t <= to; t += HOUR) {
    out.push({ id: recordId('radius', device, subscriber, t), source: 'radius', device, subscriber, start: t - HOUR, end: t, bytesDown: down, bytesUp: down / 10n });
  }
  return out;
}

/** Writes records into the world's embedded store (creating it) through the embedded sink. */
export async function seedUsage(world: BillingWorld, records: readonly UsageRecord[]): Promise<void> {
  mkdirSync(world.dataDir, { recursive: true });
  const store = EmbeddedStore.open(join(world.dataDir, 'usage.sqlite'), pino({ level: 'silent' }));
  try {
    for (let i = 0; i < records.length; i += 5000) {
      const r = await store.sink.write(records.slice(i, i + 5000), 10_000);
      if (r.status !== 'ok') throw new Error(`seeding usage failed: ${r.status}`);
    }
  } finally {
    await store.close();
  }
}

/** Every customer's December 2025 (with a day's margin either side) at `perHour` bytes down each hour. */
export function monthOfUsage(world: BillingWorld, year: number, month: number, perHour: bigint): UsageRecord[] {
  const from = Date.UTC(year, month - 1, 1) - 86_400_000;
  const to = Date.UTC(year, month, 1) + 86_400_000;
  return world.customerIds.flatMap((id) => hourlyUsage(world.subscriber(id), from, to, perHour));
}
