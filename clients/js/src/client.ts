import { type Clock, clockOf } from './clock.js';
import { Emitter } from './emitter.js';
import { errorFromMessage, ProtocolError } from './errors.js';
import { Requests } from './requests.js';
import type { ClientEvents, ConnectionState, SessionStatus, WelcomeMessage } from './messages.js';
import { CLOSE_ABANDONED, dial, type Dialed, Link, type WebSocketConstructor } from './socket.js';
import { STATE_TYPES, StateOrder } from './versions.js';

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
  /**
   * The time source: timestamps and timers (heartbeats, backoff, timeouts,
   * the audio reorder window). Each missing part is the runtime's own. For
   * tests on a fake clock, and apps with their own scheduler.
   */
  clock?: Partial<Clock>;
  /** Numbers in [0, 1) for the jitter of heartbeats and backoff, and request ids; default Math.random. */
  random?: () => number;
}

/** What to open: the first connection, a refresh of a live one, or a resumption after a drop. */
export type ConnectPurpose = 'first' | 'refresh' | 'resume';

const DEFAULT_HEARTBEAT_MS = 30_000;
/** Heartbeats go out between 1.0 and 1.1 periods apart: never faster than announced, because the service counts them per minute. */
const HEARTBEAT_JITTER = 0.1;
/**
 * Replies to one connection's own requests and messages about that
 * connection: never sent to two connections, so never copies. Everything else
 * is a broadcast, which a refresh overlap delivers on both connections.
 */
