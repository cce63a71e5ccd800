// Varbinds to typed cells (Counter64 bytes, ranges), OID order, and errors that never carry a community or key.
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { snmpTargetSchema } from './config.js';
import { classify, compareOids, SnmpError, toCell } from './snmp-client.js';

const T = snmp.ObjectType;

describe('toCell', () => {
  it('reads Counter64 bytes of any length up to 2^64-1 as bigint', () => {
    expect(toCell({ oid: '1', type: T.Counter64, value: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00]) })).toEqual({ kind: 'counter64', value: 2n ** 32n });
    expect(toCell({ oid: '1', type: T.Counter64, value: Buffer.from('00ffffffffffffffff', 'hex') })).toEqual({ kind: 'counter64', value: 2n ** 64n - 1n });
    expect(() => toCell({ oid: '1', type: T.Counter64, value: Buffer.from('01ffffffffffffffff', 'hex') })).toThrow(SnmpError);
    expect(() => toCell({ oid: '1', type: T.Counter64, value: Buffer.alloc(0) })).toThrow(/Counter64 of 0 bytes/);
  });

  it('checks 32-bit types and keeps strings as bytes', () => {
    expect(toCell({ oid: '1', type: T.Counter, value: 4294967295 })).toEqual({ kind: 'counter32', value: 4294967295n });
    expect(() => toCell({ oid: '1', type: T.Counter, value: -1 })).toThrow(/out of range/);
    expect(() => toCell({ oid: '1', type: T.TimeTicks, value: 'x' })).toThrow(/not an integer/);
    expect(toCell({ oid: '1', type: T.OctetString, value: Buffer.from('cust:1') })).toEqual({ kind: 'octets', value: Buffer.from('cust:1') });
    expect(toCell({ oid: '1', type: T.IpAddress, value: '10.0.0.1' })).toEqual({ kind: 'ip', value: '10.0.0.1' });
  });
});

describe('compareOids', () => {
  it('compares numerically, not as text', () => {
    expect(compareOids('1.3.6.1.2.1.2.2.1.10.2', '1.3.6.1.2.1.2.2.1.10.10')).toBeLessThan(0);
    expect(compareOids('1.3.6.1', '1.3.6.1.0')).toBeLessThan(0);
    expect(compareOids('1.3.6.1.4', '1.3.6.1.4')).toBe(0);
  });
});

describe('classify', () => {
  const SECRET = 'Sup3r-S3cret-Community';
  const v2 = snmpTargetSchema.parse({ name: 'a', version: '2c', address: '10.0.0.1', community: SECRET });
  const v3 = snmpTargetSchema.parse({ name: 'b', version: 3, address: '10.0.0.2', user: 'wisp', level: 'authPriv', authPassword: SECRET, privProtocol: 'aes', privPassword: SECRET });
  const opts = (target: typeof v2) => ({ target, timeoutMs: 500, retries: 1 });

  it('says what a timeout may mean', () => {
    const e = classify(new snmp.RequestTimedOutError('Request timed out'), opts(v2));
    expect(e.reason).toBe('timeout');
    expect(e.message).toBe('no answer from 10.0.0.1:161 after 2 tries of 500 ms: the agent is down or unreachable, or the community is wrong (a v2c agent does not answer a wrong community)');
  });

  it('tells a v3 authPriv timeout may be a wrong privacy passphrase, and an access refusal is an auth problem', () => {
    expect(classify(new snmp.RequestTimedOutError('Request timed out'), opts(v3)).message).toContain('or the privacy passphrase or protocol is wrong');
    const refused = classify(new snmp.RequestFailedError('AuthorizationError: 1.3.6.1.2.1.1.3.0', 16), opts(v3));
    expect(refused).toMatchObject({ reason: 'auth', message: 'agent 10.0.0.2:161 refused user "wisp" at authPriv (AuthorizationError: check the user\'s security level and view on the agent)' });
  });

  it('names the error-status an agent answered, without the OID net-snmp appends', () => {
    const e = classify(new snmp.RequestFailedError('TooBig: 1.3.6.1.2.1.2.2.1.10', 1), opts(v2));
    expect(e).toMatchObject({ reason: 'agent_error', status: 'TooBig', message: 'agent 10.0.0.1:161 answered with error TooBig' });
  });

  it('names a rejected v3 user without its keys, and never repeats the library\'s messages that hold them', () => {
    const unknown = new snmp.ResponseInvalidError('Unknown User Name');
    unknown.code = snmp.ResponseInvalidCode.EAuthFailure;
    expect(classify(unknown, opts(v3))).toMatchObject({ reason: 'auth', message: expect.stringContaining('SNMPv3 user "wisp" rejected by 10.0.0.2:161: Unknown User Name') });
    const leaky = new snmp.ResponseInvalidError(`Community '${SECRET}' in request does not match community 'x' in response`);
    leaky.code = snmp.ResponseInvalidCode.ECommunityNoMatch;
    const digest = new snmp.ResponseInvalidError(`digest for ${SECRET} wrong`);
    digest.code = snmp.ResponseInvalidCode.EAuthFailure;
    for (const e of [classify(leaky, opts(v2)), classify(digest, opts(v3)), classify(new Error(SECRET), opts(v2))]) {
      expect(e.message).not.toContain(SECRET);
    }
  });
});
