// The receive thread's sockets read with Linux recvmmsg(2): many datagrams per system call (receive-worker.ts).
//
// Why not Node's dgram here: libuv reads one datagram per recvmsg(2) and calls into JavaScript once per datagram
// with a new Buffer and a new rinfo object; with the thread woken for nearly every datagram that is ≈4.5 µs of CPU
// a datagram on this machine, more than half a core at 3M flow records/s (125k datagrams of 24 records).
// recvmmsg takes up to BATCH datagrams in one call into memory allocated once, and a short pause after the sockets
// ran dry lets the next batch gather in the kernel's buffer: ≈1.1 µs a datagram. Node 20 does not offer recvmmsg
// (nor SO_REUSEPORT) and no maintained npm package does, so the few system calls go through koffi, the maintained
// C FFI on npm (MIT; its prebuilt binaries come in npm packages, nothing is downloaded at install or run time).
// Linux on 64-bit x86 and ARM only: the structure layouts and constants below are those of that ABI (LP64). On any
// other platform, or when koffi cannot load, the receive thread reads with dgram as before.
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { getSystemErrorName, getSystemErrorMap } from 'node:util';
import { parseHostPort } from '../../config/primitives.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../pipeline/ip.js';
import { reportReceiveBuffer, type UdpListenLog, type UdpListenOptions } from '../pipeline/udp-listen.js';
import { formatFlowAddress } from './flow-record.js';
import type { BoundAddress } from './receive-protocol.js';

/** Datagrams per recvmmsg call. */
const BATCH = 64;
/** Bytes per datagram slot: the largest UDP payload fits, so nothing is truncated. */
const SLOT = 65_536;
/** How long poll(2) waits before the loop looks at its stop flag again. */
const POLL_MS = 50;
/**
 * After the sockets ran dry, wait this long before polling again so that datagrams gather into full batches (at
 * 125k datagrams/s about 60 a pause, while an 8 MiB socket buffer holds ~30 ms of them). It bounds the added latency.
 */
const GATHER_MS = 0.5;
/** After an unexpected socket error, wait this long before reading that socket again (no busy loop). */
const ERROR_PAUSE_MS = 100;
/** Exporter addresses whose text is kept for reuse; a flood of spoofed sources only resets the cache. */
const MAX_ADDRESS_TEXTS = 4096;

// Linux constants (asm-generic and x86_64 agree on these).
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const POLLIN = 1;
const MSG_TRUNC = 0x20;
const EINTR = 4;
const EAGAIN = 11;

// LP64 layouts: struct iovec { void *base; size_t len } = 16; struct msghdr { void *name; socklen_t namelen; (pad)
// struct iovec *iov; size_t iovlen; void *control; size_t controllen; int flags; (pad) } = 56; struct mmsghdr
// { struct msghdr hdr; unsigned int len; (pad) } = 64; struct pollfd { int fd; short events; short revents } = 8.
const MMSGHDR = 64;
const IOVEC = 16;
const NAME = 32; // sockaddr_in6 is 28 octets
const HDR_NAMELEN = 8;
const HDR_IOV = 16;
const HDR_IOVLEN = 24;
const HDR_FLAGS = 48;
const HDR_LEN = 56;
const POLLFD = 8;

type Fn = (...args: unknown[]) => number;

export interface Libc {
  koffi: typeof import('koffi').default;
  socket: Fn;
  setsockopt: Fn;
  getsockopt: Fn;
  bind: Fn;
  getsockname: Fn;
  recvmmsg: Fn;
  poll: Fn;
  close: Fn;
}

