import { OverlapDeduper } from './dedupe.js';
import { Emitter } from './emitter.js';
import { errorFromMessage, ProtocolError } from './errors.js';
import { Requests } from './requests.js';
import type { ClientEvents, ConnectionState, SessionStatus, WelcomeMessage } from './messages.js';
import { CLOSE_ABANDONED, dial, type Dialed, Link, type WebSocketConstructor } from './socket.js';

/** Options both clients take. Durations are in milliseconds. */
export interface ConnectionOptions {
  /** The WebSocket API's URL, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/prod` or `ws://127.0.0.1:8080/local`. */
  url: string;
  /** WebSocket constructor; defaults to `globalThis.WebSocket` (browsers, Node 22+). In Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** How long after a drop to keep trying to resume; default 120 000 (the service's RECONNECT_WINDOW_SECONDS). */
  reconnectWindowMs?: number;
  /** Heartbeat period; defaults to the welcome's `heartbeatIntervalSeconds`, else 30 000. */
  heartbeatIntervalMs?: number;
  /** A heartbeat with no frame back for this long means the connection died silently; default 10 000. */
  heartbeatTimeoutMs?: number;
  /** How long to wait for the service's welcome after opening a socket; default 10 000. */
  welcomeTimeoutMs?: number;
  /** How long a request (getStatus, changeLanguage, pause, ...) waits for its answer; default 10 000. */
  requestTimeoutMs?: number;
  /** First reconnect delay; it doubles per attempt up to maxReconnectDelayMs, with jitter. Default 500. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay; default 15 000. */
  maxReconnectDelayMs?: number;
}

/** What to open: the first connection, a refresh of a live one, or a resumption after a drop. */
export type ConnectPurpose = 'first' | 'refresh' | 'resume';

const DEFAULT_HEARTBEAT_MS = 30_000;
/** Heartbeats go out between 1.0 and 1.1 periods apart: never faster than announced, because the service counts them per minute. */
const HEARTBEAT_JITTER = 0.1;
const OVERLAP_WINDOW_MS = 5_000;
/** How long a refresh waits for answers to requests sent on the old connection. */
const DRAIN_MS = 2_000;

/**
 * The connection life both clients share: the welcome, heartbeats, the
 * refresh before API Gateway's two-hour wall, reconnection after a drop,
 * typed events and requests that wait for their answer.
 */
