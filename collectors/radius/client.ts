// Our RADIUS accounting client: sends Accounting-Requests with bounded concurrency, retransmitting on timeout.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { verifyAccountingResponse } from './authenticator.js';
import { defaultDictionary, type Dictionary } from './dictionary.js';
import { buildAccountingRequest, CODE_ACCOUNTING_RESPONSE, encodeAttribute, type AttributeInput } from './encode.js';

export interface SendAccountingOptions {
  host: string;
  port: number;
  secret: string;
  /** Requests outstanding at once (at most 256: the Identifier is one octet). Default 32. */
  concurrency?: number;
  /** Wait per attempt before retransmitting. Default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions after the first attempt. Default 2. */
  retries?: number;
  dictionary?: Dictionary;
}

export interface SendResult {
  /** Position in the input. */
  index: number;
  status: 'ack' | 'timeout';
  identifier: number;
  attempts: number;
  /** From the first transmission to the verified response. */
  rttMs?: number;
}

/**
 * Sends each request and waits for its verified Accounting-Response. A retransmission is byte-identical (same
 * Identifier and authenticator), as RFC 5080 §2.2.1 asks, so the server can recognize it as a duplicate.
 */
export async function sendAccounting(requests: readonly (readonly AttributeInput[])[], opts: SendAccountingOptions): Promise<SendResult[]> {
  const dict = opts.dictionary ?? defaultDictionary();
  const concurrency = Math.max(1, Math.min(256, opts.concurrency ?? 32));
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 2;
  // Encode everything first, so a bad attribute fails before anything is sent.
  const bodies = requests.map((attrs) => attrs.map((a) => encodeAttribute(a, dict)));

  const socket: Socket = createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
  const waiting = new Map<number, { authenticator: Buffer; done: () => void }>();
  socket.on('message', (msg) => {
    if (msg.length < 20 || msg[0] !== CODE_ACCOUNTING_RESPONSE) return;
    const w = waiting.get(msg[1]!);
    // A late answer to an earlier user of this Identifier fails verification against the current request.
    if (w && verifyAccountingResponse(msg.subarray(0, msg.readUInt16BE(2)), w.authenticator, opts.secret)) w.done();
  });
  socket.on('error', () => { /* ICMP unreachable and the like: the attempt simply times out */ });
  await new Promise<void>((resolve) => socket.bind(0, resolve));

  const freeIds = Array.from({ length: 256 }, (_, i) => i);
  const results: SendResult[] = new Array(requests.length);
  let next = 0;

  const sendOne = async (index: number): Promise<void> => {
    const identifier = freeIds.shift()!;
    const packet = buildAccountingRequest(identifier, bodies[index]!, opts.secret);
    const t0 = performance.now();
    let attempts = 0;
    const acked = await new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const attempt = (): void => {
        if (attempts > retries) {
          waiting.delete(identifier);
          resolve(false);
          return;
        }
        attempts++;
        socket.send(packet, opts.port, opts.host);
        timer = setTimeout(attempt, timeoutMs);
      };
      waiting.set(identifier, {
        authenticator: packet.subarray(4, 20),
        done: () => {
          clearTimeout(timer);
          waiting.delete(identifier);
          resolve(true);
        },
      });
      attempt();
    });
    freeIds.push(identifier);
    results[index] = acked
      ? { index, status: 'ack', identifier, attempts, rttMs: performance.now() - t0 }
      : { index, status: 'timeout', identifier, attempts };
  };

  const worker = async (): Promise<void> => {
    while (next < requests.length) await sendOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  } finally {
    socket.close();
  }
  return results;
}
