// Pins what the `radius` npm package (v1.1.4) gets wrong, so a new version that fixes it is noticed (see decode.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodePacket } from './decode.js';
import { defaultDictionary } from './dictionary.js';

interface LibDecoded {
  code: string;
  length: number;
  attributes: Record<string, unknown>;
}
interface RadiusLib {
  decode(args: { packet: Buffer; secret: string }): LibDecoded;
}
const lib = createRequire(import.meta.url)('radius') as RadiusLib;

const captures = JSON.parse(readFileSync(new URL('./testdata/radclient-captures.json', import.meta.url), 'utf8')) as {
  secret: string;
  packets: { interim: { hex: string } };
};
const interim = Buffer.from(captures.packets.interim.hex, 'hex');
const AUTH = '00'.repeat(16);

describe('the radius package, cross-checked', () => {
  it('agrees with our decoder on the standard attributes of a radclient packet', () => {
    const theirs = lib.decode({ packet: Buffer.from(interim), secret: captures.secret });
    const ours = decodePacket(interim, defaultDictionary());
    if (!ours.ok) throw new Error(ours.detail);
    const get = (n: string) => ours.packet.attributes.find((a) => a.name === n)?.value;
    expect(theirs.attributes['User-Name']).toBe('bob@wisp.example');
    expect(get('User-Name')).toEqual({ kind: 'string', value: 'bob@wisp.example' });
    expect(theirs.attributes['Acct-Status-Type']).toBe('Interim-Update');
    expect(theirs.attributes['Acct-Output-Gigawords']).toBe(1);
    expect(get('Acct-Output-Gigawords')).toEqual({ kind: 'integer', value: 1 });
  });

  it('BUG: accepts a Length field below 20 (RFC 2865 §3: discard)', () => {
    const p = Buffer.from(`0401000a${AUTH}`, 'hex'); // Length 10
    expect(() => lib.decode({ packet: p, secret: 'x' })).not.toThrow(/length|short/i);
    expect(decodePacket(p, defaultDictionary())).toMatchObject({ ok: false, reason: 'bad_length' });
  });

  it('BUG: silently truncates an attribute whose length runs past the packet', () => {
    const p = Buffer.from(`04010017${AUTH}01ff61`, 'hex'); // User-Name claims 255 octets, 1 present
    let decoded: LibDecoded | undefined;
    try {
      decoded = lib.decode({ packet: p, secret: 'x' });
    } catch {
      // a later version that throws here is fine too: then it no longer accepts the overflow
    }
    if (decoded) expect(decoded.attributes['User-Name']).toBe('a');
    expect(decodePacket(p, defaultDictionary())).toMatchObject({ ok: false, reason: 'bad_attribute' });
  });

  it('BUG: hashes padding past Length into the authenticator, rejecting a valid request', () => {
    const padded = Buffer.concat([interim, Buffer.alloc(4)]);
    expect(() => lib.decode({ packet: padded, secret: captures.secret })).toThrow(/authenticator/);
  });

  it('BUG: compares authenticators as UTF-8 strings, under which distinct octets are equal', () => {
    // The lib does `checksum.toString() != this.authenticator.toString()`.
    expect(Buffer.from([0x80]).toString()).toBe(Buffer.from([0x81]).toString());
  });
});
