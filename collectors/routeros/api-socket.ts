// Opening the TCP or TLS socket to a router's API service, with the certificate checked (chain or pinned
// fingerprint) before a single byte of the login is written.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { RouterosApiError } from './api-error.js';

export interface ApiTlsOptions {
  /** PEM CA bundle that signed the router's certificate. */
  ca?: string | Buffer;
  /** SHA-256 fingerprint of the router's certificate ("AB:CD:…" or hex): pins a self-signed certificate. */
  fingerprint?: string;
  /** Name to check the certificate against when it is not the host (also sent as SNI). */
  servername?: string;
}

export function connectSocket(opts: { host: string; port: number; tls?: ApiTlsOptions; timeoutMs: number }): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const where = `${opts.host}:${opts.port}`;
    const tls = opts.tls;
    const socket = tls
      ? tlsConnect({
        host: opts.host,
        port: opts.port,
        servername: tls.servername ?? (isIpLiteral(opts.host) ? undefined : opts.host),
        ca: tls.ca,
        // A pinned fingerprint replaces chain checks (RouterOS certificates are mostly self-signed); it is
        // compared below before any credential is sent.
        rejectUnauthorized: tls.fingerprint === undefined,
      })
      : netConnect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RouterosApiError('timeout', `no connection to ${where} within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    timer.unref();
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const isTls = tls !== undefined && (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || /certificate|ssl|tls/i.test(err.message));
      reject(new RouterosApiError(isTls ? 'tls' : 'connect', `cannot connect to ${where}: ${err.message}`, { cause: err }));
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      if (tls?.fingerprint !== undefined) {
        const got = (socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '';
        if (normalizeFingerprint(got) !== normalizeFingerprint(tls.fingerprint)) {
          socket.destroy();
          return reject(new RouterosApiError('tls', `certificate of ${where} has fingerprint ${got}, not the pinned ${tls.fingerprint}`));
        }
      }
      socket.setNoDelay(true);
      // A NAT or firewall that silently drops an idle session between polls is found by keepalive, not by a poll.
      socket.setKeepAlive(true, 30_000);
      resolve(socket);
    });
  });
}

function normalizeFingerprint(f: string): string {
  return f.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
