// Authenticator tests against packets captured from FreeRADIUS radclient, and against the RFC 2866 formula.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountingRequestAuthenticator, verifyAccountingRequest, verifyAccountingResponse } from './authenticator.js';
import { decodePacket } from './decode.js';
import { defaultDictionary } from './dictionary.js';
import { buildAccountingRequest, buildAccountingResponse, encodeAttribute } from './encode.js';

const captures = JSON.parse(readFileSync(new URL('./testdata/radclient-captures.json', import.meta.url), 'utf8')) as {
  secret: string;
  packets: Record<'interim' | 'startWithMessageAuthenticator', { hex: string }>;
};
const interim = Buffer.from(captures.packets.interim.hex, 'hex');
const withMa = Buffer.from(captures.packets.startWithMessageAuthenticator.hex, 'hex');

describe('accounting authenticators', () => {
  it('verifies radclient packets with the right secret only', () => {
    expect(verifyAccountingRequest(interim, captures.secret)).toBe('ok');
    expect(verifyAccountingRequest(interim, 'testing124')).toBe('bad_authenticator');
  });

  it('verifies a Message-Authenticator computed with the Request Authenticator zeroed (as radclient does)', () => {
    expect(verifyAccountingRequest(withMa, captures.secret)).toBe('ok');
    const tampered = Buffer.from(withMa);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1); // last octet of the Message-Authenticator...
    // ...and re-sign the Request Authenticator so only the HMAC is wrong.
    accountingRequestAuthenticator(tampered, captures.secret).copy(tampered, 4);
    expect(verifyAccountingRequest(tampered, captures.secret)).toBe('bad_message_authenticator');
  });

  it('is MD5(Code+ID+Length+16 zero octets+Attributes+Secret) (RFC 2866 §3)', () => {
    const zeroed = Buffer.from(interim);
    zeroed.fill(0, 4, 20);
    const want = createHash('md5').update(Buffer.concat([zeroed, Buffer.from(captures.secret)])).digest();
    expect(accountingRequestAuthenticator(interim, captures.secret)).toEqual(want);
    expect(interim.subarray(4, 20)).toEqual(want);
  });

  it('builds requests radclient-compatible byte for byte, and responses that verify', () => {
    const dict = defaultDictionary();
    const attrs = [
      { name: 'User-Name', value: 'bob@wisp.example' }, { name: 'Acct-Status-Type', value: 'Interim-Update' },
      { name: 'Acct-Session-Id', value: '81000001' }, { name: 'Acct-Input-Octets', value: '1000' },
      { name: 'Acct-Output-Octets', value: 5000 }, { name: 'Acct-Output-Gigawords', value: 1 },
      { name: 'Event-Timestamp', value: '1767225600' },
    ].map((a) => encodeAttribute(a, dict));
    expect(buildAccountingRequest(interim[1]!, attrs, captures.secret)).toEqual(interim);

    const req = decodePacket(interim, dict);
    if (!req.ok) throw new Error(req.detail);
    const res = buildAccountingResponse(req.packet, captures.secret);
    expect(res.subarray(0, 4)).toEqual(Buffer.from([5, interim[1]!, 0, 20]));
    expect(verifyAccountingResponse(res, req.packet.authenticator, captures.secret)).toBe(true);
    expect(verifyAccountingResponse(res, Buffer.alloc(16), captures.secret)).toBe(false);
  });

  it('copies Proxy-State into the response in order (RFC 2865 §5.33)', () => {
    const dict = defaultDictionary();
    const attrs = [
      encodeAttribute({ name: 'Acct-Status-Type', value: 'Start' }, dict),
      Buffer.from('2104aaaa', 'hex'), // Proxy-State 0xaaaa
      Buffer.from('2103bb', 'hex'), // Proxy-State 0xbb
    ];
    const req = decodePacket(buildAccountingRequest(7, attrs, 's'), dict);
    if (!req.ok) throw new Error(req.detail);
    expect(buildAccountingResponse(req.packet, 's').subarray(20).toString('hex')).toBe('2104aaaa2103bb');
  });
});
