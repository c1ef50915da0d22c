// src/clock.ts
var systemClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle)
};
function clockOf(partial) {
  if (partial === void 0) return systemClock;
  const c = partial;
  return {
    now: () => c.now !== void 0 ? c.now() : systemClock.now(),
    setTimeout: (fn, ms) => c.setTimeout !== void 0 ? c.setTimeout(fn, ms) : systemClock.setTimeout(fn, ms),
    clearTimeout: (handle) => c.clearTimeout !== void 0 ? c.clearTimeout(handle) : systemClock.clearTimeout(handle)
  };
}

// src/emitter.ts
function report(err) {
  setTimeout(() => {
    throw err;
  }, 0);
}
var Emitter = class {
  constructor() {
    this.handlers = /* @__PURE__ */ new Map();
  }
  /** Calls handler for every event; returns a function that stops it. */
  on(event, handler) {
    let set = this.handlers.get(event);
    if (set === void 0) {
      set = /* @__PURE__ */ new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
    return () => this.off(event, handler);
  }
  /** Calls handler for the next event only. */
  once(event, handler) {
    const off = this.on(event, (value) => {
      off();
      handler(value);
    });
    return off;
  }
  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
  }
  /** Whether anyone listens to event. */
  listens(event) {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }
  emit(event, value) {
    const set = this.handlers.get(event);
    if (set === void 0) return;
    for (const handler of [...set]) {
      try {
        handler(value);
      } catch (err) {
        report(err);
      }
    }
  }
};

// src/errors.ts
var ProtocolError = class extends Error {
  constructor(code, message, init = {}) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    if (init.details !== void 0) this.details = init.details;
    if (init.requestId !== void 0) this.requestId = init.requestId;
    if (init.status !== void 0) this.status = init.status;
    if (init.cause !== void 0) this.cause = init.cause;
  }
  /**
   * Whether trying the same thing again later may succeed. A refusal that
   * names the request as wrong (bad token, unknown session, bad language) will
   * not; an overloaded or unreachable service may.
   */
  get retryable() {
    return RETRYABLE.has(this.code);
  }
};
var RETRYABLE = /* @__PURE__ */ new Set([
  "RATE_LIMIT_EXCEEDED",
  "SESSION_FULL",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
  "CONNECTION_FAILED",
  "TIMEOUT"
]);
var SERVICE_CODE_TABLE = {
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
  INTERNAL_ERROR: true
};
var SERVICE_CODES = new Set(Object.keys(SERVICE_CODE_TABLE));
function isServiceErrorCode(code) {
  return typeof code === "string" && SERVICE_CODES.has(code);
}
function codeForStatus(status) {
  switch (status) {
    case 400:
      return "INVALID_PARAMETERS";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "SESSION_NOT_FOUND";
    case 429:
      return "RATE_LIMIT_EXCEEDED";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL_ERROR" : "CONNECTION_FAILED";
  }
}
function errorFromMessage(msg, status) {
  const code = isServiceErrorCode(msg.code) ? msg.code : status !== void 0 ? codeForStatus(status) : "INTERNAL_ERROR";
  const text = typeof msg.message === "string" && msg.message !== "" ? msg.message : `service error ${code}`;
  const init = {};
  if (msg.details !== null && typeof msg.details === "object") init.details = msg.details;
  if (typeof msg.requestId === "string") init.requestId = msg.requestId;
  if (status !== void 0) init.status = status;
  return new ProtocolError(code, text, init);
}

