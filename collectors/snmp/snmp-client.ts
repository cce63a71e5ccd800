// One agent's SNMP session (net-snmp) behind a small promise API: GET, multi-column GETBULK walks, typed cells.
import snmp, { type Session, type Varbind } from 'net-snmp';
import type { SnmpTargetConfig } from './config.js';

/** A varbind value as the profiles read it: integers as bigint, strings as bytes. */
export type Cell =
  | { kind: 'integer' | 'counter32' | 'counter64' | 'gauge' | 'timeticks'; value: bigint }
  | { kind: 'octets'; value: Buffer }
  | { kind: 'oid' | 'ip'; value: string };

/**
 * Why a poll failed: a closed set, each a label of wispmeter_snmp_poll_errors_total. All but `spool` (the spool
 * refused the poll's records) are about the agent or the way to it.
 */
export type SnmpErrorReason = 'timeout' | 'auth' | 'agent_error' | 'malformed' | 'network' | 'aborted' | 'spool';
export const SNMP_ERROR_REASONS: readonly SnmpErrorReason[] = ['timeout', 'auth', 'agent_error', 'malformed', 'network', 'aborted', 'spool'];

/**
 * A failed request. The message is ours, never the library's: net-snmp puts the community in some of its messages
 * and the USM keys in an error's `info`, and neither may reach a log.
 */
export class SnmpError extends Error {
  constructor(
    readonly reason: SnmpErrorReason,
    message: string,
    /** For agent_error: the error-status name the agent answered (TooBig, GeneralError, …). */
    readonly status?: string,
  ) {
    super(message);
    this.name = 'SnmpError';
  }
}

/** One walked column: the instance suffix after the column OID (e.g. "3" or "1.4.24.166.1.2.3") → cell. */
export type Column = Map<string, Cell>;

export interface SnmpClientOptions {
  target: SnmpTargetConfig;
  timeoutMs: number;
  retries: number;
  maxRepetitions: number;
  /**
   * Called for what is odd but survivable: `undecodable`, a datagram net-snmp could not parse (the request it
   * answered then times out); `bad_value`, a table cell of the wrong type or range (the cell is skipped).
   */
  onMalformed?: (reason: 'undecodable' | 'bad_value') => void;
}

// Bounds on one walk, so an agent that never ends a table (or loops) cannot keep a poll running forever.
const MAX_WALK_REQUESTS = 5_000;
const MAX_WALK_CELLS = 500_000;

const SECURITY_LEVEL = { authNoPriv: snmp.SecurityLevel.authNoPriv, authPriv: snmp.SecurityLevel.authPriv } as const;

export class SnmpClient {
  private readonly session: Session;
  private closed = false;
  /** Rows per GETBULK; halved for the session's life when the agent answers tooBig. */
  private reps: number;

  constructor(private readonly opts: SnmpClientOptions) {
    this.reps = opts.maxRepetitions;
    const t = opts.target;
    const common = { port: t.port, retries: opts.retries, timeout: opts.timeoutMs, transport: t.address.includes(':') ? 'udp6' as const : 'udp4' as const };
    if (t.version === '2c') {
      this.session = snmp.createSession(t.address, t.community, { ...common, version: snmp.Version2c });
    } else {
      this.session = snmp.createV3Session(t.address, {
        name: t.user,
        level: SECURITY_LEVEL[t.level],
        authProtocol: snmp.AuthProtocols[t.authProtocol],
        authKey: t.authPassword,
        ...(t.level === 'authPriv' && t.privProtocol ? { privProtocol: snmp.PrivProtocols[t.privProtocol], privKey: t.privPassword } : {}),
      }, { ...common, version: snmp.Version3, ...(t.context ? { context: t.context } : {}) });
    }
    // net-snmp emits "error" for a datagram it cannot decode; without a listener that would end the process.
    this.session.on('error', () => opts.onMalformed?.('undecodable'));
  }

  /** Values of scalar OIDs, in order; a missing one (noSuchObject/Instance) is undefined. */
  get(oids: string[]): Promise<(Cell | undefined)[]> {
    return new Promise((resolve, reject) => {
      this.session.get(oids, (err, varbinds) => {
        if (err || !varbinds) return reject(classify(err, this.opts));
        try {
          if (varbinds.length !== oids.length) throw new SnmpError('malformed', `GET answered ${varbinds.length} varbinds for ${oids.length} OIDs`);
          resolve(varbinds.map((vb) => (snmp.isVarbindError(vb) ? undefined : toCell(vb))));
        } catch (e) {
          reject(e instanceof SnmpError ? e : new SnmpError('malformed', String(e)));
        }
      });
    });
  }

