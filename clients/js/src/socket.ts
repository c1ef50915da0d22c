import type { Clock } from './clock.js';
import { codeForStatus, errorFromMessage, ProtocolError } from './errors.js';

/**
 * The part of the WebSocket API the clients use; the browser's WebSocket,
 * Node 22's global one and the `ws` package all have it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: `globalThis.WebSocket`, or `ws`'s default export. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The handler properties every implementation has; set through this view. */
interface SocketEvents {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/**
 * `ws` (Node) tells why an upgrade was refused through this event; nothing in
 * the standard WebSocket API does (a browser only reports close 1006).
 */
interface NodeUpgradeEvents {
  on(event: 'unexpected-response', listener: (req: { destroy?: () => void }, res: RefusedResponse) => void): unknown;
  terminate(): void;
}

interface RefusedResponse {
  statusCode?: number;
  setEncoding?(encoding: string): void;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'error', listener: () => void): unknown;
}

const OPEN = 1;
/** Sent when we give up on a socket we believe dead: not 1000, so a speaker's session survives. */
export const CLOSE_ABANDONED = 4000;
const MAX_REFUSAL_BODY = 4096;

let nextLinkId = 1;

/** One WebSocket and what the client knows about it. */
export class Link {
  readonly id = nextLinkId++;
  /** Its welcome arrived: it belongs to the client. */
  welcomed = false;
  /** Its frames reach the application (false once abandoned). */
  delivering = true;
  /** We closed it on purpose; its close is not a drop. */
  retired = false;
  lastReceivedAt = 0;
  heartbeatSentAt = 0;
  heartbeatTimer: unknown;
  /** Fires when the oldest unanswered heartbeat has waited too long. */
  answerTimer: unknown;
  /** Frames that arrived before the welcome. */
  early: Record<string, unknown>[] = [];

  constructor(readonly ws: WebSocketLike, private readonly clock: Clock) {}

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  send(frame: object): boolean {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) this.clock.clearTimeout(this.heartbeatTimer);
    if (this.answerTimer !== undefined) this.clock.clearTimeout(this.answerTimer);
    this.heartbeatTimer = undefined;
    this.answerTimer = undefined;
  }

  /** Closes on purpose: 1000 to leave, CLOSE_ABANDONED for a socket given up on. */
  retire(code: number, reason: string): void {
    this.retired = true;
    this.stopHeartbeat();
    const node = this.ws as unknown as Partial<NodeUpgradeEvents>;
    try {
      if (code === CLOSE_ABANDONED && this.open && typeof node.terminate === 'function') {
        // A dead peer never answers a close frame; `ws` would wait 30 s for it.
        node.terminate();
      } else {
        this.ws.close(code, reason);
      }
    } catch {
      // already closing: nothing more to do
    }
  }
}

/** Whether msg is a first message: the service's answer to an admitted `$connect`. */
export function isWelcome(msg: Record<string, unknown>): boolean {
  return msg.type === 'sessionCreated' || msg.type === 'sessionJoined' || msg.type === 'connectionRefreshComplete';
}

export interface DialHandlers {
  /** A frame on a welcomed link. */
  frame(link: Link, msg: Record<string, unknown>): void;
  /** A welcomed link closed. */
  closed(link: Link, code: number): void;
}

export interface Dialed {
  link: Link;
  welcome: Record<string, unknown>;
}

/**
 * Opens a socket to url with query and waits for the service's welcome. It
 * rejects with a ProtocolError: the refusal's code when it can be read (the
 * `ws` package gives the status and body of a refused upgrade), else
 * CONNECTION_FAILED, or TIMEOUT when no welcome arrives.
 */
export function dial(
  Ctor: WebSocketConstructor,
  url: string,
  query: Record<string, string>,
  welcomeTimeoutMs: number,
  handlers: DialHandlers,
  dialing: Set<Link>,
  clock: Clock,
): Promise<Dialed> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
    let ws: WebSocketLike;
    try {
      ws = new Ctor(target.toString());
    } catch (err) {
      reject(new ProtocolError('CONNECTION_FAILED', `cannot open ${target.origin}: ${String(err)}`, { cause: err }));
      return;
    }
    const link = new Link(ws, clock);
    dialing.add(link);
    let settled = false;
    let refusal: { status: number; body: string } | undefined;
    const fail = (err: ProtocolError): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      dialing.delete(link);
      reject(err);
    };
    const timer = clock.setTimeout(() => {
      link.retire(CLOSE_ABANDONED, 'no welcome');
      fail(new ProtocolError('TIMEOUT', `no welcome from the service within ${welcomeTimeoutMs} ms`));
    }, welcomeTimeoutMs);

    const events = ws as unknown as SocketEvents;
    events.onerror = () => {
      // Before the welcome an error means the socket will not open. Browsers
      // follow it with a close, but Node 20's WebSocket does not after a
      // refused upgrade, so do not wait for one. (`ws` reports a refusal it
      // is still reading the body of with a close, after the error.)
      if (link.welcomed || refusal !== undefined) return;
      link.retire(1000, 'failed');
      fail(refusalError(undefined, 1006));
    };
    events.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return; // the protocol has text frames only
      let msg: unknown;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return; // not JSON: not the protocol
      }
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return;
      const m = msg as Record<string, unknown>;
      link.lastReceivedAt = clock.now();
      if (link.welcomed) {
        handlers.frame(link, m);
      } else if (isWelcome(m) && !settled) {
        link.welcomed = true;
        settled = true;
        clock.clearTimeout(timer);
        dialing.delete(link);
        resolve({ link, welcome: m });
      } else if (!settled) {
        link.early.push(m);
      }
    };
    events.onclose = (ev) => {
      link.stopHeartbeat();
      if (link.welcomed) {
        handlers.closed(link, ev.code);
        return;
      }
      fail(refusalError(refusal, ev.code));
    };

    const node = ws as unknown as Partial<NodeUpgradeEvents>;
    if (typeof node.on === 'function' && typeof node.terminate === 'function') {
      node.on('unexpected-response', (req, res) => {
        const found = { status: res.statusCode ?? 0, body: '' };
        refusal = found;
        const stop = (): void => {
          req.destroy?.();
          node.terminate?.();
        };
        res.setEncoding?.('utf8');
        res.on('data', (chunk) => {
          if (found.body.length < MAX_REFUSAL_BODY) found.body += chunk;
        });
        res.on('end', stop);
        res.on('error', stop);
      });
    }
  });
}

function refusalError(refusal: { status: number; body: string } | undefined, closeCode: number): ProtocolError {
  if (refusal === undefined) {
    return new ProtocolError('CONNECTION_FAILED', `the connection closed before the service welcomed it (close ${closeCode})`);
  }
  try {
    const body: unknown = JSON.parse(refusal.body);
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      return errorFromMessage(body as Record<string, unknown>, refusal.status);
    }
  } catch {
    // not JSON: the status alone names the code
  }
  return new ProtocolError(codeForStatus(refusal.status), `the service refused the connection (HTTP ${refusal.status})`, {
    status: refusal.status,
  });
}