// src/requests.ts
var MAX_QUEUED = 1e3;
var ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
var Requests = class {
  constructor(timeoutMs, clock, random) {
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.waiters = [];
    this.queued = [];
    this.counter = 0;
    /** The service echoes requestId (v1.2): from now on a reply is matched by its id alone. */
    this.echoes = false;
    let p = "";
    for (let i = 0; i < 6; i++) p += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length) % ID_ALPHABET.length];
    this.prefix = `${p}-`;
  }
  /** Whether the service was seen echoing request ids (a v1.2 service). */
  get matchingById() {
    return this.echoes;
  }
  /** A fresh id: 1–64 characters of [A-Za-z0-9_-], as the protocol requires. */
  newId() {
    return `${this.prefix}${++this.counter}`;
  }
  /**
   * Gives frame a fresh requestId and resolves with its answer (a message of
   * type answer); rejects with TIMEOUT, withdrawing the frame, after timeoutMs.
   */
  expect(frame, answer, byType = false) {
    frame.requestId = this.newId();
    return new Promise((resolve, reject) => {
      const waiter = {
        id: frame.requestId,
        answer,
        byType,
        frame,
        sentOn: void 0,
        resent: false,
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.remove(waiter);
          this.queued = this.queued.filter((f) => f !== frame);
          reject(new ProtocolError("TIMEOUT", `no ${answer} within ${this.timeoutMs} ms`));
        }, this.timeoutMs)
      };
      this.waiters.push(waiter);
    });
  }
  /** Records that frame went out on link. */
  sent(frame, link) {
    const waiter = this.waiters.find((w) => w.frame === frame);
    if (waiter !== void 0) waiter.sentOn = link;
  }
  /** Whether id is one of this client's (an echo, not API Gateway's request id). */
  ours(id) {
    return typeof id === "string" && id.startsWith(this.prefix);
  }
  /**
   * Resolves the request msg answers: the one whose id it echoes, or (no
   * echo seen yet from this service) the oldest waiting for its type.
   * A message carrying stateVersion comes from a v1.2 service, which echoes
   * ids: from then on a reply without our id answers nothing (it is another
   * connection's copy of a broadcast).
   */
  answer(msg) {
    const type = msg.type;
    if (typeof type !== "string") return;
    if (this.ours(msg.requestId)) {
      this.echoes = true;
      const waiter2 = this.waiters.find((w) => w.id === msg.requestId);
      if (waiter2 !== void 0 && waiter2.answer === type) this.settle(waiter2).resolve(msg);
      return;
    }
    if (typeof msg.stateVersion === "number") this.echoes = true;
    const waiter = this.waiters.find((w) => w.answer === type && (w.byType || !this.echoes));
    if (waiter !== void 0) this.settle(waiter).resolve(msg);
  }
  /**
   * The request err (arriving on link) refuses: the one whose id it echoes,
   * else, from a service that does not echo ids, the oldest request sent on
   * link. Undefined when it refuses none of ours (then it is an error event).
   */
  refused(err, link) {
    if (this.ours(err.requestId)) {
      this.echoes = true;
      return this.waiters.find((w) => w.id === err.requestId);
    }
    if (this.echoes) return void 0;
    return this.waiters.find((w) => w.sentOn === link);
  }
  /** Rejects waiter with err. */
  reject(waiter, err) {
    if (this.waiters.includes(waiter)) this.settle(waiter).reject(err);
  }
  /** Sends waiter's frame again (same id) on the next connection, once. */
  resend(waiter) {
    if (waiter.resent || !this.waiters.includes(waiter)) return false;
    waiter.resent = true;
    waiter.sentOn = void 0;
    this.queued = [waiter.frame, ...this.queued];
    return true;
  }
  /** Whether a request sent on link still waits for its answer. */
  waitingOn(link) {
    return this.waiters.some((w) => w.sentOn === link);
  }
  /**
   * Requests sent on link, which is gone, lost their answers: they go to
   * the front of the queue to be sent again, with the same requestId. Every
   * request of the protocol can be repeated without harm (status, controls,
   * language, end).
   */
  requeue(link) {
    const again = this.waiters.filter((w) => w.sentOn === link);
    for (const w of again) w.sentOn = void 0;
    this.queued = [...again.map((w) => w.frame), ...this.queued];
  }
  /** Keeps frame for the next connection; false when the queue is full. */
  queue(frame) {
    if (this.queued.length >= MAX_QUEUED) return false;
    this.queued.push(frame);
    return true;
  }
  /** Empties the queue, oldest first. */
  takeQueued() {
    return this.queued.splice(0);
  }
  /** Rejects every waiting request with err and forgets every queued frame. */
  rejectAll(err) {
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    this.queued = [];
  }
  settle(waiter) {
    this.remove(waiter);
    return waiter;
  }
  remove(waiter) {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    this.clock.clearTimeout(waiter.timer);
  }
};