  /**
   * Walks table columns side by side with GETBULK (as snmptable does): one request fetches the next
   * maxRepetitions rows of every column still open. A column ends at the first OID outside it.
   */
  async walkColumns(columns: readonly string[]): Promise<Column[]> {
    const out = columns.map(() => new Map<string, Cell>());
    const cursor = [...columns];
    let open = columns.map((_, i) => i);
    let requests = 0;
    let cells = 0;
    while (open.length > 0) {
      if (++requests > MAX_WALK_REQUESTS || cells > MAX_WALK_CELLS) throw new SnmpError('malformed', `walk of ${columns[0]} did not end after ${MAX_WALK_REQUESTS} requests or ${MAX_WALK_CELLS} cells`);
      let answer: Varbind[][];
      try {
        answer = await this.getBulk(open.map((i) => cursor[i]!), this.reps);
      } catch (err) {
        // tooBig: the answer would not fit the agent's buffer; ask for fewer rows per request from now on.
        if (err instanceof SnmpError && err.status === 'TooBig' && this.reps > 1) {
          this.reps = Math.max(1, Math.floor(this.reps / 2));
          continue;
        }
        throw err;
      }
      const still: number[] = [];
      open.forEach((col, j) => {
        const prefix = columns[col]! + '.';
        const list = answer[j] ?? [];
        let done = list.length === 0;
        for (const vb of list) {
          if (vb.type === snmp.ObjectType.EndOfMibView || !vb.oid.startsWith(prefix)) {
            done = true;
            break;
          }
          // An agent answering with an OID not after the one asked for would loop forever.
          if (compareOids(vb.oid, cursor[col]!) <= 0) throw new SnmpError('malformed', `agent answered ${vb.oid} after ${cursor[col]} (not increasing)`);
          cursor[col] = vb.oid;
          if (snmp.isVarbindError(vb)) continue;
          let cell: Cell;
          try {
            cell = toCell(vb);
          } catch {
            // One bad cell (a 10-byte Counter64, a counter sent as a string) costs its row, not the device's poll.
            this.opts.onMalformed?.('bad_value');
            continue;
          }
          out[col]!.set(vb.oid.slice(prefix.length), cell);
          cells++;
        }
        if (!done) still.push(col);
      });
      open = still;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.session.close();
    } catch {
      // already closed by the library after a socket error
    }
  }

  private getBulk(oids: string[], reps: number): Promise<Varbind[][]> {
    return new Promise((resolve, reject) => {
      this.session.getBulk(oids, 0, reps, (err, varbinds) => {
        if (err || !varbinds) return reject(classify(err, this.opts));
        if (!Array.isArray(varbinds) || varbinds.some((v) => !Array.isArray(v))) return reject(new SnmpError('malformed', 'GETBULK answer is not a list per requested OID'));
        resolve(varbinds);
      });
    });
  }
}

/** Numeric comparison of dotted OIDs. */
export function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const MAX64 = (1n << 64n) - 1n;

