// One logged-in RouterOS API session over TCP (8728) or TLS (8729): tagged commands in, rows out.
//
// We speak the protocol ourselves (api-words.ts) rather than through node-routeros, which routeros-client wraps:
// its receiver decides where a sentence ends from where a TCP read ends instead of from the empty word, and it
// throws from inside the socket's data handler on a reply word it does not know. RouterOS 7.18 added one
// (`!empty`, sent for a print with no rows), so every empty table would end the daemon with an uncaught
// exception. A poller that bills from these replies needs both right; the framing is 100 lines.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { RouterosApiError } from './api-error.js';
import { connectSocket, type ApiTlsOptions } from './api-socket.js';
import { ApiFramingError, attributes, encodeSentence, SentenceReader, tagOf } from './api-words.js';

export interface ApiConnectOptions {
  host: string;
  port: number;
  /** TLS (api-ssl) instead of plain TCP. */
  tls?: ApiTlsOptions;
  username: string;
  password: string;
  /** Bound on connecting plus logging in, and on each command's complete reply. */
  timeoutMs: number;
}

/** A command's reply: its `!re` rows and the attributes of its `!done`. */
export interface ApiReply {
  rows: Record<string, string>[];
  done: Record<string, string>;
}

interface Pending {
  rows: Record<string, string>[];
  trap: Record<string, string> | undefined;
  resolve: (r: ApiReply) => void;
  reject: (e: RouterosApiError) => void;
  timer: NodeJS.Timeout;
}

export class ApiConnection {
  private readonly reader = new SentenceReader();
  private readonly pending = new Map<string, Pending>();
  private nextTag = 1;
  private failure: RouterosApiError | undefined;
  private onEnd: ((err: RouterosApiError) => void) | undefined;
  /** Settles once, with the reason, when the session ends (by the router, the network, a timeout or close()). */
  readonly ended = new Promise<RouterosApiError>((resolve) => { this.onEnd = resolve; });

  private constructor(private readonly socket: Socket | TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new RouterosApiError('closed', `connection error: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new RouterosApiError('closed', this.reader.partial ? 'connection closed in the middle of a reply' : 'connection closed by the router')));
  }

  /** Connects and logs in (RouterOS ≥ 6.43: `/login =name= =password=`); the password is sent, never logged. */
  static async open(opts: ApiConnectOptions): Promise<ApiConnection> {
    const socket = await connectSocket(opts);
    const conn = new ApiConnection(socket);
    try {
      const reply = await conn.command(['/login', `=name=${opts.username}`, `=password=${opts.password}`], opts.timeoutMs);
      // Before 6.43 the router answers with a challenge (`=ret=`) for an MD5 response: not supported.
      if (reply.done.ret !== undefined) throw new RouterosApiError('unsupported', 'the router asked for the pre-6.43 challenge login; RouterOS 6.43 or later is required');
      return conn;
    } catch (err) {
      conn.close();
      if (err instanceof RouterosApiError && err.kind === 'trap') throw new RouterosApiError('auth', `login refused: ${err.message}`);
      throw err;
    }
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Sends one command (`/path/cmd`, then `=attr=value`, `.proplist=`, `?query` words) and resolves with its rows
   * once `!done` arrives. A `!trap` rejects with kind 'trap'. A timeout closes the session: what arrives after it
   * can no longer be trusted to belong where it seems.
   */
  command(words: readonly string[], timeoutMs: number): Promise<ApiReply> {
    if (this.failure) return Promise.reject(this.failure);
    const tag = String(this.nextTag++);
    return new Promise<ApiReply>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new RouterosApiError('timeout', `no complete reply to ${words[0]} within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.pending.set(tag, { rows: [], trap: undefined, resolve, reject, timer });
      this.socket.write(encodeSentence([...words, `.tag=${tag}`]));
    });
  }

  close(): void {
    this.fail(new RouterosApiError('closed', 'connection closed by us'));
  }

  private onData(chunk: Buffer): void {
    let sentences: string[][];
    try {
      sentences = this.reader.push(chunk);
    } catch (err) {
      const message = err instanceof ApiFramingError ? err.message : String(err);
      return this.fail(new RouterosApiError('protocol', `bad framing from the router: ${message}`));
    }
    for (const s of sentences) {
      this.onSentence(s);
      if (this.failure) return;
    }
  }

  private onSentence(words: string[]): void {
    const reply = words[0]!;
    const attrs = attributes(words);
    if (reply === '!fatal') {
      // The router closes the session after !fatal; its reason is the one word after the reply word.
      return this.fail(new RouterosApiError('fatal', `router ended the session: ${words.find((w) => !w.startsWith('!') && !w.startsWith('.')) ?? attrs.message ?? '(no reason)'}`));
    }
    const tag = tagOf(words);
    const p = tag === undefined ? undefined : this.pending.get(tag);
    if (!p) return this.fail(new RouterosApiError('protocol', `reply ${reply} for ${tag === undefined ? 'no tag' : `unknown tag ${tag}`}`));
    switch (reply) {
      case '!re':
        p.rows.push(attrs);
        return;
      case '!trap':
        p.trap = attrs;
        return;
      case '!empty':
        // RouterOS ≥ 7.18 says "no rows" explicitly; !done follows.
        return;
      case '!done':
        clearTimeout(p.timer);
        this.pending.delete(tag!);
        if (p.trap) p.reject(new RouterosApiError('trap', p.trap.message ?? '(no message)'));
        else p.resolve({ rows: p.rows, done: attrs });
        return;
      default:
        return this.fail(new RouterosApiError('protocol', `unknown reply word ${JSON.stringify(reply.slice(0, 40))}`));
    }
  }

  /** Ends the session once: every command still waiting is rejected with the same error. */
  private fail(err: RouterosApiError): void {
    if (this.failure) return;
    this.failure = err;
    this.onEnd?.(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket.destroy();
  }
}
