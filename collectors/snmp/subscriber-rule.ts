// Turns a row's subscriber key (interface alias, queue name or target, station MAC) into a subscriber, by rule.
import type { IfMibRule, QueueRule, StationRule } from './config.js';

export type SubscriberRule = IfMibRule | QueueRule | StationRule;

/** A compiled rule: `subscriberOf(key)` is the subscriber, or undefined when the row maps to nobody. */
export class SubscriberMatcher {
  private readonly pattern: RegExp;
  private readonly map: ReadonlyMap<string, string> | undefined;

  constructor(rule: SubscriberRule) {
    this.pattern = new RegExp(rule.pattern);
    // MAC keys arrive lower-case; map keys are compared the same way so "04:18:D6:…" in the config matches.
    this.map = rule.map ? new Map(Object.entries(rule.map).map(([k, v]) => [k.toLowerCase(), v])) : undefined;
  }

  subscriberOf(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    const m = this.pattern.exec(key);
    if (!m) return undefined;
    const captured = (m.length > 1 ? m[1] : m[0]) ?? '';
    if (!captured) return undefined;
    if (!this.map) return captured;
    return this.map.get(captured.toLowerCase());
  }
}
