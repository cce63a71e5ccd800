// NAS clients by source address: the most specific configured prefix wins; IPv4-mapped IPv6 matches IPv4.
import type { RadiusClientConfig } from '../../config/schema.js';
import { cidrContains, normalizeAddress, parseCidr, type Cidr } from '../pipeline/ip.js';

export interface NasClient {
  name: string;
  secret: string;
}

export class ClientTable {
  private readonly entries: { cidr: Cidr; client: NasClient }[];

  constructor(clients: readonly RadiusClientConfig[]) {
    this.entries = clients
      .map((c) => {
        const cidr = parseCidr(c.address);
        if (!cidr) throw new Error(`radius: client "${c.name}": bad address "${c.address}"`);
        return { cidr, client: { name: c.name, secret: c.secret } };
      })
      // Longest prefix first, so the first match is the most specific.
      .sort((a, b) => b.cidr.bits - a.cidr.bits);
  }

  lookup(address: string): NasClient | undefined {
    const a = normalizeAddress(address);
    if (!a) return undefined;
    return this.entries.find((e) => cidrContains(e.cidr, a))?.client;
  }
}
