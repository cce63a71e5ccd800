// Authenticator tests against packets captured from FreeRADIUS radclient, and against the RFC 2866 formula.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountingRequestAuthenticator, findMessageAuthenticator, verifyAccountingRequest, verifyAccountingResponse, verifyStatusServer } from './authenticator.js';
import { decodePacket } from './decode.js';
import { defaultDictionary } from './dictionary.js';
import { buildAccountingRequest, buildAccountingResponse, buildStatusServerResponse, encodeAttribute } from './encode.js';

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

  it('signs the response with a Message-Authenticator when the request carried one, and only then', () => {
    const dict = defaultDictionary();
    const req = decodePacket(withMa, dict);
    if (!req.ok) throw new Error(req.detail);
    const res = buildAccountingResponse(req.packet, captures.secret);
    const at = findMessageAuthenticator(res);
    expect(at).toBe(22); // first attribute, after the 20-octet header
    // HMAC-MD5 over the response with the authenticator field and the value zeroed (accounting, as FreeRADIUS signs it).
    const zeroed = Buffer.from(res);
    zeroed.fill(0, 4, 20);
    zeroed.fill(0, 22, 38);
    expect(res.subarray(22, 38)).toEqual(createHmac('md5', captures.secret).update(zeroed).digest());
    expect(verifyAccountingResponse(res, req.packet.authenticator, captures.secret)).toBe(true);
    const plain = decodePacket(interim, dict);
    if (!plain.ok) throw new Error(plain.detail);
    expect(findMessageAuthenticator(buildAccountingResponse(plain.packet, captures.secret))).toBeUndefined();
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

/** Hex from parts; spaces ignored. */
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

// `echo 'Message-Authenticator = 0x00' | radclient 127.0.0.1:PORT status testing123` (3.2.1), captured on loopback.
const STATUS_SERVER = hex(
  '0c c4 0026', // Status-Server (12), Identifier 196, Length 38
  '1ea53a653becba3e7faf996e3aa261ad', // Request Authenticator: random
  '50 12 cc4a0732c49b0fef458ace7eaddc779f', // Message-Authenticator
);
// The same with `NAS-Identifier = "noc-probe"` after the Message-Authenticator: the HMAC covers later attributes too.
const STATUS_SERVER_NAS_ID = hex(
  '0c e2 0031', // Status-Server, Identifier 226, Length 49
  '01d33f734938510a51e5eca81594bbc4', // Request Authenticator: random
  '50 12 28ef800967b5cf505ce9e68720784171', // Message-Authenticator
  '20 0b 6e6f632d70726f6265', // NAS-Identifier = "noc-probe"
);

describe('Status-Server (RFC 5997)', () => {
  it('verifies the Message-Authenticator over the packet as sent, random authenticator included (RFC 3579 §3.2)', () => {
    expect(verifyStatusServer(STATUS_SERVER, captures.secret)).toBe('ok');
    expect(verifyStatusServer(STATUS_SERVER_NAS_ID, captures.secret)).toBe('ok');
    const zeroedMa = Buffer.from(STATUS_SERVER);
    zeroedMa.fill(0, 22, 38);
    const want = createHmac('md5', captures.secret).update(zeroedMa).digest();
    expect(STATUS_SERVER.subarray(22, 38)).toEqual(want);
    // It is not an accounting Request Authenticator: the RFC 2866 check would refuse every Status-Server.
    expect(verifyAccountingRequest(STATUS_SERVER, captures.secret)).toBe('bad_authenticator');
  });

  it.each([
    ['the wrong secret', STATUS_SERVER, 'testing124', 'bad_message_authenticator'],
    ['a changed Request Authenticator octet', flip(STATUS_SERVER, 4), 'testing123', 'bad_message_authenticator'],
    ['a changed NAS-Identifier octet', flip(STATUS_SERVER_NAS_ID, 48), 'testing123', 'bad_message_authenticator'],
    ['no Message-Authenticator', hex('0c 01 0017', '00'.repeat(16), '20 03 78'), 'testing123', 'missing_attribute'],
    ['a 17-octet Message-Authenticator', hex('0c 01 0025', '00'.repeat(16), '50 11', '00'.repeat(15)), 'testing123', 'bad_message_authenticator'],
  ] as const)('refuses %s', (_name, raw, secret, want) => {
    expect(verifyStatusServer(raw, secret)).toBe(want);
  });

  it('answers with an Accounting-Response whose Message-Authenticator and Response Authenticator both verify', () => {
    const req = decodePacket(STATUS_SERVER, defaultDictionary());
    if (!req.ok) throw new Error(req.detail);
    const res = buildStatusServerResponse(req.packet, captures.secret);
    expect(res.subarray(0, 4)).toEqual(hex('05 c4 0026')); // Accounting-Response, same Identifier, Length 38
    expect(res.subarray(20, 22)).toEqual(hex('50 12')); // Message-Authenticator, first

    // RFC 3579 §3.2: HMAC-MD5 with the Request Authenticator in the header and the value zeroed...
    const forHmac = Buffer.from(res);
    req.packet.authenticator.copy(forHmac, 4);
    forHmac.fill(0, 22, 38);
    expect(res.subarray(22, 38)).toEqual(createHmac('md5', captures.secret).update(forHmac).digest());
    // ...then RFC 2866 §3: MD5(Code+ID+Length+Request Authenticator+Attributes+Secret), over the filled-in HMAC.
    const forMd5 = Buffer.from(res);
    req.packet.authenticator.copy(forMd5, 4);
    expect(res.subarray(4, 20)).toEqual(createHash('md5').update(forMd5).update(captures.secret).digest());
    expect(verifyAccountingResponse(res, req.packet.authenticator, captures.secret)).toBe(true);
    expect(verifyAccountingResponse(res, req.packet.authenticator, 'testing124')).toBe(false);
  });

  it('copies Proxy-State after the Message-Authenticator', () => {
    const raw = hex('0c 07 002a', '11'.repeat(16), '50 12', '00'.repeat(16), '21 04 aaaa');
    createHmac('md5', 's').update(raw).digest().copy(raw, 22);
    const req = decodePacket(raw, defaultDictionary());
    if (!req.ok) throw new Error(req.detail);
    expect(verifyStatusServer(raw, 's')).toBe('ok');
    const res = buildStatusServerResponse(req.packet, 's');
    expect(res.readUInt16BE(2)).toBe(42);
    expect(res.subarray(38).toString('hex')).toBe('2104aaaa');
  });
});

function flip(buf: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buf);
  copy[offset] = copy[offset]! ^ 1;
  return copy;
}