// src/socket.ts
var OPEN = 1;
var CLOSE_ABANDONED = 4e3;
var MAX_REFUSAL_BODY = 4096;
var nextLinkId = 1;
var Link = class {
  constructor(ws, clock) {
    this.ws = ws;
    this.clock = clock;
    this.id = nextLinkId++;
    /** Its welcome arrived: it belongs to the client. */
    this.welcomed = false;
    /** Its frames reach the application (false once abandoned). */
    this.delivering = true;
    /** We closed it on purpose; its close is not a drop. */
    this.retired = false;
    this.lastReceivedAt = 0;
    this.heartbeatSentAt = 0;
    /** Frames that arrived before the welcome. */
    this.early = [];
  }
  get open() {
    return this.ws.readyState === OPEN;
  }
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
  stopHeartbeat() {
    if (this.heartbeatTimer !== void 0) this.clock.clearTimeout(this.heartbeatTimer);
    if (this.answerTimer !== void 0) this.clock.clearTimeout(this.answerTimer);
    this.heartbeatTimer = void 0;
    this.answerTimer = void 0;
  }
  /** Closes on purpose: 1000 to leave, CLOSE_ABANDONED for a socket given up on. */
  retire(code, reason) {
    this.retired = true;
    this.stopHeartbeat();
    const node = this.ws;
    try {
      if (code === CLOSE_ABANDONED && this.open && typeof node.terminate === "function") {
        node.terminate();
      } else {
        this.ws.close(code, reason);
      }
    } catch {
    }
  }
};
function isWelcome(msg) {
  return msg.type === "sessionCreated" || msg.type === "sessionJoined" || msg.type === "connectionRefreshComplete";
}
function dial(Ctor, url, query, welcomeTimeoutMs, handlers, dialing, clock) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
    let ws;
    try {
      ws = new Ctor(target.toString());
    } catch (err) {
      reject(new ProtocolError("CONNECTION_FAILED", `cannot open ${target.origin}: ${String(err)}`, { cause: err }));
      return;
    }
    const link = new Link(ws, clock);
    dialing.add(link);
    let settled = false;
    let refusal;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      dialing.delete(link);
      reject(err);
    };
    const timer = clock.setTimeout(() => {
      link.retire(CLOSE_ABANDONED, "no welcome");
      fail(new ProtocolError("TIMEOUT", `no welcome from the service within ${welcomeTimeoutMs} ms`));
    }, welcomeTimeoutMs);
    const events = ws;
    events.onerror = () => {
      if (link.welcomed || refusal !== void 0) return;
      link.retire(1e3, "failed");
      fail(refusalError(void 0, 1006));
    };
    events.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg === null || typeof msg !== "object" || Array.isArray(msg)) return;
      const m = msg;
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
    const node = ws;
    if (typeof node.on === "function" && typeof node.terminate === "function") {
      node.on("unexpected-response", (req, res) => {
        const found = { status: res.statusCode ?? 0, body: "" };
        refusal = found;
        const stop = () => {
          req.destroy?.();
          node.terminate?.();
        };
        res.setEncoding?.("utf8");
        res.on("data", (chunk) => {
          if (found.body.length < MAX_REFUSAL_BODY) found.body += chunk;
        });
        res.on("end", stop);
        res.on("error", stop);
      });
    }
  });
}
function refusalError(refusal, closeCode) {
  if (refusal === void 0) {
    return new ProtocolError("CONNECTION_FAILED", `the connection closed before the service welcomed it (close ${closeCode})`);
  }
  try {
    const body = JSON.parse(refusal.body);
    if (body !== null && typeof body === "object" && !Array.isArray(body)) {
      return errorFromMessage(body, refusal.status);
    }
  } catch {
  }
  return new ProtocolError(codeForStatus(refusal.status), `the service refused the connection (HTTP ${refusal.status})`, {
    status: refusal.status
  });
}

// src/versions.ts
var STATE_TYPES = /* @__PURE__ */ new Set([
  "broadcastState",
  "sessionPaused",
  "sessionResumed",
  "speakerDisconnected",
  "speakerReconnected",
  "listenerCount",
  "sessionEnded"
]);
var StateOrder = class {
  constructor() {
    this.typesAtLast = /* @__PURE__ */ new Set();
  }
  /** The last version applied; undefined before the first. */
  get version() {
    return this.last;
  }
  /** Whether a message of type with this version is to be applied (and records it if so). */
  admit(type, version) {
    if (this.last === void 0 || version > this.last) {
      this.last = version;
      this.typesAtLast = /* @__PURE__ */ new Set([type]);
      return true;
    }
    if (version === this.last && !this.typesAtLast.has(type)) {
      this.typesAtLast.add(type);
      return true;
    }
    return false;
  }
};

