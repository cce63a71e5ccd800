// The API test server and our client session against each other over real TCP: login, tags, .proplist, queries,
// the reply words (!re, !done, !trap, !empty, !fatal), pipelined commands, replies cut in tiny pieces, and faults.
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiConnection } from '../collectors/routeros/api-connection.js';
import { RouterosApiError } from '../collectors/routeros/api-error.js';
import { encodeSentence, SentenceReader } from '../collectors/routeros/api-words.js';
import { RouterosTestServer } from './routeros-server.js';

const QUEUES = [
  { '.id': '*1', name: 'cust-alice', target: '10.0.5.2/32', dynamic: 'false', bytes: '100/200' },
  { '.id': '*2', name: 'cust-bob', target: '10.0.5.3/32', dynamic: 'false', bytes: '7/9' },
  { '.id': '*3', name: '<pppoe-carol>', target: '<pppoe-carol>', dynamic: 'true', bytes: '1/2' },
];

/** Raw sentences exchanged on a plain socket, for what the client hides (untagged replies, !fatal text). */
async function rawExchange(port: number, sentences: string[][], expectReplies: number): Promise<string[][]> {
  const socket = connect({ host: '127.0.0.1', port });
  const reader = new SentenceReader();
  const got: string[][] = [];
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} replies`)), 2000);
    socket.on('data', (c: Buffer) => {
      got.push(...reader.push(c));
      if (got.length >= expectReplies) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    for (const s of sentences) socket.write(encodeSentence(s));
  });
}

describe('RouterOS API test server and client', () => {
  let server: RouterosTestServer;
  const open = (password = 'pw'): Promise<ApiConnection> => ApiConnection.open({ host: '127.0.0.1', port: server.port, username: 'api', password, timeoutMs: 2000 });

  beforeEach(async () => {
    server = await RouterosTestServer.start({ users: { api: 'pw' } });
    server.setTable('/queue/simple', QUEUES);
    server.setTable('/ppp/active', []);
  });
  afterEach(async () => server.stop());

  it('logs in with /login =name= =password= and prints rows with .proplist and queries', async () => {
    const c = await open();
    expect(server.commands[0]!.words.slice(0, 3)).toEqual(['/login', '=name=api', '=password=pw']);
    const all = await c.command(['/queue/simple/print', '=.proplist=.id,name,bytes'], 1000);
    expect(all.rows).toEqual(QUEUES.map((q) => ({ '.id': q['.id'], name: q.name, bytes: q.bytes })));
    const one = await c.command(['/queue/simple/print', '?name=cust-bob'], 1000);
    expect(one.rows.map((r) => r.name)).toEqual(['cust-bob']);
    // ?dynamic=true, negated with ?#! : the static queues.
    const statics = await c.command(['/queue/simple/print', '?dynamic=true', '?#!'], 1000);
    expect(statics.rows.map((r) => r.name)).toEqual(['cust-alice', 'cust-bob']);
    const either = await c.command(['/queue/simple/print', '?name=cust-alice', '?name=<pppoe-carol>', '?#|'], 1000);
    expect(either.rows.map((r) => r['.id'])).toEqual(['*1', '*3']);
    c.close();
  });

  it('answers an empty print with !empty then !done (RouterOS 7.18+), which the client reads as no rows', async () => {
    const raw = await rawExchange(server.port, [['/login', '=name=api', '=password=pw', '.tag=a'], ['/ppp/active/print', '.tag=b']], 3);
    expect(raw).toEqual([['!done', '.tag=a'], ['!empty', '.tag=b'], ['!done', '.tag=b']]);
    const c = await open();
    expect((await c.command(['/ppp/active/print'], 1000)).rows).toEqual([]);
    c.close();
  });

  it('refuses commands before login with !fatal, and a wrong password with a trap the client reports as auth', async () => {
    const raw = await rawExchange(server.port, [['/queue/simple/print']], 1);
    expect(raw).toEqual([['!fatal', 'not logged in']]);
    const err = await open('wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterosApiError);
    expect(err).toMatchObject({ kind: 'auth', message: 'login refused: invalid user name or password (6)' });
    expect(String((err as Error).message)).not.toContain('wrong');
  });

  it('keeps pipelined commands apart by .tag, and a trap fails only its own command', async () => {
    const c = await open();
    server.inject('/ppp/active', { kind: 'trap', message: 'no such item', category: '1' });
    const [q, p, u] = await Promise.allSettled([
      c.command(['/queue/simple/print', '?name=cust-alice'], 1000),
      c.command(['/ppp/active/print'], 1000),
      c.command(['/nonexistent/print'], 1000),
    ]);
    expect(q).toMatchObject({ status: 'fulfilled', value: { rows: [{ name: 'cust-alice' }] } });
    expect(p).toMatchObject({ status: 'rejected', reason: { kind: 'trap', message: 'no such item' } });
    expect(u).toMatchObject({ status: 'rejected', reason: { kind: 'trap', message: 'no such command prefix' } });
    expect(c.closed).toBe(false);
    expect((await c.command(['/queue/simple/print'], 1000)).rows).toHaveLength(3);
    c.close();
  });

  it('reassembles a reply written one byte at a time', async () => {
    const c = await open();
    server.inject('/queue/simple', { kind: 'slow', delayMs: 0, pieceBytes: 1, gapMs: 0 });
    expect((await c.command(['/queue/simple/print'], 2000)).rows).toEqual(QUEUES);
    c.close();
  });

  it('fails every waiting command when the connection drops mid-reply, and on a timeout', async () => {
    const c = await open();
    server.inject('/queue/simple', { kind: 'drop-mid-reply' });
    await expect(c.command(['/queue/simple/print'], 1000)).rejects.toMatchObject({ kind: 'closed' });
    expect(c.closed).toBe(true);
    await expect(c.command(['/queue/simple/print'], 1000)).rejects.toMatchObject({ kind: 'closed' });
    const slow = await open();
    server.inject('/queue/simple', { kind: 'slow', delayMs: 500, pieceBytes: 100, gapMs: 0 });
    await expect(slow.command(['/queue/simple/print'], 100)).rejects.toMatchObject({ kind: 'timeout' });
    expect(slow.closed).toBe(true);
  });

  it('reports bad framing and an unknown reply word as protocol errors, never as an exception', async () => {
    const c = await open();
    server.inject('/queue/simple', { kind: 'garbage' });
    await expect(c.command(['/queue/simple/print'], 1000)).rejects.toMatchObject({ kind: 'protocol', message: expect.stringContaining('control byte 0xf8') });
    const b = await open();
    server.inject('/queue/simple', { kind: 'sentence', words: ['!bogus', '=x=1'] });
    await expect(b.command(['/queue/simple/print'], 1000)).rejects.toMatchObject({ kind: 'protocol', message: 'unknown reply word "!bogus"' });
    const d = await open();
    await expect(d.command(['/quit'], 1000)).rejects.toMatchObject({ kind: 'fatal', message: expect.stringContaining('session terminated on request') });
  });
});
