#!/usr/bin/env node
// The `wispmeter` command: parses flags and hands each subcommand to its module; no business logic here.
import { Command, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { FlagError } from './options.js';

const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

function commonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file (see config/wispmeter.sample.yaml)')
    .option('--data-dir <dir>', 'data directory: spool, session state and the embedded store (overrides dataDir)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']))
    .option('--log-pretty', 'human-readable logs instead of JSON lines');
}

const program = new Command('wispmeter')
  .description('Usage metering for wireless ISPs: RADIUS accounting → durable spool → InfluxDB and an embedded store')
  .version('0.1.0')
  .showHelpAfterError();

commonOptions(
  program
    .command('collect')
    .description('run the collectors until SIGTERM/SIGINT (then stop accepting, flush and exit 0)'),
)
  .option('--radius-listen <host:port>', 'RADIUS accounting listen address, repeatable (overrides radius.listen)', collectList)
  .option('--radius-client <cidr=secret>', 'allow a NAS: CIDR=SECRET or NAME@CIDR=SECRET, repeatable (adds to radius.clients)', collectList)
  .option('--netflow-listen <host:port>', 'NetFlow/IPFIX listen address, repeatable (overrides netflow.listen)', collectList)
  .option('--static <cidr=subscriber>', 'a static address or prefix of a subscriber, repeatable (adds to netflow.static)', collectList)
  .option('--class <name=cidr>', 'a traffic class prefix, e.g. zero-rated=198.51.100.0/24, repeatable (adds to netflow.classes)', collectList)
  .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics')
  .action(async (flags) => {
    const { runCollect } = await import('./collect.js');
    await runCollect(flags);
  });

commonOptions(
  program
    .command('usage')
    .description('per-subscriber usage totals for [from, to)'),
)
  .requiredOption('--from <iso8601>', 'start of the interval (inclusive), e.g. 2025-12-01T00:00:00Z')
  .requiredOption('--to <iso8601>', 'end of the interval (exclusive)')
  .option('--subscriber <id>', 'only this subscriber')
  .addOption(new Option('--store <store>', 'which store answers').choices(['embedded', 'influx']).default('embedded'))
  .addOption(new Option('--step <step>', 'one row per subscriber and bucket').choices(['5m', '1h', '1d']))
  .option('--source <source>', 'only usage from this source (radius, netflow, snmp, routeros); repeatable or comma-separated', collectList)
  .addOption(new Option('--by <key>', 'rows per subscriber, or per subscriber and traffic class').choices(['subscriber', 'class']).default('subscriber'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runUsage } = await import('./usage.js');
    await runUsage(flags);
  });

commonOptions(
  program
    .command('rate')
    .description('preview the rated fees (line items with usage evidence) of a billing period'),
)
  .requiredOption('--period <yyyy-mm>', 'billing period, e.g. 2025-12 (each customer\'s own billing day and time zone)')
  .option('--customer <id>', 'only this customer, repeatable', collectList)
  .option('--plans <file>', 'plans and taxes YAML (overrides catalog.plans)')
  .option('--customers <file>', 'customers YAML or CSV (overrides catalog.customers)')
  .addOption(new Option('--store <store>', 'which store the usage is read from').choices(['embedded', 'influx']).default('embedded'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runRate } = await import('./rate.js');
    await runRate(flags);
  });

commonOptions(
  program
    .command('demo')
    .description('run the whole pipeline on the embedded store over the bundled RADIUS and NetFlow fixtures: usage, a billing run, invoices, reconciliation'),
)
  .option('--fixtures <file>', 'radclient-format request file to send', 'fixtures/radius/demo.txt')
  .option('--flows <file>', 'flow CSV to export as IPFIX to the NetFlow collector (see scripts/gen-netflow-fixtures.ts)', 'fixtures/netflow/demo.flows.csv')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runDemo } = await import('./demo.js');
    await runDemo(flags);
  });

