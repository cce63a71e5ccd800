// A RouterOS API server for tests, over real TCP and TLS on 127.0.0.1, with tables the test scripts.
//
// Ours by necessity: no RouterOS runs here (CHR needs a VM). It follows the MikroTik API manual: words and
// sentences framed as in collectors/routeros/api-words.ts (whose encoding is pinned to the manual's byte layouts by
// collectors/routeros/api-words.test.ts), `/login =name= =password=` (6.43+), commands that must log in first (`!fatal`
// otherwise), `.tag` echoed on every reply sentence, `!re` rows, `!done`, `!trap` (then `!done`) for errors and
// unknown commands, `!empty` for a print without rows (7.18+, can be turned off), `!fatal` on `/quit`,
// `.proplist`, and `?` queries with the `?#` stack operators. Tables hold what `print` returns; the test sets them
// between polls. Faults are injected per command: drop the connection in the middle of a reply, answer with a
// trap, answer slowly in small pieces, or send a malformed sentence.
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { encodeSentence, SentenceReader } from '../collectors/routeros/api-words.js';

export type Row = Record<string, string>;

export type Fault =
  /** Sends part of the reply's bytes, then closes the connection. */
  | { kind: 'drop-mid-reply' }
  /** Answers `!trap =message=…` then `!done`. */
  | { kind: 'trap'; message: string; category?: string }
  /** Answers after `delayMs`, cut in `pieceBytes` pieces written `gapMs` apart. */
  | { kind: 'slow'; delayMs: number; pieceBytes: number; gapMs: number }
  /** Answers with an `!re` sentence of the given words instead of the rows (then `!done`). */
  | { kind: 'row'; row: Row }
  /** Sends this one sentence (the command's .tag appended) and nothing else, e.g. an unknown reply word. */
  | { kind: 'sentence'; words: string[] }
  /** Sends bytes that are not API framing (a control byte). */
  | { kind: 'garbage' };

export interface RouterosTestServerOptions {
  /** user → password. */
  users: Record<string, string>;
  /** Serve TLS (api-ssl) with this key and certificate instead of plain TCP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Send `!empty` for a print without rows, as RouterOS 7.18+ does. */
  emptyReply?: boolean;
  /** Every print is answered this late (a busy router), so tests can see how many sessions are served at once. */
  replyDelayMs?: number;
}

export interface LoggedCommand {
  words: string[];
  loggedIn: boolean;
}

export class RouterosTestServer {
  /** What `/<menu>/print` returns, keyed by menu ("/queue/simple", "/system/resource", …). */
  readonly tables = new Map<string, Row[]>();
  /** Every sentence received, in order (passwords included: it is a test double). */
  readonly commands: LoggedCommand[] = [];
  loginAttempts = 0;
  connections = 0;
  /** Most sessions that had a print waiting for its reply at the same moment. */
  maxBusySessions = 0;
  private readonly busy = new Map<Socket, number>();
  private readonly faults: { menu: string; fault: Fault }[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, private readonly opts: RouterosTestServerOptions) {}

