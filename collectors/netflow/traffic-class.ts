// Traffic classes from prefix lists (e.g. "zero-rated" for a CDN cache or speed-test server), by the far end.
import { AddressMemo } from './address-memo.js';
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
  /** IPv4 answers: the class lists are fixed for the classifier's life, so an answer holds for ever. */
  private readonly memo = new AddressMemo<string>();

  /** Later definitions of the same prefix replace earlier ones; config validation refuses such overlaps. */
  constructor(classes: readonly ClassDefinition[]) {
    for (const c of classes) for (const p of c.prefixes) this.table.add(p, c.name);
  }

  /** The class of the remote address (longest prefix wins), or DEFAULT_CLASS. */
  classify(remote: FlowAddress): string {
    if (this.table.empty) return DEFAULT_CLASS;
    if (typeof remote !== 'number') return this.table.lookup(remote)?.value ?? DEFAULT_CLASS;
    const slot = this.memo.find(remote, 0);
    if (slot >= 0) return this.memo.answer(slot);
    const cls = this.table.lookup(remote)?.value ?? DEFAULT_CLASS;
    this.memo.set(remote, cls);
    return cls;
  }
}
