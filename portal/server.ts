// The customer portal's HTTP server: signed links in, one usage page and the customer's invoice PDFs out.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Ledger } from '../billing-export/ledger/ledger.js';
import { renderPdf } from '../billing-export/render/index.js';
import type { Catalog, Customer } from '../config/catalog-schema.js';
import type { UsageStore } from '../store/usage-store.js';
import { checkLink, linkQuery } from './link.js';
import { customerPage, refusalPage } from './page.js';
import { buildView, periodLabelAt } from './usage-view.js';

export interface PortalServerOptions {
  host: string;
  port: number;
  /** The link key (portal.secret). Never logged. */
  secret: string;
  catalog: Catalog;
  store: UsageStore;
  /** The ledger file; the invoice list is empty while it does not exist. */
  ledgerPath: string;
  logger: Logger;
  /** The clock (ms): which period is current and whether a link expired. */
  now?: () => number;
}

const PDF_CACHE_ENTRIES = 64;

/** Headers on every answer: no scripts, no framing, and no Referer, which would carry the link's signature away. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'private, no-store',
};

const REFUSALS = {
  missing: 'This link is incomplete: it has no signature or no expiry.',
  malformed: 'This link is damaged: its signature or expiry is not in the expected form.',
  forged: 'This link is not valid: it was changed, or it was not issued by your provider.',
  expired: 'This link has expired.',
} as const;

export class PortalServer {
  private server: Server | undefined;
  private ledger: Ledger | undefined;
  private stopping: Promise<void> | undefined;
  private readonly customers: Map<string, Customer>;
  /** Finalized invoices never change, so their PDFs are rendered once (bounded, oldest dropped first). */
  private readonly pdfs = new Map<string, Buffer>();

  constructor(private readonly opts: PortalServerOptions) {
    this.customers = new Map(opts.catalog.customers.map((c) => [c.id, c]));
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.logger.error({ err, path: pathOnly(req.url) }, 'portal request failed');
        if (!res.headersSent) send(res, 500, 'text/html; charset=utf-8', refusalPage('Something went wrong', 'The portal could not build this page. Please try again later.'));
        else res.destroy();
      });
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    this.server = server;
    // events.once rejects on 'error' (e.g. EADDRINUSE), so a port taken fails start() instead of crashing later.
    server.listen(this.opts.port, this.opts.host);
    await once(server, 'listening');
    this.opts.logger.info({ address: this.address(), customers: this.customers.size }, 'portal listening');
  }

  address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error('portal: not listening');
    return { host: a.address, port: a.port };
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const done = () => {
        this.ledger?.close();
        this.ledger = undefined;
        resolve();
      };
      if (!this.server) return done();
      this.server.close(done);
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** The ledger, opened read-only once it exists (the portal never writes it). */
  private openLedger(): Ledger | undefined {
    if (!this.ledger && existsSync(this.opts.ledgerPath)) this.ledger = Ledger.open(this.opts.ledgerPath, { readOnly: true });
    return this.ledger;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    const url = new URL(req.url ?? '/', 'http://portal.invalid');
    const m = /^\/c\/([^/]+)(?:\/invoices\/([^/]+)\.pdf)?$/.exec(url.pathname);
    if (!m) return send(res, 404, 'text/html; charset=utf-8', refusalPage('Page not found', 'There is no page at this address.'));
    let customerId: string;
    let number: string | undefined;
    try {
      customerId = decodeURIComponent(m[1]!);
      number = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    } catch {
      return send(res, 404, 'text/html; charset=utf-8', refusalPage('Page not found', 'There is no page at this address.'));
    }
    const check = checkLink(this.opts.secret, customerId, url.searchParams.get('exp'), url.searchParams.get('sig'), this.now());
    if (!check.ok) {
      // The path is logged without its query: the signature is a bearer credential.
      this.opts.logger.info({ path: url.pathname, reason: check.reason }, 'portal link refused');
      const title = check.reason === 'expired' ? 'Link expired' : 'Link not valid';
      return send(res, 403, 'text/html; charset=utf-8', refusalPage(title, REFUSALS[check.reason]));
    }
    const customer = this.customers.get(customerId);
    if (!customer) return send(res, 404, 'text/html; charset=utf-8', refusalPage('Customer not found', 'This link names a customer your provider no longer has.'));
    const query = linkQuery(this.opts.secret, customerId, check.grant.exp);
    if (number !== undefined) return this.sendPdf(res, customer, number);

    const period = url.searchParams.get('period');
    if (period !== null && (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period) || period > periodLabelAt(this.now(), customer.billingDay, customer.timezone))) {
      return send(res, 404, 'text/html; charset=utf-8', refusalPage('Period not found', 'Usage is shown for the current and earlier billing periods only.'));
    }
    const ledger = this.openLedger();
    const view = await buildView(
      { catalog: this.opts.catalog, store: this.opts.store, invoices: (id) => ledger?.balances({ customerId: id }) ?? [] },
      customer, this.now(), period ?? undefined,
    );
    send(res, 200, 'text/html; charset=utf-8', customerPage(view, { query }));
  }

  private async sendPdf(res: ServerResponse, customer: Customer, number: string): Promise<void> {
    const ledger = this.openLedger();
    const row = ledger?.row(number);
    // NOTE: another customer's invoice answers exactly like a missing one, so a link cannot probe numbers.
    if (!ledger || !row || row.status !== 'finalized' || row.customer_id !== customer.id) {
      return send(res, 404, 'text/html; charset=utf-8', refusalPage('Invoice not found', 'There is no invoice with this number on your account.'));
    }
    let pdf = this.pdfs.get(number);
    if (!pdf) {
      pdf = Buffer.from(await renderPdf(ledger.document(number)));
      if (this.pdfs.size >= PDF_CACHE_ENTRIES) this.pdfs.delete(this.pdfs.keys().next().value!);
      this.pdfs.set(number, pdf);
    }
    res.setHeader('content-disposition', `attachment; filename="${number.replace(/[^\w.-]/g, '_')}.pdf"`);
    send(res, 200, 'application/pdf', pdf);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0]!;
}