  static async start(opts: RouterosTestServerOptions): Promise<RouterosTestServer> {
    const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }) : createNetServer();
    const s = new RouterosTestServer(server, opts);
    server.on(opts.tls ? 'secureConnection' : 'connection', (socket: Socket) => s.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Replaces the rows of a menu, e.g. setTable('/queue/simple', [...]). */
  setTable(menu: string, rows: Row[]): void {
    this.tables.set(menu, rows.map((r) => ({ ...r })));
  }

  /** The next command on `menu` (e.g. "/queue/simple") gets this fault instead of its normal reply. */
  inject(menu: string, fault: Fault): void {
    this.faults.push({ menu, fault });
  }

  /** Closes every open API session (as a router reboot would) without stopping the listener. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.busy.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    const reader = new SentenceReader();
    const session = { loggedIn: false };
    socket.on('data', (chunk: Buffer) => {
      let sentences: string[][];
      try {
        sentences = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const words of sentences) this.onSentence(socket, session, words);
    });
  }

  private onSentence(socket: Socket, session: { loggedIn: boolean }, words: string[]): void {
    this.commands.push({ words, loggedIn: session.loggedIn });
    const [command = '', ...rest] = words;
    const tagWord = rest.find((w) => w.startsWith('.tag='));
    const tagged = (sentence: string[]): string[] => (tagWord ? [...sentence, tagWord] : sentence);
    const send = (sentences: string[][]): void => {
      if (!socket.destroyed) socket.write(Buffer.concat(sentences.map((s) => encodeSentence(tagged(s)))));
    };
    const attrs = attributesOf(rest);
    if (command === '/login') {
      this.loginAttempts++;
      const ok = attrs.name !== undefined && this.opts.users[attrs.name] !== undefined && this.opts.users[attrs.name] === attrs.password;
      session.loggedIn = ok;
      return send(ok ? [['!done']] : [['!trap', '=message=invalid user name or password (6)'], ['!done']]);
    }
    if (!session.loggedIn) {
      // RouterOS answers anything but /login before a login with !fatal and closes the session.
      socket.end(encodeSentence(['!fatal', 'not logged in']));
      return;
    }
    if (command === '/quit') {
      socket.end(encodeSentence(['!fatal', 'session terminated on request']));
      return;
    }
    const m = /^(\/.+)\/(print|getall)$/.exec(command);
    const menu = m?.[1] ?? command;
    const faultAt = this.faults.findIndex((f) => f.menu === menu);
    const fault = faultAt >= 0 ? this.faults.splice(faultAt, 1)[0]!.fault : undefined;
    if (fault?.kind === 'trap') return send([['!trap', ...(fault.category ? [`=category=${fault.category}`] : []), `=message=${fault.message}`], ['!done']]);
    if (fault?.kind === 'row') return send([['!re', ...Object.entries(fault.row).map(([k, v]) => `=${k}=${v}`)], ['!done']]);
    if (fault?.kind === 'sentence') return send([fault.words]);
    if (fault?.kind === 'garbage') {
      socket.write(Buffer.from([0xf8, 0x01, 0x02]));
      return;
    }
    const table = m ? this.tables.get(menu) : undefined;
    if (!table) return send([['!trap', '=category=0', '=message=no such command prefix'], ['!done']]);
    const proplist = attrs['.proplist']?.split(',');
    const rows = table.filter(queryFilter(rest.filter((w) => w.startsWith('?'))));
    const sentences = rows.map((r) => ['!re', ...Object.entries(r).filter(([k]) => !proplist || proplist.includes(k)).map(([k, v]) => `=${k}=${v}`)]);
    if (!sentences.length && this.opts.emptyReply !== false) sentences.push(['!empty']);
    sentences.push(['!done']);
    const bytes = Buffer.concat(sentences.map((s) => encodeSentence(tagged(s))));
    if (fault?.kind === 'drop-mid-reply') {
      // Half the reply, then a hard close: the client holds a partial sentence or a reply without !done.
      socket.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => socket.destroy());
      return;
    }
    if (fault?.kind === 'slow') return void writeSlowly(socket, bytes, fault);
    if (!this.opts.replyDelayMs) return void socket.write(bytes);
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    this.maxBusySessions = Math.max(this.maxBusySessions, this.busy.size);
    setTimeout(() => {
      const n = (this.busy.get(socket) ?? 1) - 1;
      if (n > 0) this.busy.set(socket, n);
      else this.busy.delete(socket);
      if (!socket.destroyed) socket.write(bytes);
    }, this.opts.replyDelayMs);
  }
}

async function writeSlowly(socket: Socket, bytes: Buffer, f: { delayMs: number; pieceBytes: number; gapMs: number }): Promise<void> {
  await sleep(f.delayMs);
  for (let at = 0; at < bytes.length && !socket.destroyed; at += f.pieceBytes) {
    socket.write(bytes.subarray(at, at + f.pieceBytes));
    if (f.gapMs) await sleep(f.gapMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function attributesOf(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    // `=name=value` and API attributes such as `.proplist=a,b` (no leading '=').
    const body = w.startsWith('=') ? w.slice(1) : w.startsWith('.') ? w : undefined;
    if (body === undefined) continue;
    const eq = body.indexOf('=');
    if (eq > 0) out[body.slice(0, eq)] = body.slice(eq + 1);
  }
  return out;
}

/**
 * The manual's query words, evaluated on a stack of booleans per row: `?name=x` (equals), `?=name=x`, `?name`
 * (has), `?-name` (has not), `?>name=x` / `?<name=x` (numeric when both are numbers), and `?#` operators
 * `|` (or), `&` (and), `!` (not), `.` (duplicate top). The row matches when every value left is true.
 */
function queryFilter(queries: string[]): (row: Row) => boolean {
  return (row) => {
    const stack: boolean[] = [];
    for (const q of queries) {
      const body = q.slice(1);
      if (body.startsWith('#')) {
        for (const op of body.slice(1)) {
          if (op === '!') stack.push(!stack.pop());
          else if (op === '.') stack.push(stack.at(-1) ?? true);
          else if (op === '|' || op === '&') {
            const b = stack.pop() ?? true;
            const a = stack.pop() ?? true;
            stack.push(op === '|' ? a || b : a && b);
          }
        }
        continue;
      }
      const cmp = /^([<>])(.+?)=(.*)$/.exec(body);
      if (cmp) {
        const [, op, key, value] = cmp as unknown as [string, string, string, string];
        const have = row[key];
        const numeric = have !== undefined && /^-?\d+$/.test(have) && /^-?\d+$/.test(value);
        const c = have === undefined ? NaN : numeric ? Number(BigInt(have) - BigInt(value)) : have.localeCompare(value);
        stack.push(op === '>' ? c > 0 : c < 0);
        continue;
      }
      if (body.startsWith('-')) {
        stack.push(row[body.slice(1)] === undefined);
        continue;
      }
      const plain = body.startsWith('=') ? body.slice(1) : body;
      const eq = plain.indexOf('=');
      stack.push(eq < 0 ? row[plain] !== undefined : row[plain.slice(0, eq)] === plain.slice(eq + 1));
    }
    return stack.every(Boolean);
  };
}