const PER_CONNECTION: ReadonlySet<string> = new Set([
  'sessionCreated',
  'sessionJoined',
  'connectionRefreshComplete',
  'heartbeatAck',
  'sessionStatus',
  'connectionWarning',
  'connectionRefreshRequired',
  'languageChanged',
  'error',
]);
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
  private readonly options: Required<Omit<ConnectionOptions, 'WebSocket' | 'heartbeatIntervalMs' | 'clock' | 'random'>> & { heartbeatIntervalMs?: number };
  /** The injected (or the runtime's) clock; subclasses time with it too. */
  protected readonly clock: Clock;
  private readonly random: () => number;
  private current: Link | undefined;
  /**
   * The connection whose broadcasts without an ordering number (from a v1.1
   * service) reach the application: across a refresh the old one until it
   * has closed, then the new one.
   */
  private speaking: Link | undefined;
  private readonly dialing = new Set<Link>();
  private readonly requests: Requests;
  private readonly sleeps = new Set<{ timer: unknown; wake(ok: boolean): void }>();
  private readonly order = new StateOrder();
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
    this.clock = clockOf(options.clock);
    this.random = options.random ?? Math.random;
    this.requests = new Requests(this.options.requestTimeoutMs, this.clock, this.random);
  }

  /** The stateVersion of the last state change applied (v1.2); undefined before the first, or from a v1.1 service. */
  get stateVersion(): number | undefined {
    return this.order.version;
  }

  /** The connection's state; every change is also a `state` event. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The query of the `$connect` for purpose (docs/PROTOCOL.md, "Connecting"). */
  protected abstract query(purpose: ConnectPurpose): Promise<Record<string, string>>;

  /** Called with every welcome, before its event (listeners keep their resume token). */
  protected welcomed(welcome: WelcomeMessage): void {
    this.sessionId = welcome.sessionId;
  }

  /** Called with every delivered frame, before its event. */
  protected observe(_msg: Record<string, unknown>): void {}

  /**
   * Hands an audioData frame to the application. A listener overrides it to
   * put chunks in sequence order first (its reorder window).
   */
  protected deliverAudio(msg: Record<string, unknown>): void {
    this.emitMessage(msg);
  }

  /** The session ended or the client closes: a subclass lets go of what it holds (a listener flushes its audio). */
  protected ending(_flush: boolean): void {}

  /** Emits msg's own event and the `message` event. */
  protected emitMessage(msg: Record<string, unknown>): void {
    const type = msg.type;
    if (typeof type === 'string' && type !== 'state' && type !== 'message' && type !== 'error') {
      this.emit(type as keyof ClientEvents, msg as never);
    }
    this.emit('message', msg as ClientEvents['message']);
  }

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

  /** Closes with 1000 and stops every timer. For a speaker this ends the session (docs/PROTOCOL.md, "Deliberate end"). */
  close(): void {
    this.shutDown();
  }

  /** Sends getSessionStatus and resolves with the answer. */
  getStatus(): Promise<SessionStatus> {
    return this.request({ action: 'getSessionStatus' }, 'sessionStatus');
  }

  /**
   * Sends frame with a fresh requestId and resolves with its answer, a
   * message of type answer (see Requests for how a reply is matched: by the
   * echoed id from a v1.2 service, by type and order from a v1.1 one; byType
   * for an answer that is a broadcast). While reconnecting, or while a
   * refresh switches connections, the frame waits for the new connection.
   */
  protected request<T>(frame: Record<string, unknown>, answer: string, byType = false): Promise<T> {
    if (this.stopped || !this.started) {
      return Promise.reject(new ProtocolError('NOT_CONNECTED', 'the client is not connected'));
    }
    const answered = this.requests.expect<T>(frame, answer, byType);
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
  protected send(frame: Record<string, unknown>, queue: 'always' | 'during refresh'): boolean {
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
    }, this.dialing, this.clock);
  }

  /** Makes link the connection: its welcome and early frames are delivered, the previous one is closed with 1000. */
  private adopt(link: Link, welcome: Record<string, unknown>): void {
    const previous = this.current;
    this.current = link;
    if (previous === undefined || previous === link || !previous.open) this.speaking = link;
    this.holding = false;
    const w = welcome as unknown as WelcomeMessage;
    const announced = typeof w.heartbeatIntervalSeconds === 'number' && w.heartbeatIntervalSeconds > 0 ? w.heartbeatIntervalSeconds * 1000 : DEFAULT_HEARTBEAT_MS;
    this.heartbeatMs = this.options.heartbeatIntervalMs ?? announced;
    this.deliver(link, welcome);
    for (const msg of link.early.splice(0)) {
      if (!this.stopped) this.deliver(link, msg);
    }
    if (previous !== undefined && previous !== link) previous.retire(1000, 'connection refreshed');
    if (this.stopped || this.current !== link) return; // the welcome ended the session
    this.scheduleHeartbeat(link);
    this.setState('open');
    this.flush();
  }

  private receive(link: Link, msg: Record<string, unknown>): void {
    if (!link.delivering || this.stopped) return;
    this.deliver(link, msg);
  }

  /**
   * Whether a broadcast is to reach the application. With an ordering number
   * (a state message's stateVersion, a chunk's sequence) the number decides,
   * whichever connection it came on. Without one (a v1.1 service) there is
   * no telling a copy from a second, identical change, so during a refresh
   * overlap exactly one connection speaks: the old one until it has closed
   * (a v1.1 service sends it everything until then), the new one after.
   */
  private admit(link: Link, type: string, msg: Record<string, unknown>): boolean {
    if (PER_CONNECTION.has(type)) return true;
    if (STATE_TYPES.has(type) && typeof msg.stateVersion === 'number') return this.order.admit(type, msg.stateVersion);
    if (type === 'audioData' && typeof msg.sequence === 'number') return true; // ordered by the listener's reorder window
    return link === this.speaking;
  }

  private deliver(link: Link, msg: Record<string, unknown>): void {
    const type = msg.type;
    if (typeof type !== 'string') {
      this.emit('message', msg as ClientEvents['message']);
      return;
    }
    if (type === 'error') {
      this.refusal(link, errorFromMessage(msg));
      this.emit('message', msg as ClientEvents['message']);
      return;
    }
    // A reply resolves its request even when the change it reports was
    // already applied from another connection's copy.
    this.requests.answer(msg);
    if (!this.admit(link, type, msg)) return;
    if (type === 'sessionCreated' || type === 'sessionJoined' || type === 'connectionRefreshComplete') {
      this.welcomed(msg as unknown as WelcomeMessage);
    }
    this.observe(msg);
    if (type === 'sessionEnded') this.ending(true); // the audio held for ordering goes out before the end
    if (type === 'audioData') this.deliverAudio(msg);
    else this.emitMessage(msg);
    if (type === 'sessionEnded') {
      this.shutDown();
    } else if (link === this.current && (type === 'connectionRefreshRequired' || type === 'connectionWarning')) {
      // A warning means the wall is near and no refresh has happened yet.
      void this.refresh(link);
    }
  }

  /**
   * An `error` rejects the request it refuses. A speaker's request that met
   * the old connection after the service admitted the new one is refused
   * FORBIDDEN there: that only says "wrong connection", so it goes again
   * (same requestId) on the new one, once.
   */
  private refusal(link: Link, err: ProtocolError): void {
    const waiter = this.requests.refused(err, link);
    if (waiter === undefined) {
      this.emit('error', err);
      return;
    }
    const oldConnection = link !== this.current || this.refreshing !== undefined;
    if (err.code === 'FORBIDDEN' && oldConnection && this.requests.resend(waiter)) {
      if (!this.holding) this.flush();
      return;
    }
    this.requests.reject(waiter, err);
  }

  private scheduleHeartbeat(link: Link): void {
    if (link.heartbeatTimer !== undefined) this.clock.clearTimeout(link.heartbeatTimer);
    const delay = this.heartbeatMs * (1 + HEARTBEAT_JITTER * this.random());
    link.heartbeatTimer = this.clock.setTimeout(() => this.beat(link), delay);
  }

  /** Sends a heartbeat, or gives the link up when the previous one got no frame back in a whole period. */
  private beat(link: Link): void {
    if (link !== this.current || this.stopped) return;
    const sentAt = this.clock.now();
    link.heartbeatSentAt = sentAt;
    link.send({ action: 'heartbeat', requestId: this.requests.newId() });
    if (link.answerTimer === undefined) {
      link.answerTimer = this.clock.setTimeout(() => {
        link.answerTimer = undefined;
        if (link === this.current && !this.stopped && link.lastReceivedAt < sentAt) this.abandon(link);
      }, this.options.heartbeatTimeoutMs);
    }
    this.scheduleHeartbeat(link);
  }

  /** Gives up a connection that went silent: no close frame will come, so none is waited for. */
  private abandon(link: Link): void {
    link.delivering = false;
    if (this.speaking === link) this.speaking = undefined;
    link.retire(CLOSE_ABANDONED, 'heartbeat unanswered');
    this.current = undefined;
    this.requests.requeue(link);
    this.dropped();
  }

  private linkClosed(link: Link): void {
    if (this.stopped) return;
    if (this.speaking === link) this.speaking = this.current === link ? undefined : this.current;
    this.requests.requeue(link);
    if (link !== this.current) {
      if (!this.holding) this.flush(); // a refreshed socket: what it still owed goes to the new one
      return;
    }
    this.current = undefined;
    if (link.retired) {
      this.shutDown();
      return;
    }
    // A v1.2 service closes the connection a refresh replaces, possibly
    // before the new one's welcome reaches us: the refresh in flight takes
    // over (and hands over to a reconnection if it fails).
    if (this.refreshing !== undefined) return;
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

  /**
   * Tries to resume until the window has passed since the drop: the backoff
   * is cut short so the last attempt starts at the window's end, not given up
   * because the next step would overshoot it. A retryAfter that reaches past
   * the window is waited out to its end, then the client gives up.
   */
  private async reconnect(): Promise<void> {
    const deadline = this.clock.now() + this.options.reconnectWindowMs;
    let lastError: ProtocolError | undefined;
    if (this.refreshing !== undefined) await this.refreshing;
    for (let attempt = 0; !this.stopped && this.current === undefined; attempt++) {
      const left = deadline - this.clock.now();
      if (left <= 0) break;
      let delay = Math.min(this.backoff(attempt), left);
      const retryAfter = lastError?.details?.retryAfter;
      if (typeof retryAfter === 'number' && retryAfter * 1000 > delay) {
        if (retryAfter * 1000 > left) {
          if (!(await this.sleep(left))) return;
          break;
        }
        delay = retryAfter * 1000;
      }
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
    if (attempt === 0) return this.random() * this.options.reconnectDelayMs;
    return step / 2 + (this.random() * step) / 2;
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
    try {
      for (let attempt = 0; !this.stopped && this.current === old; attempt++) {
        this.holding = true;
        // Requests already sent must be answered before the new connection
        // is admitted: the service refuses a speaker's requests on the old
        // connection from then on.
        await this.drain(old);
        try {
          const { link, welcome } = await this.open('refresh');
          // The old connection may have closed meanwhile (a v1.2 service closes it once the new one is admitted).
          if (this.stopped || (this.current !== old && this.current !== undefined)) {
            link.retire(1000, 'not needed');
            return;
          }
          this.adopt(link, welcome);
          return;
        } catch (err) {
          this.holding = false;
          if (this.current === undefined) return; // the old one is gone too: a reconnection takes over (finally)
          this.flush(); // what waited goes out on the old connection
          const e = asProtocolError(err);
          if (!e.retryable && this.recoverable(e)) continue; // e.g. a listener's refused token: again at once without it
          if (!e.retryable) {
            this.emit('error', e);
            return;
          }
          // Keep trying while the old connection lives; once it drops, reconnect() takes over.
          if (!(await this.sleep(this.backoff(attempt + 1)))) return;
        }
      }
    } finally {
      if (this.holding) {
        this.holding = false;
        this.flush();
      }
      if (!this.stopped && this.current === undefined && !this.reconnecting) {
        // The old connection closed during the refresh and no new one took over.
        queueMicrotask(() => this.dropped());
      }
    }
  }

  /** Waits (up to DRAIN_MS) until no request sent on link waits for its answer. */
  private async drain(link: Link): Promise<void> {
    const deadline = this.clock.now() + DRAIN_MS;
    while (this.requests.waitingOn(link) && this.clock.now() < deadline) {
      if (!(await this.sleep(20))) return;
    }
  }

  /** Resolves true after ms, or false at once when the client is closed. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        timer: this.clock.setTimeout(() => {
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
    this.ending(false);
    for (const s of this.sleeps) {
      this.clock.clearTimeout(s.timer);
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