commonOptions(
  program
    .command('reconcile')
    .description('revenue assurance: per subscriber, RADIUS vs NetFlow vs SNMP/RouterOS; unclaimed and unattributed usage (with the top addresses); idle subscriptions; RADIUS sessions never stopped; invoices off the store'),
)
  .requiredOption('--period <yyyy-mm>', 'billing period, e.g. 2025-12 (each customer\'s own billing day and time zone)')
  .option('--threshold <percent>', 'flag subscribers whose sources deviate by more than this', '5')
  .option('--stale-after <duration>', 'report a RADIUS session no Stop ended once it is silent this long (twice the NAS\'s interim interval)', '1h')
  .option('--top-addresses <n>', 'how many addresses behind unattributed flows to list', '10')
  .option('--plans <file>', 'plans and taxes YAML (overrides catalog.plans)')
  .option('--customers <file>', 'customers YAML or CSV (overrides catalog.customers)')
  .addOption(new Option('--store <store>', 'which store the usage is read from').choices(['embedded', 'influx']).default('embedded'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'html']).default('table'))
  .option('--out <file>', 'write the report to this file instead of standard output')
  .action(async (flags) => {
    const { runReconcile } = await import('./reconcile.js');
    await runReconcile(flags);
  });

const catalogOptions = (cmd: Command): Command => cmd
  .option('--plans <file>', 'plans and taxes YAML (overrides catalog.plans)')
  .option('--customers <file>', 'customers YAML or CSV (overrides catalog.customers)');

const bill = program.command('bill').description('billing runs into the invoice ledger (billing: section of the config)');
catalogOptions(commonOptions(
  bill
    .command('run')
    .description('rate a period, then draft and finalize one invoice per customer with gap-free numbers; safe to repeat'),
))
  .requiredOption('--period <yyyy-mm>', 'billing period, e.g. 2025-12 (each customer\'s own billing day and time zone)')
  .option('--customer <id>', 'only this customer, repeatable', collectList)
  .option('--dry-run', 'print what would be invoiced; write nothing')
  .option('--batch <n>', 'invoices finalized per transaction (default 100)')
  .addOption(new Option('--store <store>', 'which store the usage is read from').choices(['embedded', 'influx']).default('embedded'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runBillRun } = await import('./bill.js');
    await runBillRun(flags);
  });
catalogOptions(commonOptions(
  bill
    .command('schedule')
    .description('bill each customer\'s period on their billing day in their zone; catches up missed periods; one scheduler at a time; with billing.schedule.deliver, sends and pushes the invoices and retries failures'),
))
  .option('--once', 'bill what is due now (and deliver, with billing.schedule.deliver), then exit (exit 3 when another scheduler holds the lease)')
  .option('--dry-run', 'print the periods and customers that are due now (what --once would bill); write nothing')
  .option('--now <instant>', 'with --once or --dry-run: the instant to bill as of, e.g. 2026-01-01T06:00:00Z')
  .option('--batch <n>', 'invoices finalized per transaction (default 100)')
  .addOption(new Option('--store <store>', 'which store the usage is read from').choices(['embedded', 'influx']).default('embedded'))
  .action(async (flags) => {
    const { runBillSchedule } = await import('./bill.js');
    await runBillSchedule(flags);
  });
catalogOptions(commonOptions(
  bill
    .command('charge')
    .description('add a one-off charge (installation, site visit) to the customer\'s next invoice'),
))
  .requiredOption('--customer <id>', 'customer id')
  .requiredOption('--id <id>', 'your id for the charge: adding the same id twice adds it once')
  .requiredOption('--description <text>', 'line text on the invoice')
  .requiredOption('--amount <decimal>', 'price in the customer\'s currency, as the plan prices (net or gross)')
  .requiredOption('--tax-category <name>', 'product category for taxes (taxes.categories of the plans file)')
  .action(async (flags) => {
    const { runBillCharge } = await import('./bill.js');
    await runBillCharge(flags);
  });

const invoices = program.command('invoices').description('finalized invoices and credit notes in the ledger');
commonOptions(invoices.command('list').description('invoices and credit notes with paid, credited and balance'))
  .option('--customer <id>', 'only this customer')
  .addOption(new Option('--status <status>', 'only this status').choices(['open', 'partly_paid', 'paid', 'credited', 'credit_note']))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runInvoicesList } = await import('./invoices.js');
    runInvoicesList(flags);
  });
commonOptions(invoices.command('show').argument('<number>', 'invoice or credit note number').description('one document as finalized, with its balance'))
  .addOption(new Option('--format <format>', 'text, or the stored canonical JSON').choices(['text', 'json']).default('text'))
  .action(async (number: string, flags) => {
    const { runInvoicesShow } = await import('./invoices.js');
    runInvoicesShow(number, flags);
  });
