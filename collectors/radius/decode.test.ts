// Decoder tests: hex packets written inline, one comment per field, including the malformed ones.
import { describe, expect, it } from 'vitest';
import { normalizeAccounting } from './accounting-event.js';
import { decodePacket, type RadiusPacket } from './decode.js';
import { defaultDictionary } from './dictionary.js';

const dict = defaultDictionary();
const identity = { attribute: 'User-Name' as const, stripRealm: false, lowercase: false };

/** Hex from parts; spaces ignored. */
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const AUTH = '00'.repeat(16); // decode does not check the authenticator

function decoded(buf: Buffer): RadiusPacket {
  const r = decodePacket(buf, dict);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.packet;
}
const valueOf = (p: RadiusPacket, name: string) => p.attributes.find((a) => a.name === name)?.value;

const GOOD = hex(
  '04 01 0049', // Accounting-Request, Identifier 1, Length 73
  AUTH,
  '28 06 00000003', // Acct-Status-Type = Interim-Update (3)
  '01 07 616c696365', // User-Name = "alice"
  '2c 06 73313233', // Acct-Session-Id = "s123"
  '2a 06 00000064', // Acct-Input-Octets = 100
  '34 06 00000001', // Acct-Input-Gigawords = 1
  '2b 06 000000c8', // Acct-Output-Octets = 200
  '08 06 64400002', // Framed-IP-Address = 100.64.0.2
  '61 0a 00 30 20010db80001', // Framed-IPv6-Prefix = 2001:db8:1::/48 (RFC 3162: only 6 prefix octets sent)
);

