// IP leases learned from RADIUS accounting: which subscriber held an address or prefix, and when.

/** An address or prefix held by a subscriber over [from, to). `to` is undefined while the session is open. */
export interface Lease {
  subscriber: string;
  /** A single address ("100.64.0.10", "2001:db8::1") or a prefix in CIDR form ("2001:db8:1::/48"). */
  prefix: string;
  kind: 'framed-ip' | 'framed-ipv6-prefix' | 'delegated-ipv6-prefix';
  device: string;
  session: string;
  from: number;
  to?: number;
}