/** A varbind as a typed cell; throws SnmpError('malformed') for values outside their type's range. */
export function toCell(vb: Varbind): Cell {
  const T = snmp.ObjectType;
  const int = (min: bigint, max: bigint, kind: 'integer' | 'counter32' | 'gauge' | 'timeticks'): Cell => {
    if (typeof vb.value !== 'number' || !Number.isInteger(vb.value)) throw new SnmpError('malformed', `${vb.oid}: ${T[vb.type]} value is not an integer`);
    const v = BigInt(vb.value);
    if (v < min || v > max) throw new SnmpError('malformed', `${vb.oid}: ${T[vb.type]} value ${v} is out of range`);
    return { kind, value: v };
  };
  switch (vb.type) {
    case T.Integer:
      return int(-(1n << 31n), (1n << 31n) - 1n, 'integer');
    case T.Counter:
      return int(0n, (1n << 32n) - 1n, 'counter32');
    case T.Gauge:
      return int(0n, (1n << 32n) - 1n, 'gauge');
    case T.TimeTicks:
      return int(0n, (1n << 32n) - 1n, 'timeticks');
    case T.Counter64: {
      if (!Buffer.isBuffer(vb.value) || vb.value.length === 0 || vb.value.length > 9) throw new SnmpError('malformed', `${vb.oid}: Counter64 of ${Buffer.isBuffer(vb.value) ? vb.value.length : 'no'} bytes`);
      let v = 0n;
      for (const b of vb.value) v = (v << 8n) | BigInt(b);
      if (v > MAX64) throw new SnmpError('malformed', `${vb.oid}: Counter64 value is above 2^64-1`);
      return { kind: 'counter64', value: v };
    }
    case T.OctetString:
    case T.Opaque:
      if (!Buffer.isBuffer(vb.value)) throw new SnmpError('malformed', `${vb.oid}: octet string is not bytes`);
      return { kind: 'octets', value: vb.value };
    case T.OID:
      return { kind: 'oid', value: String(vb.value) };
    case T.IpAddress:
      return { kind: 'ip', value: String(vb.value) };
    default:
      throw new SnmpError('malformed', `${vb.oid}: unexpected type ${T[vb.type] ?? vb.type}`);
  }
}

// USM report reasons net-snmp turns into messages; fixed strings, safe to show.
const USM_MESSAGES = new Set(['Unsupported Security Level', 'Not In Time Window', 'Unknown User Name', 'Unknown Engine ID', 'Wrong Digest (incorrect password, community or key)', 'Decryption Error']);

/** A net-snmp error as an SnmpError with an operator-facing message that holds no secret. */
export function classify(err: Error | null | undefined, opts: Pick<SnmpClientOptions, 'target' | 'timeoutMs' | 'retries'>): SnmpError {
  const t = opts.target;
  if (err instanceof snmp.RequestTimedOutError) {
    const tries = opts.retries + 1;
    const why = t.version === '2c'
      ? 'the agent is down or unreachable, or the community is wrong (a v2c agent does not answer a wrong community)'
      : t.level === 'authPriv'
        ? 'the agent is down or unreachable, or the privacy passphrase or protocol is wrong (an agent that cannot decrypt a request does not answer it)'
        : 'the agent is down or unreachable';
    return new SnmpError('timeout', `no answer from ${t.address}:${t.port} after ${tries} ${tries === 1 ? 'try' : 'tries'} of ${opts.timeoutMs} ms: ${why}`);
  }
  if (err instanceof snmp.ResponseInvalidError) {
    const C = snmp.ResponseInvalidCode;
    switch (err.code) {
      case C.EAuthFailure:
      case C.ECouldNotDecrypt:
      case C.ENotInTimeWindow:
      case C.EUnexpectedReport: {
        const detail = USM_MESSAGES.has(err.message) ? err.message : err.code === C.ECouldNotDecrypt ? 'could not decrypt the answer (wrong privacy passphrase or protocol)' : 'authentication failed';
        return new SnmpError('auth', `SNMPv3 user "${t.version === 3 ? t.user : ''}" rejected by ${t.address}:${t.port}: ${detail} (check user, level, auth/priv protocols and passphrases)`);
      }
      case C.ECommunityNoMatch:
        return new SnmpError('malformed', `answer from ${t.address}:${t.port} carries another community than the request`);
      default:
        return new SnmpError('malformed', `invalid answer from ${t.address}:${t.port} (${C[err.code] ?? err.code})`);
    }
  }
  if (err instanceof snmp.RequestFailedError) {
    // The library's message also names the OID; the status name is all an operator needs here.
    const status = snmp.ErrorStatus[err.status] ?? `status ${err.status}`;
    if (status === 'AuthorizationError' || status === 'NoAccess') {
      const who = t.version === 3 ? `user "${t.user}" at ${t.level}` : 'this community';
      return new SnmpError('auth', `agent ${t.address}:${t.port} refused ${who} (${status}: check the user's security level and view on the agent)`, status);
    }
    return new SnmpError('agent_error', `agent ${t.address}:${t.port} answered with error ${status}`, status);
  }
  if (err instanceof SnmpError) return err;
  if (err && /forcibly closed/i.test(err.message)) return new SnmpError('aborted', `request to ${t.address}:${t.port} aborted (session closed)`);
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return new SnmpError('network', `request to ${t.address}:${t.port} failed${code ? ` (${code})` : ''}`);
}
