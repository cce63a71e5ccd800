// How a RouterOS API session or command failed, by kind, for metrics and for choosing how to retry.

/**
 * connect: no TCP session; tls: certificate refused or handshake failed; auth: login refused; timeout: no connection
 * or no complete reply in time; closed: the session ended (by the router, the network, or us); fatal: the router sent
 * !fatal; trap: a command was refused (!trap); protocol: bytes or replies that are not the API; unsupported: a
 * router too old (the pre-6.43 challenge login).
 */
export type ApiErrorKind = 'connect' | 'tls' | 'auth' | 'timeout' | 'closed' | 'fatal' | 'trap' | 'protocol' | 'unsupported';

export class RouterosApiError extends Error {
  constructor(readonly kind: ApiErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouterosApiError';
  }
}
