// Traffic classes from prefix lists (e.g. "zero-rated" for a CDN cache or speed-test server), by the far end.
import type { FlowAddress } from './flow-record.js';
import { PrefixTable } from './prefix-table.js';

export interface ClassDefinition {
  /** The class name rating filters on, e.g. "zero-rated", "on-net". */
  name: string;
  prefixes: readonly string[];
}

/** The default class: what RADIUS and every unlisted destination fall into (UsageRecord.class absent). */
export const DEFAULT_CLASS = '';

export class TrafficClassifier {
  private readonly table = new PrefixTable<string>();

  /** Later definitions of the same prefix replace earlier ones; config validation refuses such overlaps. */
  constructor(classes: readonly ClassDefinition[]) {
    for (const c of classes) for (const p of c.prefixes) this.table.add(p, c.name);
  }

  /** The class of the remote address (longest prefix wins), or DEFAULT_CLASS. */
  classify(remote: FlowAddress): string {
    return this.table.empty ? DEFAULT_CLASS : (this.table.lookup(remote)?.value ?? DEFAULT_CLASS);
  }
}
