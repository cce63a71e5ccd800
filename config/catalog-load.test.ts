// The catalog loader: the samples load, and a wrong catalog is refused with FILE:LINE KEY: what (expected …).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalog, parseCustomers, parsePlans } from './catalog-load.js';
import { parseCsv, parseCustomersCsv } from './catalog-csv.js';
import { ConfigError } from './load.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/catalog/${name}`, import.meta.url));

function errors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const PLANS = `taxes:
  categories: [internet]
  rates:
    - { id: tx, name: TX, jurisdiction: US-TX, categories: [internet], rate: "0.0625" }
plans:
  - id: p1
    name: P1
    currency: USD
    charges:
      - { id: base, model: flat, price: "10.00", taxCategory: internet }
`;
const plans = parsePlans(PLANS, 'plans.yaml');

describe('catalog loader', () => {
  it('loads the samples (YAML and CSV customers)', () => {
    const yaml = loadCatalog({ plans: fixture('plans.yaml'), customers: fixture('customers.yaml') });
    expect([...yaml.plans.keys()]).toEqual(['home-50', 'home-100', 'biz-95']);
    expect(yaml.customers.map((c) => c.id)).toEqual(['C-1001', 'C-2001']);
    const csv = loadCatalog({ plans: fixture('plans.yaml'), customers: fixture('customers.csv') });
    expect(csv.customers[0]).toMatchObject({ legalName: "Bob's Farm, Inc.", address: '4 Creek Ln, "North" gate', subscribers: { macs: ['aa:bb:cc:00:00:01'] } });
    expect(csv.customers[1]).toMatchObject({ billingDay: 15, subscribers: { radius: ['carol@wisp', 'carol-backup@wisp'], queues: ['q-carol'] }, subscriptions: [{ id: 'C-3002-1', plan: 'home-100' }] });
  });

  it.each([
    {
      name: 'tier gap',
      text: PLANS.replace('      - { id: base', `      - id: data
        model: graduated
        unit: GB
        taxCategory: internet
        tiers:
          - { from: "0", upTo: "100", unitPrice: "0" }
          - { from: "150", unitPrice: "0.10" }
      - { id: base`),
      want: ['plans.yaml:16 plans[0].charges[0].tiers[1].from: tier gap: from 150 but the previous tier ends at 100 (expected from: 100)'],
    },
    {
      name: 'unknown tax category',
      text: PLANS.replace('taxCategory: internet }', 'taxCategory: telecom }'),
      want: ['plans.yaml:10 plans[0].charges[0].taxCategory: unknown tax category "telecom" (expected one of taxes.categories: internet)'],
    },
    {
      name: 'unknown currency',
      text: PLANS.replace('currency: USD', 'currency: USX'),
      want: ['plans.yaml:8 plans[0].currency: unknown currency: "USX" (expected an ISO 4217 code such as USD, EUR, JPY, KWD)'],
    },
    {
      name: 'a price in exponent form',
      text: PLANS.replace('price: "10.00", taxCategory: internet', 'price: 1.0e-8, taxCategory: telecom'),
      // Cross-checks (the unknown category) run once the schema parses, so only the price is reported here.
      want: ['plans.yaml:10 plans[0].charges[0].price: not a decimal: 1e-8 (expected e.g. "29.99" or "0.0625", quoted)'],
    },
    {
      name: 'a misspelt key gets a suggestion',
      text: PLANS.replace('price: "10.00"', 'pric: "10.00"'),
      want: [
        'plans.yaml:10 plans[0].charges[0].pric: unknown key, did you mean price? (expected one of id, description, taxCategory, model, price, billing)',
        'plans.yaml:10 plans[0].charges[0].price: missing (expected a string or a number)',
      ],
    },
    {
      name: 'unknown charge model and byte unit',
      text: PLANS.replace('model: flat, price: "10.00"', 'model: flatt, price: "10.00"'),
      want: ['plans.yaml:10 plans[0].charges[0].model: invalid value "flatt" (expected "flat" or "per_unit" or "graduated" or "volume" or "package" or "quota_overage" or "percentile" or "one_off" or "discount")'],
    },
    {
      name: 'overlapping tiers and an upTo on the last tier',
      text: PLANS.replace('      - { id: base', '      - { id: v, model: volume, unit: GB, taxCategory: internet, tiers: [{ from: "0", upTo: "10", unitPrice: "1" }, { from: "5", upTo: "20", unitPrice: "1" }] }\n      - { id: base'),
      want: [
        'plans.yaml:10 plans[0].charges[0].tiers[1].from: tier overlap: from 5 but the previous tier ends at 10 (expected from: 10)',
        'plans.yaml:10 plans[0].charges[0].tiers[1].upTo: the last tier ends at 20 (expected no upTo on the last tier, so all usage is priced)',
      ],
    },
    {
      name: 'a discount with both percent and amount',
      text: PLANS.replace('      - { id: base', '      - { id: d, model: discount, percent: "10", amount: "1", taxCategory: internet }\n      - { id: base'),
      want: ['plans.yaml:10 plans[0].charges[0].percent: a discount needs exactly one of percent or amount (expected percent: "10" or amount: "5.00")'],
    },
  ])('plans: $name', ({ text, want }) => {
    expect(errors(() => parsePlans(text, 'plans.yaml'))).toEqual(want);
  });

  const customer = (sub: string, tax = '{ jurisdiction: US-TX }') => `customers:
  - id: C1
    legalName: C One
    currency: USD
    timezone: America/Chicago
    tax: ${tax}
    subscriptions:
${sub}`;

  it.each([
    {
      name: 'unknown plan',
      text: customer('      - { id: S1, plan: p9, start: 2025-12-01 }\n'),
      want: ['customers.yaml:8 customers[0].subscriptions[0].plan: unknown plan "p9" (expected one of p1)'],
    },
    {
      name: 'overlapping subscriptions',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n      - { id: S2, plan: p1, start: 2025-12-10, end: 2026-01-01 }\n'),
      want: ['customers.yaml:9 customers[0].subscriptions[1].start: overlaps subscription S1 (expected one subscription at a time per customer; end the other first)'],
    },
    {
      name: 'unknown tax jurisdiction and exemption',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n', '{ jurisdiction: US-XX, exemptions: [nope] }'),
      want: [
        'customers.yaml:6 customers[0].tax.exemptions[0]: unknown tax rate "nope" (expected a taxes.rates id)',
        'customers.yaml:6 customers[0].tax.jurisdiction: unknown tax jurisdiction "US-XX" (expected one of US-TX)',
      ],
    },
    {
      name: 'unknown time zone',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n').replace('America/Chicago', 'Mars/Olympus'),
      want: ['customers.yaml:5 customers[0].timezone: unknown time zone: "Mars/Olympus" (expected an IANA name such as America/Chicago or Europe/Berlin)'],
    },
    {
      name: 'a plan change outside the subscription and a suspension that ends before it starts',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01, end: 2026-01-01, changes: [{ date: 2026-02-01, plan: p1 }], suspensions: [{ from: 2025-12-10, to: 2025-12-05 }] }\n'),
      want: [
        'customers.yaml:8 customers[0].subscriptions[0].changes[0].date: 2026-02-01 is not inside the subscription after the previous change (expected dates in order within [start, end))',
        'customers.yaml:8 customers[0].subscriptions[0].suspensions[0].to: 2025-12-05 is not after 2025-12-10 (expected to > from)',
      ],
    },
    {
      name: 'invoice details: a country code in lower case, an email without @, an endpoint scheme that is no EAS code',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n').replace('    subscriptions:',
        '    postalAddress: { lines: ["1 Main St"], countryCode: us }\n    email: billing.example.com\n    endpoint: { scheme: mail, id: x }\n    subscriptions:'),
      want: [
        'customers.yaml:7 customers[0].postalAddress.countryCode: not a country code: "us" (expected ISO 3166-1 alpha-2 in capitals, e.g. "DE", "US")',
        'customers.yaml:8 customers[0].email: not an email address: "billing.example.com" (expected e.g. "billing@example.com")',
        'customers.yaml:9 customers[0].endpoint.scheme: not an EAS scheme: "mail" (expected a code such as "0088", "0192", "9930" or "EM")',
      ],
    },
    {
      name: 'one identity on two customers',
      text: customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n').replace('    subscriptions:', '    subscribers: { radius: [shared] }\n    subscriptions:')
        + '  - { id: C2, legalName: Two, currency: USD, timezone: UTC, tax: { jurisdiction: US-TX }, subscribers: { radius: [shared] } }\n',
      want: ['customers.yaml:10 customers[1].subscribers.radius[0]: "shared" already belongs to customer C1 (expected each subscriber identity on one customer)'],
    },
  ])('customers: $name', ({ text, want }) => {
    expect(errors(() => parseCustomers(text, 'customers.yaml', plans))).toEqual(want);
  });

  it('reads the invoice details of a customer beside the free-text address', () => {
    const [c] = parseCustomers(customer('      - { id: S1, plan: p1, start: 2025-12-01 }\n').replace('    subscriptions:',
      '    address: "1 Main St, Marfa TX"\n    tradingName: One\n    postalAddress: { lines: ["1 Main St"], city: Marfa, region: TX, postalCode: "79843", countryCode: US }\n'
      + '    email: billing@one.example\n    endpoint: { scheme: "0088", id: "7300010000001" }\n    companyId: "TX-123"\n    subscriptions:'), 'customers.yaml', plans);
    expect(c).toMatchObject({
      address: '1 Main St, Marfa TX', tradingName: 'One', email: 'billing@one.example', companyId: 'TX-123',
      postalAddress: { lines: ['1 Main St'], city: 'Marfa', region: 'TX', postalCode: '79843', countryCode: 'US' },
      endpoint: { scheme: '0088', id: '7300010000001' },
    });
  });

  it('CSV errors name the line and the column', () => {
    const csv = 'id,legal_name,currency,timezone,tax_jurisdiction,plan,start\nC1,One,USD,America/Chicago,US-TX,p1,2025-12-01\nC2,Two,USD,America/Chicago,US-TX,p7,2025-12-01\nC3,Three,US,UTC,US-TX,,\n';
    expect(errors(() => parseCustomersCsv(csv, 'c.csv', plans))).toEqual([
      'c.csv:3 plan: unknown plan "p7" (expected one of p1)',
      'c.csv:4 currency: unknown currency: "US" (expected an ISO 4217 code such as USD, EUR, JPY, KWD)',
    ]);
  });

  it('CSV parser: quotes, embedded newlines, CRLF, BOM', () => {
    expect(parseCsv('\ufeffa,b\r\n"x\ny","q""q"\r\n')).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['x\ny', 'q"q'] }]);
  });
});
