// A fake clock and a fake service behind fake sockets: the library's timing
// and its refresh overlaps, tested in milliseconds of fake time, no server.
import type { Clock, WebSocketConstructor, WebSocketLike } from '@livecast/sessions-client';

/** Lets every promise chain that can run, run (a macrotask: all microtasks before it are done). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Timer {
  id: number;
  at: number;
  order: number;
  fn: () => void;
}

/** A clock whose time moves only when the test says so. */
export class FakeClock implements Clock {
  private t = 1_764_300_000_000;
  private timers: Timer[] = [];
  private nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms || 0), order: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing every timer due on the way in order, settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Advances in steps until check holds; throws after limitMs of fake time. */
  async until(what: string, check: () => boolean, limitMs = 60_000, stepMs = 10): Promise<void> {
    const start = this.t;
    while (!check()) {
      if (this.t - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
  }
}

/** A seeded PRNG (mulberry32): the same run every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Frame = Record<string, unknown>;

/** One fake WebSocket: the client's end; the test (or FakeService) drives the other. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** Frames the client sent, parsed. */
  readonly sent: Frame[] = [];
  readonly query: URLSearchParams;
  /** The close code the client gave, when it closed. */
  closedWith: number | undefined;
  /** Called with every frame the client sends. */
  onSend: ((frame: Frame) => void) | undefined;

  constructor(readonly url: string, private readonly clock: Clock) {
    this.query = new URL(url).searchParams;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const frame = JSON.parse(data) as Frame;
    this.sent.push(frame);
    this.onSend?.(frame);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedWith = code;
    this.readyState = 2;
    // The close handshake completes later, as on a real socket.
    this.clock.setTimeout(() => this.closed(code ?? 1005, reason ?? ''), 1);
  }

  // The far end.

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** Delivers msg (a timestamp is added) to the client. */
  deliver(msg: Frame): void {
    if (this.readyState !== 1 && this.readyState !== 2) return;
    this.onmessage?.({ data: JSON.stringify({ timestamp: this.clock.now(), ...msg }) });
  }

  /** The connection ends (1006: dropped without a close frame). */
  closed(code = 1006, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The upgrade fails, as a refused or unreachable connection does. */
  fail(): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '' });
  }
}

/** A WebSocket constructor whose sockets the test sees, and a hook for each new one. */
export function fakeNetwork(clock: Clock, onDial?: (s: FakeSocket) => void): { WebSocket: WebSocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class Socket extends FakeSocket {
    constructor(url: string) {
      super(url, clock);
      sockets.push(this);
      onDial?.(this);
    }
  }
  return { WebSocket: Socket as unknown as WebSocketConstructor, sockets };
}

/** A service connection as FakeService sees it. */
interface Conn {
  socket: FakeSocket;
  role: 'speaker' | 'listener';
  /** A listener's seat (its resume token names it). */
  seat: number;
  /** When the last frame to it is delivered: per-connection order, as TCP keeps it. */
  lastDelivery: number;
  lastReceipt: number;
  open: boolean;
}

export interface FakeServiceOptions {
  clock: FakeClock;
  random: () => number;
  /** Delivery delay of each frame, either way (ms); per connection frames keep their order. */
  latencyMs?: () => number;
  /** How long a refresh's welcome takes after the new connection is admitted (the slowed handshake of issue 19). */
  handshakeMs?: () => number;
  /** v1.2: the service closes the connection a refresh replaced, this long after admitting the new one; undefined: never. */
  closeReplacedAfterMs?: () => number;
  /** Put stateVersion and echo requestId (v1.2); false: a v1.1 service. */
  v12?: boolean;
}

/** One change of the broadcast the service applied, in its order. */
export interface Applied {
  version: number;
  paused: boolean;
  requestId: string | undefined;
}

/**
 * A model of the service for one session: speaker controls with their
 * stateVersion, replies echoing requestId, the refresh overlap (a new
 * connection is admitted at once and gets every broadcast, its welcome comes
 * after the handshake; the old speaker connection is refused FORBIDDEN from
 * then on, as the real store refuses it), and latency that lets the two
 * connections' frames interleave in any order.
 */
export class FakeService {
  readonly net: { WebSocket: WebSocketConstructor; sockets: FakeSocket[] };
  readonly applied: Applied[] = [];
  readonly conns: Conn[] = [];
  readonly sessionId = 'faithful-shepherd-427';
  private version = 0;
  private paused = false;
  private volume = 1;
  private speaker: Conn | undefined;
  private seats = 0;
  private readonly o: Required<Omit<FakeServiceOptions, 'closeReplacedAfterMs'>> & Pick<FakeServiceOptions, 'closeReplacedAfterMs'>;

  constructor(options: FakeServiceOptions) {
    this.o = { latencyMs: () => 1, handshakeMs: () => 5, v12: true, ...options };
    this.net = fakeNetwork(options.clock, (s) => this.dialed(s));
  }

  private get clock(): FakeClock {
    return this.o.clock;
  }

  /** Open connections of role. */
  open(role: 'speaker' | 'listener'): Conn[] {
    return this.conns.filter((c) => c.role === role && c.open);
  }

  /** Asks conn's client to refresh, as the service does before the wall. */
  askRefresh(conn: Conn): void {
    this.post(conn, {
      type: 'connectionRefreshRequired',
      sessionId: this.sessionId,
      role: conn.role,
      ...(conn.role === 'listener' ? { targetLanguage: 'es' } : {}),
      message: 'refresh',
    });
  }