/** Where recvmmsg can be used: the ABI above, with koffi loaded. Otherwise the reason, for the log. */
export async function loadLibc(): Promise<Libc | string> {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) return `recvmmsg is used on Linux x64/arm64 only (this is ${process.platform} ${process.arch})`;
  try {
    const koffi = (await import('koffi')).default;
    const lib = koffi.load('libc.so.6');
    const f = (proto: string): Fn => lib.func(proto) as Fn;
    return {
      koffi,
      socket: f('int socket(int, int, int)'),
      setsockopt: f('int setsockopt(int, int, int, void *, uint32_t)'),
      getsockopt: f('int getsockopt(int, int, int, void *, void *)'),
      bind: f('int bind(int, void *, uint32_t)'),
      getsockname: f('int getsockname(int, void *, void *)'),
      recvmmsg: f('int recvmmsg(int, void *, unsigned int, int, void *)'),
      poll: f('int poll(void *, uint64_t, int)'),
      close: f('int close(int)'),
    };
  } catch (err) {
    return `koffi could not load libc (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** What a datagram is handed to: `payload` is valid only during the call. */
export type DatagramSink = (payload: Buffer, address: string, port: number) => void;

export type RecvmmsgLog = Pick<UdpListenLog, 'error'>;

/**
 * Binds every listen address for recvmmsg as bindUdp (collectors/pipeline/udp-listen.ts) does for dgram: an IPv6
 * wildcard is IPv6-only when an IPv4 socket shares its port, the receive buffer is asked for and what the kernel
 * granted is logged. One failure closes the rest and rejects with the address and the system's error. The sockets are non-blocking; the
 * collector's thread owns them (closeSockets) and a receive thread reads them (RecvmmsgReader), so a receive thread
 * that dies is replaced without a rebind and what arrives meanwhile waits in the kernel's buffer.
 */
export async function openRecvmmsgSockets(libc: Libc, listen: readonly string[], opts: UdpListenOptions): Promise<BoundSockets> {
  const { component } = opts;
  const targets = listen.map((l) => {
    const hp = parseHostPort(l);
    if (!hp) throw new Error(`${component}: bad listen address "${l}"`);
    return hp;
  });
  const fds: number[] = [];
  const addresses: BoundAddress[] = [];
  try {
    for (const { host, port } of targets) {
      const v6 = isIPv6(host);
      const where = `${v6 ? `[${host}]` : host}:${port}`;
      const fail = (call: string): never => {
        throw new Error(`${component}: cannot listen on ${where}: ${call} ${systemError(libc.koffi.errno())}`);
      };
      // A name ("localhost") is resolved as dgram resolves it for a udp4 socket: to its first IPv4 address.
      const ip = v6 ? parseIPv6(host) : (parseIPv4(host) ?? (await resolve4(host)));
      if (!ip) throw new Error(`${component}: cannot listen on ${where}: ${host} has no IPv4 address`);
      const fd = libc.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) fail('socket');
      fds.push(fd);
      if (v6) {
        const only = targets.some((t) => !isIPv6(t.host) && t.port === port) ? 1 : 0;
        if (libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int32(only), 4) < 0) fail('setsockopt IPV6_V6ONLY');
      }
      if (libc.bind(fd, sockaddr(v6, ip, port), v6 ? 28 : 16) < 0) fail('bind');
      const name = Buffer.alloc(NAME);
      if (libc.getsockname(fd, name, int32(NAME)) < 0) fail('getsockname');
      addresses.push({ address: v6 ? formatIPv6(name.subarray(8, 24)) : formatFlowAddress(name.readUInt32BE(4)), port: name.readUInt16BE(2), family: v6 ? 'IPv6' : 'IPv4' });
      // Asked for after bind, as dgram does; a refusal is logged, not fatal (the kernel's default still works).
      if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(opts.receiveBuffer), 4) < 0) {
        opts.log.warn({ where, err: { message: systemError(libc.koffi.errno()) } }, `${component}: could not set the receive buffer`);
      }
      const granted = Buffer.alloc(4);
      if (libc.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, granted, int32(4)) === 0) reportReceiveBuffer(where, granted.readInt32LE(0), opts);
    }
  } catch (err) {
    for (const fd of fds) libc.close(fd);
    throw err;
  }
  return { fds, addresses };
}

/** Reads bound sockets with recvmmsg into memory allocated once (the receive thread's side). */
export class RecvmmsgReader {
  /** The mmsghdr array as recvmmsg gets it (a native pointer) and as this code reads it (a view). */
  private readonly headerBlock: unknown;
  private readonly headers: Buffer;
  private readonly names: Buffer;
  private readonly data: Buffer;
  /** The native blocks behind the views above, freed by close(). */
  private readonly blocks: unknown[];
  private readonly pollBlock: unknown;
  private readonly pollFds: Buffer;
  private readonly nap = new Int32Array(new SharedArrayBuffer(4));
  private readonly texts = new Map<number, string>();
  private freed = false;
  /** Datagrams longer than a slot (cannot happen for UDP over IPv4 or IPv6 without jumbograms): dropped, counted. */
  truncated = 0;

  constructor(private readonly libc: Libc, private readonly fds: readonly number[], private readonly addresses: readonly BoundAddress[]) {
    const { koffi } = libc;
    const alloc = (bytes: number): [unknown, Buffer] => {
      const block = koffi.alloc('uint8_t', bytes);
      return [block, Buffer.from(koffi.view(block, bytes))];
    };
    const [h, headers] = alloc(BATCH * MMSGHDR);
    const [v, iovecs] = alloc(BATCH * IOVEC);
    const [n, names] = alloc(BATCH * NAME);
    const [d, data] = alloc(BATCH * SLOT);
    const [p, pollFds] = alloc(fds.length * POLLFD);
    this.blocks = [h, v, n, d, p];
    this.headerBlock = h;
    this.headers = headers;
    this.pollBlock = p;
    this.pollFds = pollFds;
    this.names = names;
    this.data = data;
    const dataAt = koffi.address(d);
    const iovAt = koffi.address(v);
    const nameAt = koffi.address(n);
    headers.fill(0);
    for (let i = 0; i < BATCH; i++) {
      iovecs.writeBigUInt64LE(dataAt + BigInt(i * SLOT), i * IOVEC);
      iovecs.writeBigUInt64LE(BigInt(SLOT), i * IOVEC + 8);
      const m = i * MMSGHDR;
      headers.writeBigUInt64LE(nameAt + BigInt(i * NAME), m);
      headers.writeUInt32LE(NAME, m + HDR_NAMELEN);
      headers.writeBigUInt64LE(iovAt + BigInt(i * IOVEC), m + HDR_IOV);
      headers.writeBigUInt64LE(1n, m + HDR_IOVLEN);
    }
    pollFds.fill(0);
    fds.forEach((fd, i) => {
      this.pollFds.writeInt32LE(fd, i * POLLFD);
      this.pollFds.writeInt16LE(POLLIN, i * POLLFD + 4);
    });
  }

  /**
   * Reads every socket until `stopping()` says so (looked at after each batch and at least every POLL_MS), handing
   * each datagram to `sink` in arrival order per socket. Blocks the calling thread: only the receive thread runs it.
   */
  run(sink: DatagramSink, stopping: () => boolean, log: RecvmmsgLog): void {
    const { poll } = this.libc;
    const count = this.fds.length;
    while (!stopping()) {
      const ready = poll(this.pollBlock, count, POLL_MS);
      if (ready <= 0) {
        if (ready < 0 && this.libc.koffi.errno() !== EINTR) this.pause(ERROR_PAUSE_MS, log, 'poll', -1);
        continue;
      }
      let got = 0;
      for (let i = 0; i < count; i++) {
        if (this.pollFds.readInt16LE(i * POLLFD + 6) !== 0) got += this.drain(i, sink, stopping, log);
      }
      if (got > 0) Atomics.wait(this.nap, 0, 0, GATHER_MS);
    }
  }

  /** Reads socket `i` until it is empty (or stopping); returns the datagrams read. */
  private drain(i: number, sink: DatagramSink, stopping: () => boolean, log: RecvmmsgLog): number {
    const fd = this.fds[i]!;
    const { headers, names, data } = this;
    let total = 0;
    for (;;) {
      const n = this.libc.recvmmsg(fd, this.headerBlock, BATCH, 0, null);
      if (n < 0) {
        const errno = this.libc.koffi.errno();
        if (errno === EINTR) continue;
        if (errno !== EAGAIN) this.pause(ERROR_PAUSE_MS, log, 'recvmmsg', fd);
        return total;
      }
      for (let k = 0; k < n; k++) {
        const m = k * MMSGHDR;
        const length = headers.readUInt32LE(m + HDR_LEN);
        const flags = headers.readInt32LE(m + HDR_FLAGS);
        headers.writeUInt32LE(NAME, m + HDR_NAMELEN); // the kernel wrote the length of the name it gave
        if (flags & MSG_TRUNC) {
          this.truncated++;
          continue;
        }
        const at = k * NAME;
        const v4 = names.readUInt16LE(at) === AF_INET;
        sink(data.subarray(k * SLOT, k * SLOT + length), v4 ? this.text4(names.readUInt32BE(at + 4)) : formatSockaddr6(names.subarray(at + 8, at + 24)), names.readUInt16BE(at + 2));
      }
      total += n;
      if (n < BATCH || stopping()) return total;
    }
  }

  /** IPv4 sender text, kept per address: exporters are few and send many datagrams each. */
  private text4(address: number): string {
    let t = this.texts.get(address);
    if (t === undefined) {
      if (this.texts.size >= MAX_ADDRESS_TEXTS) this.texts.clear();
      t = formatFlowAddress(address);
      this.texts.set(address, t);
    }
    return t;
  }

  private pause(ms: number, log: RecvmmsgLog, call: string, fd: number): void {
    const where = this.addresses[this.fds.indexOf(fd)];
    log.error({ err: { message: systemError(this.libc.koffi.errno()) }, ...(where ? { where: `${where.address}:${where.port}` } : {}) }, `netflow: ${call} failed; retrying`);
    Atomics.wait(this.nap, 0, 0, ms);
  }

  /** Frees the buffers (the sockets stay open: closeSockets). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const b of this.blocks) this.libc.koffi.free(b);
  }
}

/** Sockets bound by openRecvmmsgSockets. */
export interface BoundSockets {
  fds: number[];
  addresses: BoundAddress[];
}

export function closeSockets(libc: Libc, fds: readonly number[]): void {
  for (const fd of fds) libc.close(fd);
}

async function resolve4(host: string): Promise<Buffer | undefined> {
  try {
    return parseIPv4((await lookup(host, { family: 4 })).address);
  } catch {
    return undefined;
  }
}

const int32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
};

/** struct sockaddr_in / sockaddr_in6 for bind(). */
function sockaddr(v6: boolean, ip: Buffer, port: number): Buffer {
  const b = Buffer.alloc(v6 ? 28 : 16);
  b.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  b.writeUInt16BE(port, 2);
  ip.copy(b, v6 ? 8 : 4);
  return b;
}

/** A sender on an IPv6 socket as dgram names it: an IPv4 sender on a dual-stack socket is "::ffff:a.b.c.d". */
function formatSockaddr6(b: Buffer): string {
  const mapped = b.readUInt32BE(0) === 0 && b.readUInt32BE(4) === 0 && b.readUInt32BE(8) === 0xffff;
  return mapped ? `::ffff:${formatFlowAddress(b.readUInt32BE(12))}` : formatIPv6(b);
}

/** "EADDRINUSE (address already in use)", as Node's own errors name them. */
function systemError(errno: number): string {
  const code = getSystemErrorName(-errno);
  const text = getSystemErrorMap().get(-errno)?.[1];
  return text ? `${code} (${text})` : code;
}