export abstract class SessionConnection<Welcome extends WelcomeMessage> extends Emitter<ClientEvents> {
  /** The session's id: given to a listener, known to a speaker once connected. */
  sessionId: string | undefined;
  private stateValue: ConnectionState = 'closed';
  private readonly Ctor: WebSocketConstructor;
  private readonly options: Required<Omit<ConnectionOptions, 'WebSocket' | 'heartbeatIntervalMs'>> & { heartbeatIntervalMs?: number };
  private current: Link | undefined;
  private readonly dialing = new Set<Link>();
  private readonly requests: Requests;
  private readonly sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; wake(ok: boolean): void }>();
  private readonly deduper = new OverlapDeduper(OVERLAP_WINDOW_MS);
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private started = false;
  private stopped = false;
  private refreshing: Promise<void> | undefined;
  private reconnecting = false;
  /** A refresh is switching connections: frames wait for the new one. */
  private holding = false;

  protected constructor(options: ConnectionOptions) {
    super();
    if (typeof options?.url !== 'string' || options.url === '') throw new TypeError('url is required');
    new URL(options.url); // throws on a malformed URL now rather than on connect
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) {
      throw new TypeError('no WebSocket: this runtime has no global WebSocket (Node < 22); pass one, e.g. `WebSocket` from the ws package');
    }
    this.Ctor = Ctor;
    this.options = {
      url: options.url,
      reconnectWindowMs: options.reconnectWindowMs ?? 120_000,
      welcomeTimeoutMs: options.welcomeTimeoutMs ?? 10_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      reconnectDelayMs: options.reconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 15_000,
    };
    if (options.heartbeatIntervalMs !== undefined) this.options.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.requests = new Requests(this.options.requestTimeoutMs);
  }

  /** The connection's state; every change is also a `state` event. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The query of the `$connect` for purpose (PROTOCOL.md, "Connecting"). */
  protected abstract query(purpose: ConnectPurpose): Promise<Record<string, string>>;

  /** Called with every welcome, before its event (listeners keep their resume token). */
  protected welcomed(welcome: WelcomeMessage): void {
    this.sessionId = welcome.sessionId;
  }

  /** Called with every delivered frame, before its event. */
  protected observe(_msg: Record<string, unknown>): void {}

  /**
   * Called when the service refuses a resumption for good; returning true
   * retries at once with whatever the subclass changed (a listener drops a
   * resume token the service no longer takes).
   */
  protected recoverable(_err: ProtocolError): boolean {
    return false;
  }

  /**
   * Opens the connection and resolves with the service's welcome. A refused
   * connection rejects with a ProtocolError carrying the protocol's code
   * (in browsers only CONNECTION_FAILED: see the README).
   */
  async connect(): Promise<Welcome> {
    if (this.started) throw new Error('connect() was already called; create a new client to connect again');
    this.started = true;
    this.setState('connecting');
    try {
      const { link, welcome } = await this.open('first');
      if (this.stopped) {
        link.retire(1000, 'client closed');
        throw closedError();
      }
      this.adopt(link, welcome);
      return welcome as unknown as Welcome;
    } catch (err) {
      const closedMeanwhile = this.stopped;
      this.shutDown();
      throw closedMeanwhile ? closedError() : err;
    }
  }

  /** Closes with 1000 and stops every timer. For a speaker this ends the session (PROTOCOL.md, "Deliberate end"). */
  close(): void {
    this.shutDown();
  }

  /** Sends getSessionStatus and resolves with the answer. */
  getStatus(): Promise<SessionStatus> {
    return this.request({ action: 'getSessionStatus' }, 'sessionStatus');
  }

  /**
   * Sends frame and resolves with the next message of type answer; an
   * `error` message on the same connection while this is the oldest request
   * sent there rejects it instead (the protocol carries no request id, so
   * answers are matched by type and order). While reconnecting, or while a
   * refresh switches connections, the frame waits for the new connection.
   */
  protected request<T>(frame: object, answer: string): Promise<T> {
    if (this.stopped || !this.started) {
      return Promise.reject(new ProtocolError('NOT_CONNECTED', 'the client is not connected'));
    }
    const answered = this.requests.expect<T>(frame, answer);
    this.send(frame, 'always');
    return answered;
  }

  /**
   * Sends frame now if it can. Otherwise it queues it for the next
   * connection: always (requests), or only while a refresh is switching
   * connections (audio: lost during a drop anyway, but not to be lost to a
   * refresh). Frames wait during a refresh because the service refuses a
   * speaker's requests on the old connection once the new one is admitted.
   */
  protected send(frame: object, queue: 'always' | 'during refresh'): boolean {
    const link = this.current;
    if (this.stateValue === 'open' && !this.holding && link?.send(frame)) {
      this.requests.sent(frame, link);
      return true;
    }
    const queueing = queue === 'always' || (this.holding && this.stateValue === 'open');
    return queueing && !this.stopped && this.requests.queue(frame);
  }

  private flush(): void {
    for (const frame of this.requests.takeQueued()) this.send(frame, 'always');
  }

  private setState(state: ConnectionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  private async open(purpose: ConnectPurpose): Promise<Dialed> {
    let query: Record<string, string>;
    try {
      query = await this.query(purpose);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('CONNECTION_FAILED', `could not prepare the connection: ${String(err)}`, { cause: err });
    }
    if (this.stopped) throw closedError();
    return dial(this.Ctor, this.options.url, query, this.options.welcomeTimeoutMs, {
      frame: (link, msg) => this.receive(link, msg),
      closed: (link) => this.linkClosed(link),
    }, this.dialing);
  }

  /** Makes link the connection: its welcome and early frames are delivered, the previous one is closed with 1000. */
  private adopt(link: Link, welcome: Record<string, unknown>): void {
    const previous = this.current;
    this.current = link;
    this.holding = false;
    const w = welcome as unknown as WelcomeMessage;
    const announced = typeof w.heartbeatIntervalSeconds === 'number' && w.heartbeatIntervalSeconds > 0 ? w.heartbeatIntervalSeconds * 1000 : DEFAULT_HEARTBEAT_MS;
    this.heartbeatMs = this.options.heartbeatIntervalMs ?? announced;
    this.deliver(link, welcome);
    for (const msg of link.early.splice(0)) this.receive(link, msg);
    if (previous !== undefined && previous !== link) {
      this.deduper.end(Date.now());
      previous.retire(1000, 'connection refreshed');
    }
    if (this.stopped || this.current !== link) return; // the welcome ended the session
    this.scheduleHeartbeat(link);
    this.setState('open');
    this.flush();
  }

  private receive(link: Link, msg: Record<string, unknown>): void {
    if (!link.delivering || this.stopped) return;
    if (this.deduper.isCopy(link.id, msg, Date.now())) return;
    this.deliver(link, msg);
  }

  private deliver(link: Link, msg: Record<string, unknown>): void {
    const type = msg.type;
    if (type === 'sessionCreated' || type === 'sessionJoined' || type === 'connectionRefreshComplete') {
      this.welcomed(msg as unknown as WelcomeMessage);
    }
    this.observe(msg);
    if (type === 'error') {
      const err = errorFromMessage(msg);
      if (!this.requests.refuse(err, link)) this.emit('error', err);
      this.emit('message', msg as ClientEvents['message']);
      return;
    }
    if (typeof type === 'string') {
      this.requests.answer(type, msg);
      if (type !== 'state' && type !== 'message') {
        this.emit(type as keyof ClientEvents, msg as never);
      }
    }
    this.emit('message', msg as ClientEvents['message']);
    if (type === 'sessionEnded') {
      this.shutDown();
    } else if (link === this.current && (type === 'connectionRefreshRequired' || type === 'connectionWarning')) {
      // A warning means the wall is near and no refresh has happened yet.
      void this.refresh(link);
    }
  }

  private scheduleHeartbeat(link: Link): void {
    clearTimeout(link.heartbeatTimer);
    const delay = this.heartbeatMs * (1 + HEARTBEAT_JITTER * Math.random());
    link.heartbeatTimer = setTimeout(() => this.beat(link), delay);
  }

  /** Sends a heartbeat, or gives the link up when the previous one got no frame back in a whole period. */
  private beat(link: Link): void {
    if (link !== this.current || this.stopped) return;
    const sentAt = Date.now();
    link.heartbeatSentAt = sentAt;
    link.send({ action: 'heartbeat' });
    if (link.answerTimer === undefined) {
      link.answerTimer = setTimeout(() => {
        link.answerTimer = undefined;
        if (link === this.current && !this.stopped && link.lastReceivedAt < sentAt) this.abandon(link);
      }, this.options.heartbeatTimeoutMs);
    }
    this.scheduleHeartbeat(link);
  }

  /** Gives up a connection that went silent: no close frame will come, so none is waited for. */
  private abandon(link: Link): void {
    link.delivering = false;
    link.retire(CLOSE_ABANDONED, 'heartbeat unanswered');
    this.current = undefined;
    this.requests.requeue(link);
    this.dropped();
  }

  private linkClosed(link: Link): void {
    if (this.stopped) return;
    this.requests.requeue(link);
    if (link !== this.current) {
      this.flush(); // a refreshed socket: what it still owed goes to the new one
      return;
    }
    this.current = undefined;
    if (link.retired) {
      this.shutDown();
      return;
    }
    this.dropped();
  }

  /** The connection was lost without a deliberate close: resume it. */
  private dropped(): void {
    if (this.stopped || this.reconnecting) return;
    this.reconnecting = true;
    this.setState('reconnecting');
    void this.reconnect().finally(() => {
      this.reconnecting = false;
    });
  }

  private async reconnect(): Promise<void> {
    const deadline = Date.now() + this.options.reconnectWindowMs;
    let lastError: ProtocolError | undefined;
    if (this.refreshing !== undefined) await this.refreshing;
    for (let attempt = 0; !this.stopped && this.current === undefined; attempt++) {
      let delay = this.backoff(attempt);
      const retryAfter = lastError?.details?.retryAfter;
      if (typeof retryAfter === 'number') delay = Math.max(delay, retryAfter * 1000);
      if (Date.now() + delay > deadline) break;
      if (!(await this.sleep(delay))) return;
      try {
        const { link, welcome } = await this.open('resume');
        if (this.stopped) {
          link.retire(1000, 'client closed');
          return;
        }
        this.adopt(link, welcome);
        return;
      } catch (err) {
        lastError = asProtocolError(err);
        if (!lastError.retryable && this.recoverable(lastError)) {
          attempt = -1; // the backoff starts over: the next try goes almost at once
        } else if (!lastError.retryable) {
          this.emit('error', lastError);
          this.shutDown();
          return;
        }
      }
    }
    if (this.stopped || this.current !== undefined) return;
    const seconds = Math.round(this.options.reconnectWindowMs / 1000);
    this.emit('error', new ProtocolError('CONNECTION_LOST', `could not resume the connection within ${seconds} s`, { cause: lastError }));
    this.shutDown();
  }

  /** Exponential backoff with "equal jitter": half the step fixed, half random. The first try is nearly at once. */
  private backoff(attempt: number): number {
    const step = Math.min(this.options.maxReconnectDelayMs, this.options.reconnectDelayMs * 2 ** attempt);
    if (attempt === 0) return Math.random() * this.options.reconnectDelayMs;
    return step / 2 + (Math.random() * step) / 2;
  }

  /** Opens the replacement connection the service asked for; the old one stays until the new one is welcomed. */
  private refresh(old: Link): Promise<void> {
    if (this.refreshing === undefined) {
      this.refreshing = this.replace(old).finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  private async replace(old: Link): Promise<void> {
    this.deduper.begin();
    try {
      for (let attempt = 0; !this.stopped && this.current === old; attempt++) {
        this.holding = true;
        // Requests already sent must be answered before the new connection
        // is admitted: the service refuses a speaker's requests on the old
        // connection from then on.
        await this.drain(old);
        try {
          const { link, welcome } = await this.open('refresh');
          if (this.stopped || (this.current !== old && this.current !== undefined)) {
            link.retire(1000, 'not needed');
            return;
          }
          this.adopt(link, welcome);
          return;
        } catch (err) {
          this.holding = false;
          this.flush(); // what waited goes out on the old connection
          const e = asProtocolError(err);
          if (!e.retryable) {
            this.emit('error', e);
            return;
          }
          // Keep trying while the old connection lives; once it drops, reconnect() takes over.
          if (!(await this.sleep(this.backoff(attempt + 1)))) return;
        }
      }
    } finally {
      this.deduper.end(Date.now());
      if (this.holding) {
        this.holding = false;
        this.flush();
      }
    }
  }

  /** Waits (up to DRAIN_MS) until no request sent on link waits for its answer. */
  private async drain(link: Link): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (this.requests.waitingOn(link) && Date.now() < deadline) {
      if (!(await this.sleep(20))) return;
    }
  }

  /** Resolves true after ms, or false at once when the client is closed. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve(true);
        }, ms),
        wake: resolve,
      };
      this.sleeps.add(entry);
    });
  }

  /** Stops everything: sockets closed with 1000, timers cleared, waiting requests rejected. */
  private shutDown(): void {
    if (this.stopped) return;
    this.stopped = true;
    const links = [...this.dialing];
    if (this.current !== undefined) links.push(this.current);
    this.current = undefined;
    for (const link of links) {
      link.delivering = false;
      link.retire(1000, 'client closed');
    }
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.wake(false);
    }
    this.sleeps.clear();
    this.requests.rejectAll(closedError());
    this.setState('closed');
  }
}

function closedError(): ProtocolError {
  return new ProtocolError('CLOSED', 'the client was closed');
}

function asProtocolError(err: unknown): ProtocolError {
  return err instanceof ProtocolError ? err : new ProtocolError('CONNECTION_FAILED', String(err), { cause: err });
}
