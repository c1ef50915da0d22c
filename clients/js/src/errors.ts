import type { ServiceErrorCode } from './wire.js';

/**
 * The error codes of docs/PROTOCOL.md ("Error codes"): what the service puts in an
 * `error` message or in the JSON body of a refused `$connect`. Generated from
 * the contract's `errorCode` enum.
 */
export type { ServiceErrorCode };

/**
 * Codes the client itself produces, for failures the service never saw or
 * could not name.
 * - CONNECTION_FAILED: the socket did not open and no status could be read
 *   (a browser reports every refused upgrade this way: close 1006).
 * - CONNECTION_LOST: the connection dropped and could not be resumed within
 *   the reconnect window.
 * - TIMEOUT: no welcome, or no answer to a request, in time.
 * - NOT_CONNECTED: a request on a client that is not connected.
 * - CLOSED: the client was closed while a request was waiting.
 */
export type ClientErrorCode = 'CONNECTION_FAILED' | 'CONNECTION_LOST' | 'TIMEOUT' | 'NOT_CONNECTED' | 'CLOSED';

export type ErrorCode = ServiceErrorCode | ClientErrorCode;

/** The `details` object of an error: the field at fault, the session, when to retry. */
export interface ErrorDetails {
  field?: string;
  sessionId?: string;
  /** Seconds to wait before retrying (RATE_LIMIT_EXCEEDED). */
  retryAfter?: number;
  [key: string]: unknown;
}

export interface ProtocolErrorInit {
  details?: ErrorDetails;
  requestId?: string;
  /** The HTTP status of a refused `$connect`, when it could be read. */
  status?: number;
  cause?: unknown;
}

/** Every failure the clients report: a code from the protocol's table or a client code. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetails;
  readonly requestId?: string;
  readonly status?: number;
  /** What led to this error (e.g. the last failed attempt of a CONNECTION_LOST). */
  readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, init: ProtocolErrorInit = {}) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    if (init.details !== undefined) this.details = init.details;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.status !== undefined) this.status = init.status;
    if (init.cause !== undefined) this.cause = init.cause;
  }

  /**
   * Whether trying the same thing again later may succeed. A refusal that
   * names the request as wrong (bad token, unknown session, bad language) will
   * not; an overloaded or unreachable service may.
   */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'RATE_LIMIT_EXCEEDED',
  'SESSION_FULL',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
  'CONNECTION_FAILED',
  'TIMEOUT',
]);

// A record, not a list: a code the contract adds and this misses does not compile.
const SERVICE_CODE_TABLE: Record<ServiceErrorCode, true> = {
  UNAUTHORIZED: true,
  FORBIDDEN: true,
  INVALID_PARAMETERS: true,
  INVALID_ACTION: true,
  INVALID_LANGUAGE: true,
  UNSUPPORTED_LANGUAGE: true,
  INVALID_SESSION_ID: true,
  SESSION_NOT_FOUND: true,
  RATE_LIMIT_EXCEEDED: true,
  SESSION_FULL: true,
  SERVICE_UNAVAILABLE: true,
  INTERNAL_ERROR: true,
};
const SERVICE_CODES: ReadonlySet<string> = new Set(Object.keys(SERVICE_CODE_TABLE));

/** Whether code is one of the service's codes (an unknown code becomes INTERNAL_ERROR). */
export function isServiceErrorCode(code: unknown): code is ServiceErrorCode {
  return typeof code === 'string' && SERVICE_CODES.has(code);
}

/**
 * The code a refused `$connect` most likely carried when only its HTTP status
 * is known (the table's inverse; 400 and 503 each cover several codes, and
 * the body, when readable, names the exact one).
 */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'INVALID_PARAMETERS';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'SESSION_NOT_FOUND';
    case 429:
      return 'RATE_LIMIT_EXCEEDED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'CONNECTION_FAILED';
  }
}

/** Turns an `error` message (or a refused `$connect`'s body) into a ProtocolError. */
export function errorFromMessage(msg: Record<string, unknown>, status?: number): ProtocolError {
  const code: ErrorCode = isServiceErrorCode(msg.code) ? msg.code : status !== undefined ? codeForStatus(status) : 'INTERNAL_ERROR';
  const text = typeof msg.message === 'string' && msg.message !== '' ? msg.message : `service error ${code}`;
  const init: ProtocolErrorInit = {};
  if (msg.details !== null && typeof msg.details === 'object') init.details = msg.details as ErrorDetails;
  if (typeof msg.requestId === 'string') init.requestId = msg.requestId;
  if (status !== undefined) init.status = status;
  return new ProtocolError(code, text, init);
}
