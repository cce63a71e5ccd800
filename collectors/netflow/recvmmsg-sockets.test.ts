// recvmmsg sockets over real UDP on loopback: IPv4 and IPv6, dual-stack senders named as dgram names them, the
// largest datagram whole, batches longer than one call, bind errors named, IPv6-only beside an IPv4 socket.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSockets, loadLibc, openRecvmmsgSockets, RecvmmsgReader, type BoundSockets, type Libc } from './recvmmsg-sockets.js';

const libc = await loadLibc();
const opened: BoundSockets[] = [];
const logs: { level: string; msg: string; obj: object }[] = [];
const log = {
  info: (obj: object, msg: string) => void logs.push({ level: 'info', msg, obj }),
  warn: (obj: object, msg: string) => void logs.push({ level: 'warn', msg, obj }),
  error: (obj: object, msg: string) => void logs.push({ level: 'error', msg, obj }),
};
afterEach(() => {
  for (const s of opened.splice(0)) closeSockets(libc as Libc, s.fds);
  logs.length = 0;
});

async function open(listen: string[]): Promise<BoundSockets> {
  const s = await openRecvmmsgSockets(libc as Libc, listen, { component: 'netflow', receiveBuffer: 4 * 1024 * 1024, warnWhenCapped: true, log });
  opened.push(s);
  return s;
}

async function send(type: 'udp4' | 'udp6', to: string, port: number, payloads: Buffer[]): Promise<number> {
  const s: Socket = createSocket(type);
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  for (const p of payloads) await new Promise<void>((r, j) => s.send(p, port, to, (e) => (e ? j(e) : r())));
  const from = s.address().port;
  s.close();
  return from;
}

/** Reads until `count` datagrams came (or 3 s passed): run() blocks this thread, so everything is sent before. */
function receive(s: BoundSockets, count: number): { payload: Buffer; address: string; port: number }[] {
  const got: { payload: Buffer; address: string; port: number }[] = [];
  const reader = new RecvmmsgReader(libc as Libc, s.fds, s.addresses);
  const deadline = Date.now() + 3000;
  reader.run((payload, address, port) => void got.push({ payload: Buffer.from(payload), address, port }), () => got.length >= count || Date.now() > deadline, log);
  reader.free();
  return got;
}

const numbered = (n: number, length = 100): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(length, i & 0xff).fill(i & 0xff));

describe('recvmmsg sockets', () => {
  it('loads on this machine (Linux x64 with koffi from npm)', () => {
    expect(typeof libc).toBe('object');
  });

  it('receives every datagram whole and in order, over several calls, with the sender named as dgram names it', async () => {
    const s = await open(['127.0.0.1:0']);
    expect(s.addresses).toEqual([{ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' }]);
    expect(logs.find((l) => l.msg === 'netflow: receive buffer')?.obj).toMatchObject({ granted: expect.any(Number) });
    // 300 datagrams: more than four calls of 64; the largest UDP payload over IPv4 arrives whole.
    const payloads = [...numbered(299, 1200), Buffer.alloc(65_507, 0x5a)];
    const from = await send('udp4', '127.0.0.1', s.addresses[0]!.port, payloads);
    const got = receive(s, payloads.length);
    expect(got.map((g) => g.payload)).toEqual(payloads);
    expect(new Set(got.map((g) => `${g.address}:${g.port}`))).toEqual(new Set([`127.0.0.1:${from}`]));
  });

  it('reads IPv6, and names an IPv4 sender on a dual-stack socket ::ffff:a.b.c.d as dgram does', async () => {
    const v6 = await open(['[::1]:0']);
    expect(v6.addresses[0]).toMatchObject({ address: '::1', family: 'IPv6' });
    const from6 = await send('udp6', '::1', v6.addresses[0]!.port, numbered(3));
    expect(receive(v6, 3).map((g) => `${g.address}:${g.port}`)).toEqual(Array(3).fill(`::1:${from6}`));

    const dual = await open(['[::]:0']);
    const from4 = await send('udp4', '127.0.0.1', dual.addresses[0]!.port, numbered(2));
    expect(receive(dual, 2).map((g) => `${g.address}:${g.port}`)).toEqual(Array(2).fill(`::ffff:127.0.0.1:${from4}`));
  });

  it('makes [::] IPv6-only when an IPv4 socket shares its port, as bindUdp does', async () => {
    const probe = await open(['127.0.0.1:0']);
    const port = probe.addresses[0]!.port;
    closeSockets(libc as Libc, opened.splice(0)[0]!.fds);
    // Without IPV6_V6ONLY the second bind would collide with the first on Linux.
    const both = await open([`0.0.0.0:${port}`, `[::]:${port}`]);
    expect(both.addresses.map((a) => a.family)).toEqual(['IPv4', 'IPv6']);
    await send('udp4', '127.0.0.1', port, numbered(1));
    await send('udp6', '::1', port, numbered(1));
    expect(receive(both, 2).map((g) => g.address).sort()).toEqual(['127.0.0.1', '::1']);
  });

  it('rejects a taken port with the address and the system error, and leaves nothing bound', async () => {
    const first = await open(['127.0.0.1:0']);
    const port = first.addresses[0]!.port;
    const free = await open(['127.0.0.1:0']);
    const freePort = free.addresses[0]!.port;
    closeSockets(libc as Libc, opened.splice(1)[0]!.fds);
    await expect(open([`127.0.0.1:${freePort}`, `127.0.0.1:${port}`])).rejects.toThrow(`netflow: cannot listen on 127.0.0.1:${port}: bind EADDRINUSE (address already in use)`);
    // The first address of the failed call was closed again: it can be bound now.
    await expect(open([`127.0.0.1:${freePort}`])).resolves.toMatchObject({ addresses: [{ port: freePort }] });
  });

  // (A name that does not resolve is not tried: on a host whose DNS server is unreachable the lookup takes seconds.)
  it('refuses a listen address that is not HOST:PORT; binds a name to its IPv4 address as dgram does', async () => {
    await expect(open(['2055'])).rejects.toThrow('netflow: bad listen address "2055"');
    await expect(open(['localhost:0'])).resolves.toMatchObject({ addresses: [{ address: '127.0.0.1', family: 'IPv4' }] });
  });
});