  /** Sends msg to conn after the latency, after everything sent to it before. */
  post(conn: Conn, msg: Frame): void {
    const at = Math.max(conn.lastDelivery, this.clock.now() + this.o.latencyMs());
    conn.lastDelivery = at;
    this.clock.setTimeout(() => {
      if (conn.open) conn.socket.deliver(msg);
    }, at - this.clock.now());
  }

  private dialed(socket: FakeSocket): void {
    const q = socket.query;
    const action = q.get('action');
    const role = action === 'createSession' || q.get('role') === 'speaker' ? 'speaker' : 'listener';
    const token = q.get('resumeToken');
    const seat = role === 'listener' ? (token !== null ? Number(token.split('.')[0]) : ++this.seats) : 0;
    const conn: Conn = { socket, role, seat, lastDelivery: 0, lastReceipt: 0, open: true };
    socket.onSend = (frame) => {
      const at = Math.max(conn.lastReceipt, this.clock.now() + this.o.latencyMs());
      conn.lastReceipt = at;
      this.clock.setTimeout(() => {
        if (conn.open) this.handle(conn, frame);
      }, at - this.clock.now());
    };
    const closedByClient = socket.close.bind(socket);
    socket.close = (code, reason) => {
      conn.open = false;
      closedByClient(code, reason);
    };
    this.clock.setTimeout(() => socket.open(), 1);
    // Admitted now: broadcasts reach it from here on; a new speaker connection replaces the old one at once.
    const replaced = role === 'speaker' ? this.speaker : this.conns.find((c) => c.open && c.role === 'listener' && c.seat === seat);
    this.conns.push(conn);
    if (role === 'speaker') this.speaker = conn;
    const welcome = this.welcome(action, role, seat, token);
    const handshake = action === 'refreshConnection' ? this.o.handshakeMs() : 1;
    conn.lastDelivery = this.clock.now() + handshake;
    this.clock.setTimeout(() => {
      if (conn.open) socket.deliver(welcome);
    }, handshake);
    if (replaced !== undefined && this.o.closeReplacedAfterMs !== undefined) {
      this.clock.setTimeout(() => {
        if (!replaced.open) return;
        replaced.open = false;
        replaced.socket.closed(1000, 'replaced');
      }, this.o.closeReplacedAfterMs());
    }
  }

  private welcome(action: string | null, role: string, seat: number, token: string | null): Frame {
    const resumeToken = `${seat}.${this.clock.now()}.${Math.floor(this.o.random() * 1e9)}`;
    void token;
    if (action === 'createSession') {
      return {
        type: 'sessionCreated', sessionId: this.sessionId, sourceLanguage: 'en', qualityTier: 'standard', connectionId: 'c', expiresAt: this.clock.now() + 7_200_000,
        partialResultsEnabled: true, minStabilityThreshold: 0.85, maxBufferTimeout: 5, heartbeatIntervalSeconds: 30,
      };
    }
    if (action === 'joinSession') {
      return { type: 'sessionJoined', sessionId: this.sessionId, targetLanguage: 'es', sourceLanguage: 'en', connectionId: 'c', listenerCount: 1, resumeToken, heartbeatIntervalSeconds: 30 };
    }
    return { type: 'connectionRefreshComplete', sessionId: this.sessionId, role, heartbeatIntervalSeconds: 30, ...(role === 'listener' ? { targetLanguage: 'es', resumeToken } : {}) };
  }

  private reply(conn: Conn, frame: Frame, msg: Frame): void {
    const id = this.o.v12 && typeof frame.requestId === 'string' ? { requestId: frame.requestId } : {};
    this.post(conn, { ...msg, ...id });
  }

  private handle(conn: Conn, frame: Frame): void {
    switch (frame.action) {
      case 'heartbeat':
        this.reply(conn, frame, { type: 'heartbeatAck' });
        return;
      case 'getSessionStatus':
        this.reply(conn, frame, {
          type: 'sessionStatus', sessionId: this.sessionId, isActive: true, listenerCount: 1, byLanguage: { es: 1 }, expiresAt: 0,
          broadcastState: { paused: this.paused, muted: false, volume: this.volume }, speakerConnected: true,
        });
        return;
      case 'speakerControl': {
        if (conn !== this.speaker) {
          this.reply(conn, frame, { type: 'error', code: 'FORBIDDEN', message: 'not the speaker connection', details: {} });
          return;
        }
        const was = this.paused;
        if (frame.control === 'pause') this.paused = true;
        if (frame.control === 'resume') this.paused = false;
        if (frame.control === 'volume') this.volume = frame.value as number;
        const v = this.o.v12 ? { stateVersion: ++this.version } : {};
        this.applied.push({ version: this.version, paused: this.paused, requestId: frame.requestId as string | undefined });
        const state = { type: 'broadcastState', sessionId: this.sessionId, paused: this.paused, muted: false, volume: this.volume, ...v };
        for (const l of this.open('listener')) {
          this.post(l, state);
          if (was !== this.paused) this.post(l, { type: this.paused ? 'sessionPaused' : 'sessionResumed', sessionId: this.sessionId, ...v });
        }
        this.reply(conn, frame, state);
        return;
      }
      default:
        this.reply(conn, frame, { type: 'error', code: 'INVALID_ACTION', message: 'unknown action', details: {} });
    }
  }
}

/** A view of a clock that counts the timers set through it and not yet fired or cleared: what a client left behind. */
export function tracked(clock: Clock): Clock & { readonly live: number } {
  const live = new Set<unknown>();
  return {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      const h: unknown = clock.setTimeout(() => {
        live.delete(h);
        fn();
      }, ms);
      live.add(h);
      return h;
    },
    clearTimeout(h) {
      live.delete(h);
      clock.clearTimeout(h);
    },
    get live() {
      return live.size;
    },
  };
}
