// Types for the part of net-snmp (3.x, plain JavaScript) the SNMP poller uses.
declare module 'net-snmp' {
  import type { EventEmitter } from 'node:events';

  export const Version1: 0;
  export const Version2c: 1;
  export const Version3: 3;

  export enum ObjectType {
    Boolean = 1,
    Integer = 2,
    OctetString = 4,
    Null = 5,
    OID = 6,
    IpAddress = 64,
    Counter = 65,
    Gauge = 66,
    TimeTicks = 67,
    Opaque = 68,
    Counter64 = 70,
    NoSuchObject = 128,
    NoSuchInstance = 129,
    EndOfMibView = 130,
  }

  export enum SecurityLevel {
    noAuthNoPriv = 1,
    authNoPriv = 2,
    authPriv = 3,
  }

  /** Error-status names by number (and numbers by name): 1 → "TooBig", 5 → "GeneralError", … */
  export const ErrorStatus: Record<number, string> & Record<string, number>;

  export const AuthProtocols: { none: string; md5: string; sha: string; sha224: string; sha256: string; sha384: string; sha512: string };
  export const PrivProtocols: { none: string; des: string; aes: string; aes256b: string; aes256r: string };

  export enum ResponseInvalidCode {
    EIp4AddressSize = 1,
    EUnknownObjectType = 2,
    EUnknownPduType = 3,
    ECouldNotDecrypt = 4,
    EAuthFailure = 5,
    EReqResOidNoMatch = 6,
    EOutOfOrder = 8,
    EVersionNoMatch = 9,
    ECommunityNoMatch = 10,
    EUnexpectedReport = 11,
    EResponseNotHandled = 12,
    EUnexpectedResponse = 13,
    ENotInTimeWindow = 14,
    EBadVarbindList = 15,
  }

  export interface Varbind {
    oid: string;
    type: ObjectType;
    /** number for the integer types, Buffer for OctetString/Opaque/Counter64, string for OID and IpAddress. */
    value: unknown;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    version?: 0 | 1 | 3;
    idBitsSize?: 16 | 32;
    reportOidMismatchErrors?: boolean;
    backwardsGetNexts?: boolean;
    context?: string;
  }

  export interface User {
    name: string;
    level: SecurityLevel;
    authProtocol?: string;
    authKey?: string;
    privProtocol?: string;
    privKey?: string;
  }

  export interface Session extends EventEmitter {
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    /** nonRepeaters = 0: one Varbind[] per requested OID, each up to maxRepetitions long. */
    getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, callback: (error: Error | null, varbinds?: Varbind[][]) => void): void;
    subtree(oid: string, maxRepetitions: number, feed: (varbinds: Varbind[]) => boolean | void, done: (error: Error | null) => void): void;
    close(): void;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  export function isVarbindError(varbind: Varbind): boolean;

  export class RequestTimedOutError extends Error {}
  export class RequestFailedError extends Error {
    constructor(message: string, status: number);
    status: number;
  }
  export class RequestInvalidError extends Error {}
  export class ResponseInvalidError extends Error {
    constructor(message: string, code?: ResponseInvalidCode);
    code: ResponseInvalidCode;
  }

  const snmp: {
    Version1: typeof Version1;
    Version2c: typeof Version2c;
    Version3: typeof Version3;
    ObjectType: typeof ObjectType;
    ErrorStatus: typeof ErrorStatus;
    SecurityLevel: typeof SecurityLevel;
    AuthProtocols: typeof AuthProtocols;
    PrivProtocols: typeof PrivProtocols;
    ResponseInvalidCode: typeof ResponseInvalidCode;
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    isVarbindError: typeof isVarbindError;
    RequestTimedOutError: typeof RequestTimedOutError;
    RequestFailedError: typeof RequestFailedError;
    RequestInvalidError: typeof RequestInvalidError;
    ResponseInvalidError: typeof ResponseInvalidError;
  };
  export default snmp;
}