commonOptions(invoices.command('export').argument('<number...>', 'invoice or credit note numbers').description('render finalized documents to files'))
  .addOption(new Option('--format <format>', 'what to write').choices(['html', 'pdf', 'csv', 'json', 'ubl', 'quickbooks', 'xero']).makeOptionMandatory())
  .requiredOption('--out <dir>', 'directory to write to (created if missing)')
  .action(async (numbers: string[], flags) => {
    const { runInvoicesExport } = await import('./invoices.js');
    await runInvoicesExport(numbers, flags);
  });
catalogOptions(commonOptions(invoices.command('credit').argument('<number>', 'invoice number').description('issue a credit note (own number series) correcting a finalized invoice')))
  .requiredOption('--reason <text>', 'why; printed on the credit note')
  .option('--lines <n,n…>', 'credit these whole lines of the invoice')
  .option('--amount <decimal>', 'credit this amount, tax included, spread over the invoice\'s taxes')
  .action(async (number: string, flags) => {
    const { runInvoicesCredit } = await import('./invoices.js');
    runInvoicesCredit(number, flags);
  });

const deliverOptions = (cmd: Command): Command => catalogOptions(commonOptions(cmd))
  .option('--period <yyyy-mm>', 'every finalized invoice and credit note of this period')
  .option('--dry-run', 'print what would be sent; send and record nothing')
  .option('--resend', 'send again what was delivered (or is dead), as a new round of attempts')
  .option('--now <iso8601>', 'as of this instant: which retries are due (tests, replays)')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'));
deliverOptions(invoices.command('send').argument('[number...]', 'invoice or credit note numbers; none: the e-mails waiting for a retry')
  .description('e-mail finalized documents (PDF attached) to each customer\'s catalog email, once; failures retried on later runs'))
  .action(async (numbers: string[], flags) => {
    const { runInvoicesSend } = await import('./invoices.js');
    await runInvoicesSend(numbers, flags);
  });
deliverOptions(invoices.command('push').argument('[number...]', 'invoice or credit note numbers; none: the pushes waiting for a retry')
  .description('POST the canonical JSON of finalized documents to billing.webhooks, signed, once per endpoint; failures retried on later runs'))
  .action(async (numbers: string[], flags) => {
    const { runInvoicesPush } = await import('./invoices.js');
    await runInvoicesPush(numbers, flags);
  });
commonOptions(invoices.command('deliveries').description('e-mail and webhook deliveries: the latest attempt of each, with retries due and dead ones'))
  .addOption(new Option('--status <status>', 'only this status').choices(['pending', 'ok', 'retryable', 'dead']))
  .addOption(new Option('--channel <channel>', 'only this channel').choices(['email', 'webhook']))
  .option('--number <number>', 'only this document')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runInvoicesDeliveries } = await import('./invoices.js');
    runInvoicesDeliveries(flags);
  });

const payments = program.command('payments').description('payments received, allocated to invoices');
commonOptions(payments.command('import').argument('<file>', 'CSV: date, invoice and/or customer, amount, currency, reference').description('import payments (a reference already imported is skipped) and allocate them, oldest invoice first'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (file: string, flags) => {
    const { runPaymentsImport } = await import('./payments.js');
    runPaymentsImport(file, flags);
  });
commonOptions(payments.command('balances').description('open balance and money on account per customer'))
  .option('--customer <id>', 'only this customer')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (flags) => {
    const { runPaymentsBalances } = await import('./payments.js');
    runPaymentsBalances(flags);
  });

const portal = commonOptions(
  program
    .command('portal')
    .description('serve the customer usage portal: usage against quota, daily history and invoice PDFs, behind signed links (docs/portal.md)'),
)
  .option('--listen <host:port>', 'HTTP listen address (overrides portal.listen)')
  .action(async (flags) => {
    const { runPortal } = await import('./portal.js');
    await runPortal(flags);
  });
commonOptions(portal.command('link').description("print a customer's signed portal link"))
  .requiredOption('--customer <id>', 'customer id')
  .option('--days <n>', 'days the link stays valid (default portal.linkLifetime)')
  .action(async (_flags, cmd: Command) => {
    const { runPortalLink } = await import('./portal.js');
    // `portal link --config F`: the parent `portal` takes the common options it shares with `link`.
    runPortalLink(cmd.optsWithGlobals());
  });

const config = program.command('config').description('work with config files');
config
  .command('check')
  .argument('<file>', 'YAML config file')
  .description('validate a config file; errors are printed as FILE:LINE KEY: what is wrong (expected …)')
  .action(async (file: string) => {
    const { runConfigCheck } = await import('./config-check.js');
    runConfigCheck(file);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof FlagError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wispmeter: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.WISPMETER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