// src/client.ts
var DEFAULT_HEARTBEAT_MS = 3e4;
var HEARTBEAT_JITTER = 0.1;
var PER_CONNECTION = /* @__PURE__ */ new Set([
  "sessionCreated",
  "sessionJoined",
  "connectionRefreshComplete",
  "heartbeatAck",
  "sessionStatus",
  "connectionWarning",
  "connectionRefreshRequired",
  "languageChanged",
  "error"
]);
var DRAIN_MS = 2e3;
var SessionConnection = class extends Emitter {
  constructor(options) {
    super();
    this.stateValue = "closed";
    this.dialing = /* @__PURE__ */ new Set();
    this.sleeps = /* @__PURE__ */ new Set();
    this.order = new StateOrder();
    this.heartbeatMs = DEFAULT_HEARTBEAT_MS;
    this.started = false;
    this.stopped = false;
    this.reconnecting = false;
    /** A refresh is switching connections: frames wait for the new one. */
    this.holding = false;
    if (typeof options?.url !== "string" || options.url === "") throw new TypeError("url is required");
    new URL(options.url);
    const Ctor = options.WebSocket ?? globalThis.WebSocket;
    if (Ctor === void 0) {
      throw new TypeError("no WebSocket: this runtime has no global WebSocket (Node < 22); pass one, e.g. `WebSocket` from the ws package");
    }
    this.Ctor = Ctor;
    this.options = {
      url: options.url,
      reconnectWindowMs: options.reconnectWindowMs ?? 12e4,
      welcomeTimeoutMs: options.welcomeTimeoutMs ?? 1e4,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 1e4,
      requestTimeoutMs: options.requestTimeoutMs ?? 1e4,
      reconnectDelayMs: options.reconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 15e3
    };
    if (options.heartbeatIntervalMs !== void 0) this.options.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.clock = clockOf(options.clock);
    this.random = options.random ?? Math.random;
    this.requests = new Requests(this.options.requestTimeoutMs, this.clock, this.random);
  }
  /** The stateVersion of the last state change applied (v1.2); undefined before the first, or from a v1.1 service. */
  get stateVersion() {
    return this.order.version;
  }
  /** The connection's state; every change is also a `state` event. */
  get state() {
    return this.stateValue;
  }
  /** Called with every welcome, before its event (listeners keep their resume token). */
  welcomed(welcome) {
    this.sessionId = welcome.sessionId;
  }
  /** Called with every delivered frame, before its event. */
  observe(_msg) {
  }
  /**
   * Hands an audioData frame to the application. A listener overrides it to
   * put chunks in sequence order first (its reorder window).
   */
  deliverAudio(msg) {
    this.emitMessage(msg);
  }
  /** The session ended or the client closes: a subclass lets go of what it holds (a listener flushes its audio). */
  ending(_flush) {
  }
  /** Emits msg's own event and the `message` event. */
  emitMessage(msg) {
    const type = msg.type;
    if (typeof type === "string" && type !== "state" && type !== "message" && type !== "error") {
      this.emit(type, msg);
    }
    this.emit("message", msg);
  }
  /**
   * Called when the service refuses a resumption for good; returning true
   * retries at once with whatever the subclass changed (a listener drops a
   * resume token the service no longer takes).
   */
  recoverable(_err) {
    return false;
  }
  /**
   * Opens the connection and resolves with the service's welcome. A refused
   * connection rejects with a ProtocolError carrying the protocol's code
   * (in browsers only CONNECTION_FAILED: see the README).
   */
  async connect() {
    if (this.started) throw new Error("connect() was already called; create a new client to connect again");
    this.started = true;
    this.setState("connecting");
    try {
      const { link, welcome } = await this.open("first");
      if (this.stopped) {
        link.retire(1e3, "client closed");
        throw closedError();
      }
      this.adopt(link, welcome);
      return welcome;
    } catch (err) {
      const closedMeanwhile = this.stopped;
      this.shutDown();
      throw closedMeanwhile ? closedError() : err;
    }
  }
  /** Closes with 1000 and stops every timer. For a speaker this ends the session (docs/PROTOCOL.md, "Deliberate end"). */
  close() {
    this.shutDown();
  }
  /** Sends getSessionStatus and resolves with the answer. */
  getStatus() {
    return this.request({ action: "getSessionStatus" }, "sessionStatus");
  }
  /**
   * Sends frame with a fresh requestId and resolves with its answer, a
   * message of type answer (see Requests for how a reply is matched: by the
   * echoed id from a v1.2 service, by type and order from a v1.1 one; byType
   * for an answer that is a broadcast). While reconnecting, or while a
   * refresh switches connections, the frame waits for the new connection.
   */
  request(frame, answer, byType = false) {
    if (this.stopped || !this.started) {
      return Promise.reject(new ProtocolError("NOT_CONNECTED", "the client is not connected"));
    }
    const answered = this.requests.expect(frame, answer, byType);
    this.send(frame, "always");
    return answered;
  }
  /**
   * Sends frame now if it can. Otherwise it queues it for the next
   * connection: always (requests), or only while a refresh is switching
   * connections (audio: lost during a drop anyway, but not to be lost to a
   * refresh). Frames wait during a refresh because the service refuses a
   * speaker's requests on the old connection once the new one is admitted.
   */
  send(frame, queue) {
    const link = this.current;
    if (this.stateValue === "open" && !this.holding && link?.send(frame)) {
      this.requests.sent(frame, link);
      return true;
    }
    const queueing = queue === "always" || this.holding && this.stateValue === "open";
    return queueing && !this.stopped && this.requests.queue(frame);
  }
  flush() {
    for (const frame of this.requests.takeQueued()) this.send(frame, "always");
  }
  setState(state) {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit("state", state);
  }
  async open(purpose) {
    let query;
    try {
      query = await this.query(purpose);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError("CONNECTION_FAILED", `could not prepare the connection: ${String(err)}`, { cause: err });
    }
    if (this.stopped) throw closedError();
    return dial(this.Ctor, this.options.url, query, this.options.welcomeTimeoutMs, {
      frame: (link, msg) => this.receive(link, msg),
      closed: (link) => this.linkClosed(link)
    }, this.dialing, this.clock);
  }
  /** Makes link the connection: its welcome and early frames are delivered, the previous one is closed with 1000. */
  adopt(link, welcome) {
    const previous = this.current;
    this.current = link;
    if (previous === void 0 || previous === link || !previous.open) this.speaking = link;
    this.holding = false;
    const w = welcome;
    const announced = typeof w.heartbeatIntervalSeconds === "number" && w.heartbeatIntervalSeconds > 0 ? w.heartbeatIntervalSeconds * 1e3 : DEFAULT_HEARTBEAT_MS;
    this.heartbeatMs = this.options.heartbeatIntervalMs ?? announced;
    this.deliver(link, welcome);
    for (const msg of link.early.splice(0)) {
      if (!this.stopped) this.deliver(link, msg);
    }
    if (previous !== void 0 && previous !== link) previous.retire(1e3, "connection refreshed");
    if (this.stopped || this.current !== link) return;
    this.scheduleHeartbeat(link);
    this.setState("open");
    this.flush();
  }
  receive(link, msg) {
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
  admit(link, type, msg) {
    if (PER_CONNECTION.has(type)) return true;
    if (STATE_TYPES.has(type) && typeof msg.stateVersion === "number") return this.order.admit(type, msg.stateVersion);
    if (type === "audioData" && typeof msg.sequence === "number") return true;
    return link === this.speaking;
  }
  deliver(link, msg) {
    const type = msg.type;
    if (typeof type !== "string") {
      this.emit("message", msg);
      return;
    }
    if (type === "error") {
      this.refusal(link, errorFromMessage(msg));
      this.emit("message", msg);
      return;
    }
    this.requests.answer(msg);
    if (!this.admit(link, type, msg)) return;
    if (type === "sessionCreated" || type === "sessionJoined" || type === "connectionRefreshComplete") {
      this.welcomed(msg);
    }
    this.observe(msg);
    if (type === "sessionEnded") this.ending(true);
    if (type === "audioData") this.deliverAudio(msg);
    else this.emitMessage(msg);
    if (type === "sessionEnded") {
      this.shutDown();
    } else if (link === this.current && (type === "connectionRefreshRequired" || type === "connectionWarning")) {
      void this.refresh(link);
    }
  }
  /**
   * An `error` rejects the request it refuses. A speaker's request that met
   * the old connection after the service admitted the new one is refused
   * FORBIDDEN there: that only says "wrong connection", so it goes again
   * (same requestId) on the new one, once.
   */
  refusal(link, err) {
    const waiter = this.requests.refused(err, link);
    if (waiter === void 0) {
      this.emit("error", err);
      return;
    }
    const oldConnection = link !== this.current || this.refreshing !== void 0;
    if (err.code === "FORBIDDEN" && oldConnection && this.requests.resend(waiter)) {
      if (!this.holding) this.flush();
      return;
    }
    this.requests.reject(waiter, err);
  }
  scheduleHeartbeat(link) {
    if (link.heartbeatTimer !== void 0) this.clock.clearTimeout(link.heartbeatTimer);
    const delay = this.heartbeatMs * (1 + HEARTBEAT_JITTER * this.random());
    link.heartbeatTimer = this.clock.setTimeout(() => this.beat(link), delay);
  }
  /** Sends a heartbeat, or gives the link up when the previous one got no frame back in a whole period. */
  beat(link) {
    if (link !== this.current || this.stopped) return;
    const sentAt = this.clock.now();
    link.heartbeatSentAt = sentAt;
    link.send({ action: "heartbeat", requestId: this.requests.newId() });
    if (link.answerTimer === void 0) {
      link.answerTimer = this.clock.setTimeout(() => {
        link.answerTimer = void 0;
        if (link === this.current && !this.stopped && link.lastReceivedAt < sentAt) this.abandon(link);
      }, this.options.heartbeatTimeoutMs);
    }
    this.scheduleHeartbeat(link);
  }
  /** Gives up a connection that went silent: no close frame will come, so none is waited for. */
  abandon(link) {
    link.delivering = false;
    if (this.speaking === link) this.speaking = void 0;
    link.retire(CLOSE_ABANDONED, "heartbeat unanswered");
    this.current = void 0;
    this.requests.requeue(link);
    this.dropped();
  }
  linkClosed(link) {
    if (this.stopped) return;
    if (this.speaking === link) this.speaking = this.current === link ? void 0 : this.current;
    this.requests.requeue(link);
    if (link !== this.current) {
      if (!this.holding) this.flush();
      return;
    }
    this.current = void 0;
    if (link.retired) {
      this.shutDown();
      return;
    }
    if (this.refreshing !== void 0) return;
    this.dropped();
  }
  /** The connection was lost without a deliberate close: resume it. */
  dropped() {
    if (this.stopped || this.reconnecting) return;
    this.reconnecting = true;
    this.setState("reconnecting");
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
  async reconnect() {
    const deadline = this.clock.now() + this.options.reconnectWindowMs;
    let lastError;
    if (this.refreshing !== void 0) await this.refreshing;
    for (let attempt = 0; !this.stopped && this.current === void 0; attempt++) {
      const left = deadline - this.clock.now();
      if (left <= 0) break;
      let delay = Math.min(this.backoff(attempt), left);
      const retryAfter = lastError?.details?.retryAfter;
      if (typeof retryAfter === "number" && retryAfter * 1e3 > delay) {
        if (retryAfter * 1e3 > left) {
          if (!await this.sleep(left)) return;
          break;
        }
        delay = retryAfter * 1e3;
      }
      if (!await this.sleep(delay)) return;
      try {
        const { link, welcome } = await this.open("resume");
        if (this.stopped) {
          link.retire(1e3, "client closed");
          return;
        }
        this.adopt(link, welcome);
        return;
      } catch (err) {
        lastError = asProtocolError(err);
        if (!lastError.retryable && this.recoverable(lastError)) {
          attempt = -1;
        } else if (!lastError.retryable) {
          this.emit("error", lastError);
          this.shutDown();
          return;
        }
      }
    }
    if (this.stopped || this.current !== void 0) return;
    const seconds = Math.round(this.options.reconnectWindowMs / 1e3);
    this.emit("error", new ProtocolError("CONNECTION_LOST", `could not resume the connection within ${seconds} s`, { cause: lastError }));
    this.shutDown();
  }
  /** Exponential backoff with "equal jitter": half the step fixed, half random. The first try is nearly at once. */
  backoff(attempt) {
    const step = Math.min(this.options.maxReconnectDelayMs, this.options.reconnectDelayMs * 2 ** attempt);
    if (attempt === 0) return this.random() * this.options.reconnectDelayMs;
    return step / 2 + this.random() * step / 2;
  }
  /** Opens the replacement connection the service asked for; the old one stays until the new one is welcomed. */
  refresh(old) {
    if (this.refreshing === void 0) {
      this.refreshing = this.replace(old).finally(() => {
        this.refreshing = void 0;
      });
    }
    return this.refreshing;
  }
  async replace(old) {
    try {
      for (let attempt = 0; !this.stopped && this.current === old; attempt++) {
        this.holding = true;
        await this.drain(old);
        try {
          const { link, welcome } = await this.open("refresh");
          if (this.stopped || this.current !== old && this.current !== void 0) {
            link.retire(1e3, "not needed");
            return;
          }
          this.adopt(link, welcome);
          return;
        } catch (err) {
          this.holding = false;
          if (this.current === void 0) return;
          this.flush();
          const e = asProtocolError(err);
          if (!e.retryable && this.recoverable(e)) continue;
          if (!e.retryable) {
            this.emit("error", e);
            return;
          }
          if (!await this.sleep(this.backoff(attempt + 1))) return;
        }
      }
    } finally {
      if (this.holding) {
        this.holding = false;
        this.flush();
      }
      if (!this.stopped && this.current === void 0 && !this.reconnecting) {
        queueMicrotask(() => this.dropped());
      }
    }
  }
  /** Waits (up to DRAIN_MS) until no request sent on link waits for its answer. */
  async drain(link) {
    const deadline = this.clock.now() + DRAIN_MS;
    while (this.requests.waitingOn(link) && this.clock.now() < deadline) {
      if (!await this.sleep(20)) return;
    }
  }
  /** Resolves true after ms, or false at once when the client is closed. */
  sleep(ms) {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        timer: this.clock.setTimeout(() => {
          this.sleeps.delete(entry);
          resolve(true);
        }, ms),
        wake: resolve
      };
      this.sleeps.add(entry);
    });
  }
  /** Stops everything: sockets closed with 1000, timers cleared, waiting requests rejected. */
  shutDown() {
    if (this.stopped) return;
    this.stopped = true;
    const links = [...this.dialing];
    if (this.current !== void 0) links.push(this.current);
    this.current = void 0;
    for (const link of links) {
      link.delivering = false;
      link.retire(1e3, "client closed");
    }
    this.ending(false);
    for (const s of this.sleeps) {
      this.clock.clearTimeout(s.timer);
      s.wake(false);
    }
    this.sleeps.clear();
    this.requests.rejectAll(closedError());
    this.setState("closed");
  }
};
function closedError() {
  return new ProtocolError("CLOSED", "the client was closed");
}
function asProtocolError(err) {
  return err instanceof ProtocolError ? err : new ProtocolError("CONNECTION_FAILED", String(err), { cause: err });
}

