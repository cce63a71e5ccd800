// Subscriber rules: pattern capture, whole match, lookup maps (MACs in any case), rows that map to nobody.
import { describe, expect, it } from 'vitest';
import { SubscriberMatcher } from './subscriber-rule.js';

describe('SubscriberMatcher', () => {
  it('takes the first capture group, or the whole match', () => {
    const alias = new SubscriberMatcher({ from: 'alias', pattern: '^cust:(\\S+)$', facing: 'subscriber' });
    expect(alias.subscriberOf('cust:1234')).toBe('1234');
    expect(alias.subscriberOf('uplink to core')).toBeUndefined();
    expect(alias.subscriberOf(undefined)).toBeUndefined();
    expect(new SubscriberMatcher({ from: 'name', pattern: 'C-\\d+' }).subscriberOf('queue C-1001 (50M)')).toBe('C-1001');
  });

  it('looks keys up in a map when one is given, ignoring case', () => {
    const m = new SubscriberMatcher({ from: 'mac', pattern: '^(.+)$', map: { '04:18:D6:AA:BB:CC': 'C-1002' } });
    expect(m.subscriberOf('04:18:d6:aa:bb:cc')).toBe('C-1002');
    expect(m.subscriberOf('04:18:d6:00:00:01')).toBeUndefined();
  });
});