describe('decodePacket', () => {
  it('decodes a well-formed Accounting-Request', () => {
    const p = decoded(GOOD);
    expect(p.code).toBe(4);
    expect(p.identifier).toBe(1);
    expect(p.raw.length).toBe(73);
    expect(valueOf(p, 'Acct-Status-Type')).toEqual({ kind: 'integer', value: 3, label: 'Interim-Update' });
    expect(valueOf(p, 'User-Name')).toEqual({ kind: 'string', value: 'alice' });
    expect(valueOf(p, 'Framed-IP-Address')).toEqual({ kind: 'ipaddr', value: '100.64.0.2' });
    expect(valueOf(p, 'Framed-IPv6-Prefix')).toEqual({ kind: 'ipv6prefix', value: '2001:db8:1::/48' });
  });

  it('combines gigawords into 64-bit counters: Input = up, Output = down', () => {
    const n = normalizeAccounting(decoded(GOOD), 1_000_000, identity);
    expect(n.kind).toBe('event');
    if (n.kind !== 'event') return;
    expect(n.event.counters).toEqual({ bytesUp: 100n + 2n ** 32n, bytesDown: 200n });
    expect(n.event.leases).toEqual([
      { kind: 'framed-ip', prefix: '100.64.0.2' },
      { kind: 'framed-ipv6-prefix', prefix: '2001:db8:1::/48' },
    ]);
  });

  it('ignores padding past the Length field', () => {
    const p = decoded(Buffer.concat([GOOD, hex('00 00 00 00')]));
    expect(p.raw.length).toBe(73);
  });

  it.each([
    ['19 octets: shorter than the header', GOOD.subarray(0, 19), 'too_short'],
    ['datagram shorter than its Length (73 > 60)', GOOD.subarray(0, 60), 'too_short'],
    ['Length field 19 (< 20)', hex('04 01 0013', AUTH), 'bad_length'],
    ['Length field 5000 (> 4096)', Buffer.concat([hex('04 01 1388', AUTH), Buffer.alloc(5000)]), 'bad_length'],
    ['attribute length 0 (would loop forever)', hex('04 01 0016', AUTH, '01 00'), 'bad_attribute'],
    ['attribute length 1', hex('04 01 0016', AUTH, '01 01'), 'bad_attribute'],
    ['attribute length 255 overflows the packet', hex('04 01 0017', AUTH, '01 ff 61'), 'bad_attribute'],
    ['a lone type octet at the end', hex('04 01 001a', AUTH, '01 05 616c69', '28'), 'bad_attribute'],
  ] as const)('rejects %s', (_name, buf, reason) => {
    const r = decodePacket(buf, dict);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('decodes a Status-Server as radclient 3.2.1 sends it (`radclient status`, secret testing123)', () => {
    const p = decoded(hex(
      '0c c4 0026', // Status-Server (12), Identifier 196, Length 38
      '1ea53a653becba3e7faf996e3aa261ad', // Request Authenticator: random, not an MD5 over the packet (RFC 5997 §3)
      '50 12 cc4a0732c49b0fef458ace7eaddc779f', // Message-Authenticator, HMAC-MD5 over the packet as sent
    ));
    expect(p.code).toBe(12);
    expect(p.identifier).toBe(196);
    expect(p.authenticator.toString('hex')).toBe('1ea53a653becba3e7faf996e3aa261ad');
    expect(p.attributes).toEqual([
      { vendor: 0, type: 80, name: 'Message-Authenticator', value: { kind: 'octets', value: Buffer.from('cc4a0732c49b0fef458ace7eaddc779f', 'hex') } },
    ]);
  });

  it('decodes MikroTik VSAs, several in one Vendor-Specific, as parsed attributes only', () => {
    const p = decoded(hex(
      '04 02 0035', // Length 53
      AUTH,
      '1a 0f 00003a8c', // Vendor-Specific, length 15, vendor 14988 (MikroTik)
      '08 09 31304d2f32304d', //   Mikrotik-Rate-Limit = "10M/20M"
      '1a 12 00003a8c', // Vendor-Specific, length 18, vendor 14988
      '02 06 000003e8', //   Mikrotik-Xmit-Limit = 1000
      '0f 06 00000002', //   Mikrotik-Xmit-Limit-Gigawords = 2
    ));
    expect(p.attributes.map((a) => [a.vendor, a.name])).toEqual([
      [14988, 'Mikrotik-Rate-Limit'], [14988, 'Mikrotik-Xmit-Limit'], [14988, 'Mikrotik-Xmit-Limit-Gigawords'],
    ]);
    expect(valueOf(p, 'Mikrotik-Xmit-Limit-Gigawords')).toEqual({ kind: 'integer', value: 2 });
  });

  it('decodes Ubiquiti integer64 and WISPr VSAs', () => {
    const p = decoded(hex(
      '04 03 003f', // Length 63
      AUTH,
      '1a 10 0000a098', // Vendor-Specific, length 16, vendor 41112 (UBNT)
      '01 0a 0000000005f5e100', //   UBNT-Data-Rate-DL = 100000000 (integer64)
      '1a 10 0000a098', // Vendor-Specific, length 16, vendor 41112
      '03 0a 0000000100000000', //   UBNT-Data-Rate-UL = 2^32: needs all 64 bits
      '1a 0b 0000372a', // Vendor-Specific, length 11, vendor 14122 (WISPr)
      '02 05 617031', //   WISPr-Location-Name = "ap1"
    ));
    expect(valueOf(p, 'UBNT-Data-Rate-DL')).toEqual({ kind: 'integer64', value: 100_000_000n });
    expect(valueOf(p, 'UBNT-Data-Rate-UL')).toEqual({ kind: 'integer64', value: 2n ** 32n });
    expect(valueOf(p, 'WISPr-Location-Name')).toEqual({ kind: 'string', value: 'ap1' });
  });

  it('keeps unknown attributes and non-conforming VSAs raw instead of failing the packet', () => {
    const p = decoded(hex(
      '04 04 002e', // Length 46
      AUTH,
      'f0 04 abcd', // Attr-240 (unassigned in our dictionaries), 2 octets
      '1a 09 00000009 ff ff 00', // Vendor-Specific vendor 9, sub-attribute length 255 overflows: kept raw
      '1a 08 01000009 0102', // Vendor-Id high octet not 0: kept raw
      '1a 05 000000', // Vendor-Specific of 3 octets: no room for a Vendor-Id
    ));
    expect(p.attributes.map((a) => [a.name, a.value.kind])).toEqual([
      ['Attr-240', 'octets'], ['Vendor-Specific', 'invalid'], ['Vendor-Specific', 'invalid'], ['Vendor-Specific', 'invalid'],
    ]);
  });

  it('marks values of the wrong size invalid, and the accounting normalizer refuses them', () => {
    const p = decoded(hex(
      '04 05 0023', // Length 35
      AUTH,
      '28 06 00000003', // Acct-Status-Type = Interim-Update
      '2a 05 000064', // Acct-Input-Octets with 3 octets: invalid (integer needs 4)
      '2c 04 7331', // Acct-Session-Id = "s1"
    ));
    expect(valueOf(p, 'Acct-Input-Octets')?.kind).toBe('invalid');
    expect(normalizeAccounting(p, 0, identity)).toMatchObject({ kind: 'malformed', reason: 'bad_attribute' });
  });

  it('never throws on random bytes or on mutations of a good packet', () => {
    let seed = 12345;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2) {
        buf = Buffer.from(Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256)));
        if (buf.length >= 4 && rnd() < 0.7) buf.writeUInt16BE(Math.min(buf.length, 20 + Math.floor(rnd() * 100)), 2);
      } else {
        buf = Buffer.from(GOOD);
        for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      }
      const r = decodePacket(buf, dict);
      if (r.ok) normalizeAccounting(r.packet, 0, identity);
    }
  });
});