// src/speaker.ts
var MAX_AUDIO_FRAME_BYTES = 32 * 1024;
var SpeakerClient = class extends SessionConnection {
  constructor(options) {
    super(options);
    /** The sequence of the next chunk sent without one. */
    this.nextSequence = 0;
    if (options.token === void 0 && options.getToken === void 0) throw new TypeError("token or getToken is required");
    if (typeof options.sourceLanguage !== "string" || options.sourceLanguage === "") throw new TypeError("sourceLanguage is required");
    if (typeof options.qualityTier !== "string" || options.qualityTier === "") throw new TypeError("qualityTier is required");
    this.speaker = { ...options };
  }
  async query(purpose) {
    const token = this.speaker.getToken !== void 0 ? await this.speaker.getToken() : this.speaker.token ?? "";
    if (purpose !== "first" && this.sessionId !== void 0) {
      return { action: "refreshConnection", role: "speaker", sessionId: this.sessionId, token };
    }
    const q = {
      action: "createSession",
      sourceLanguage: this.speaker.sourceLanguage,
      qualityTier: this.speaker.qualityTier,
      token
    };
    if (this.speaker.partialResults !== void 0) q.partialResults = String(this.speaker.partialResults);
    if (this.speaker.minStability !== void 0) q.minStability = String(this.speaker.minStability);
    if (this.speaker.maxBufferTimeout !== void 0) q.maxBufferTimeout = String(this.speaker.maxBufferTimeout);
    return q;
  }
  /** Pauses the broadcast; resolves with the new state (listeners also get sessionPaused). */
  pause() {
    return this.control("pause");
  }
  resume() {
    return this.control("resume");
  }
  mute() {
    return this.control("mute");
  }
  unmute() {
    return this.control("unmute");
  }
  /** volume from 0 to 1. */
  setVolume(volume) {
    if (typeof volume !== "number" || !(volume >= 0 && volume <= 1)) {
      return Promise.reject(
        new ProtocolError("INVALID_PARAMETERS", "volume must be a number from 0 to 1", { details: { field: "value" } })
      );
    }
    return this.request({ action: "speakerControl", control: "volume", value: volume }, "broadcastState");
  }
  /** The sequence the next chunk sent without one gets. */
  get audioSequence() {
    return this.nextSequence;
  }
  /**
   * Ends the session for everyone now (reason speakerEnded); resolves with
   * the sessionEnded message, after which the client is closed.
   */
  endSession() {
    return this.request({ action: "endSession" }, "sessionEnded", true);
  }
  /**
   * Sends one audio chunk (raw bytes, or already base64). Returns whether it
   * was sent, or held for the new connection while a refresh switches over;
   * during a reconnection audio is dropped (false), not queued. A refusal arrives as an `error` event. Throws a ProtocolError
   * (INVALID_PARAMETERS) for a frame over 32 KB.
   */
  sendAudio(audio, options = {}) {
    if (this.sessionId === void 0) return false;
    const frame = {
      action: "sendAudio",
      sessionId: this.sessionId,
      audioData: typeof audio === "string" ? audio : toBase64(audio)
    };
    const sequence = options.sequence ?? this.nextSequence;
    frame.sequence = sequence;
    if (options.sampleRate !== void 0) frame.sampleRate = options.sampleRate;
    if (options.encoding !== void 0) frame.encoding = options.encoding;
    const size = JSON.stringify(frame).length;
    if (size > MAX_AUDIO_FRAME_BYTES) {
      throw new ProtocolError("INVALID_PARAMETERS", `audio frame of ${size} bytes is over the ${MAX_AUDIO_FRAME_BYTES}-byte limit`, {
        details: { field: "audioData" }
      });
    }
    const sent = this.send(frame, "during refresh");
    this.nextSequence = sequence + 1;
    return sent;
  }
  control(control) {
    return this.request({ action: "speakerControl", control }, "broadcastState");
  }
};
function toBase64(bytes) {
  let binary = "";
  const chunk = 32768;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

// src/reorder.ts
var MAX_HELD = 512;
var REMEMBERED = 2048;
var RESTART_GAP = 64;
var ReorderBuffer = class {
  constructor(windowMs, clock, emit) {
    this.windowMs = windowMs;
    this.clock = clock;
    this.emit = emit;
    this.stats = { reordered: 0, late: 0, duplicates: 0, missing: 0 };
    this.held = /* @__PURE__ */ new Map();
    this.emitted = /* @__PURE__ */ new Set();
  }
  /** Takes chunk sequence; emits whatever is now in order. */
  push(sequence, msg) {
    if (this.lastEmitted !== void 0 && sequence <= this.lastEmitted) {
      if (this.lastEmitted - sequence > RESTART_GAP) {
        this.restart();
      } else {
        if (this.emitted.has(sequence)) this.stats.duplicates++;
        else this.stats.late++;
        return;
      }
    }
    if (this.held.has(sequence)) {
      this.stats.duplicates++;
      return;
    }
    if (this.highestSeen !== void 0 && sequence < this.highestSeen) this.stats.reordered++;
    if (this.highestSeen === void 0 || sequence > this.highestSeen) this.highestSeen = sequence;
    this.held.set(sequence, { msg, at: this.clock.now() });
    this.drain();
  }
  /** Emits everything held, in order, without waiting (the stream ends or starts over). */
  flush() {
    this.disarm();
    while (this.held.size > 0) this.emitLowest();
  }
  /** A new stream follows (the speaker came back and may number anew): what is held goes out, nothing is late any more. */
  restart() {
    this.flush();
    this.lastEmitted = void 0;
    this.highestSeen = void 0;
    this.emitted.clear();
  }
  /** Forgets everything held and stops the timer (the client is closed). */
  clear() {
    this.disarm();
    this.held.clear();
  }
  drain() {
    this.disarm();
    const now = this.clock.now();
    while (this.held.size > 0) {
      const lowest = this.lowest();
      const inOrder = this.lastEmitted === void 0 ? lowest === 0 : lowest === this.lastEmitted + 1;
      if (!inOrder && now - this.oldestArrival() < this.windowMs && this.held.size <= MAX_HELD) break;
      this.emitLowest();
    }
    if (this.held.size > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = void 0;
        this.drain();
      }, Math.max(0, this.oldestArrival() + this.windowMs - now));
    }
  }
  emitLowest() {
    const lowest = this.lowest();
    const entry = this.held.get(lowest);
    this.held.delete(lowest);
    if (this.lastEmitted !== void 0) this.stats.missing += lowest - this.lastEmitted - 1;
    this.lastEmitted = lowest;
    this.emitted.add(lowest);
    if (this.emitted.size > REMEMBERED) {
      const first = this.emitted.values().next().value;
      this.emitted.delete(first);
    }
    this.emit(entry.msg);
  }
  lowest() {
    let min = Infinity;
    for (const k of this.held.keys()) if (k < min) min = k;
    return min;
  }
  oldestArrival() {
    let min = Infinity;
    for (const h of this.held.values()) if (h.at < min) min = h.at;
    return min;
  }
  disarm() {
    if (this.timer !== void 0) this.clock.clearTimeout(this.timer);
    this.timer = void 0;
  }
};

// src/listener.ts
var DEFAULT_AUDIO_REORDER_WINDOW_MS = 200;
var ListenerClient = class extends SessionConnection {
  constructor(options) {
    super(options);
    if (typeof options.sessionId !== "string" || options.sessionId === "") throw new TypeError("sessionId is required");
    if (typeof options.targetLanguage !== "string" || options.targetLanguage === "") throw new TypeError("targetLanguage is required");
    const windowMs = options.audioReorderWindowMs ?? DEFAULT_AUDIO_REORDER_WINDOW_MS;
    if (typeof windowMs !== "number" || !(windowMs >= 0)) throw new TypeError("audioReorderWindowMs must be a number of milliseconds, 0 or more");
    this.sessionId = options.sessionId;
    this.targetLanguage = options.targetLanguage;
    this.audio = new ReorderBuffer(windowMs, this.clock, (msg) => this.emitMessage(msg));
  }
  /** What the audio reorder window did: chunks put back in order, dropped late, dropped as copies, given up on. */
  get audioStats() {
    return { ...this.audio.stats };
  }
  async query(purpose) {
    const sessionId = this.sessionId ?? "";
    if (purpose === "first") return { action: "joinSession", sessionId, targetLanguage: this.targetLanguage };
    const q = { action: "refreshConnection", role: "listener", sessionId, targetLanguage: this.targetLanguage };
    if (purpose === "resume" && this.resumeToken !== void 0) q.resumeToken = this.resumeToken;
    return q;
  }
  welcomed(welcome) {
    super.welcomed(welcome);
    if ("resumeToken" in welcome && typeof welcome.resumeToken === "string") this.resumeToken = welcome.resumeToken;
    if ("targetLanguage" in welcome && typeof welcome.targetLanguage === "string") this.targetLanguage = welcome.targetLanguage;
  }
  /**
   * A resume token the service refuses (already used, say, when the welcome
   * of the attempt that used it was lost) is dropped: the next try is a
   * plain listener refresh, which counts against capacity like a join.
   */
  recoverable(err) {
    if (err.details?.field !== "resumeToken" || this.resumeToken === void 0) return false;
    this.resumeToken = void 0;
    return true;
  }
  observe(msg) {
    if (msg.type === "languageChanged" && typeof msg.targetLanguage === "string") this.targetLanguage = msg.targetLanguage;
    if (msg.type === "speakerReconnected") this.audio.restart();
  }
  deliverAudio(msg) {
    if (typeof msg.sequence === "number" && Number.isInteger(msg.sequence)) this.audio.push(msg.sequence, msg);
    else this.emitMessage(msg);
  }
  ending(flush) {
    if (flush) this.audio.flush();
    else this.audio.clear();
  }
  /** Switches to another language on the same connection; resolves with the confirmation. */
  changeLanguage(targetLanguage) {
    return this.request({ action: "changeLanguage", targetLanguage }, "languageChanged");
  }
};
export {
  DEFAULT_AUDIO_REORDER_WINDOW_MS,
  ListenerClient,
  MAX_AUDIO_FRAME_BYTES,
  ProtocolError,
  SessionConnection,
  SpeakerClient,
  codeForStatus,
  isServiceErrorCode,
  systemClock
};
