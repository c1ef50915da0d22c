// src/dedupe.ts
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
var OverlapDeduper = class {
  constructor(windowMs) {
    this.windowMs = windowMs;
    this.until = 0;
    this.seen = [];
  }
  /** A second connection is being opened. */
  begin() {
    this.until = Infinity;
  }
  /** The old connection is being closed: copies may still arrive for windowMs. */
  end(now) {
    if (this.until !== 0) this.until = now + this.windowMs;
  }
  /** Whether msg, arriving on link, is a copy of a frame already delivered. */
  isCopy(link, msg, now) {
    if (this.until === 0) return false;
    if (now > this.until) {
      this.until = 0;
      this.seen = [];
      return false;
    }
    if (typeof msg.type !== "string" || PER_CONNECTION.has(msg.type)) return false;
    this.seen = this.seen.filter((s) => now - s.at <= this.windowMs);
    const key = JSON.stringify({ ...msg, timestamp: void 0 });
    const i = this.seen.findIndex((s) => s.link !== link && s.key === key);
    if (i >= 0) {
      this.seen.splice(i, 1);
      return true;
    }
    this.seen.push({ link, key, at: now });
    return false;
  }
};

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
var SERVICE_CODES = /* @__PURE__ */ new Set([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "INVALID_PARAMETERS",
  "INVALID_ACTION",
  "INVALID_LANGUAGE",
  "UNSUPPORTED_LANGUAGE",
  "INVALID_SESSION_ID",
  "SESSION_NOT_FOUND",
  "RATE_LIMIT_EXCEEDED",
  "SESSION_FULL",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR"
]);
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
var Requests = class {
  constructor(timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.waiters = [];
    this.queued = [];
  }
  /** Resolves with the answer to frame (a message of type answer); rejects with TIMEOUT, withdrawing the frame, after timeoutMs. */
  expect(frame, answer) {
    return new Promise((resolve, reject) => {
      const waiter = {
        answer,
        frame,
        sentOn: void 0,
        resolve,
        reject,
        timer: setTimeout(() => {
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
  /** Resolves the oldest request waiting for a message of msg's type. */
  answer(type, msg) {
    const waiter = this.waiters.find((w) => w.answer === type);
    if (waiter === void 0) return;
    this.remove(waiter);
    waiter.resolve(msg);
  }
  /** Rejects the oldest request sent on link with err; false when none was waiting there. */
  refuse(err, link) {
    const waiter = this.waiters.find((w) => w.sentOn === link);
    if (waiter === void 0) return false;
    this.remove(waiter);
    waiter.reject(err);
    return true;
  }
  /** Whether a request sent on link still waits for its answer. */
  waitingOn(link) {
    return this.waiters.some((w) => w.sentOn === link);
  }
  /**
   * Requests sent on link, which is gone, lost their answers: they go to
   * the front of the queue to be sent again. Every request of the protocol
   * can be repeated without harm (status, controls, language, end).
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
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.queued = [];
  }
  remove(waiter) {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    clearTimeout(waiter.timer);
  }
};

// src/socket.ts
var OPEN = 1;
var CLOSE_ABANDONED = 4e3;
var MAX_REFUSAL_BODY = 4096;
var nextLinkId = 1;
var Link = class {
  constructor(ws) {
    this.ws = ws;
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
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.answerTimer);
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
function dial(Ctor, url, query, welcomeTimeoutMs, handlers, dialing) {
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
    const link = new Link(ws);
    dialing.add(link);
    let settled = false;
    let refusal;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      dialing.delete(link);
      reject(err);
    };
    const timer = setTimeout(() => {
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
      link.lastReceivedAt = Date.now();
      if (link.welcomed) {
        handlers.frame(link, m);
      } else if (isWelcome(m) && !settled) {
        link.welcomed = true;
        settled = true;
        clearTimeout(timer);
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

// src/client.ts
var DEFAULT_HEARTBEAT_MS = 3e4;
var HEARTBEAT_JITTER = 0.1;
var OVERLAP_WINDOW_MS = 5e3;
var DRAIN_MS = 2e3;
var SessionConnection = class extends Emitter {
  constructor(options) {
    super();
    this.stateValue = "closed";
    this.dialing = /* @__PURE__ */ new Set();
    this.sleeps = /* @__PURE__ */ new Set();
    this.deduper = new OverlapDeduper(OVERLAP_WINDOW_MS);
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
    this.requests = new Requests(this.options.requestTimeoutMs);
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
  /** Closes with 1000 and stops every timer. For a speaker this ends the session (PROTOCOL.md, "Deliberate end"). */
  close() {
    this.shutDown();
  }
  /** Sends getSessionStatus and resolves with the answer. */
  getStatus() {
    return this.request({ action: "getSessionStatus" }, "sessionStatus");
  }
  /**
   * Sends frame and resolves with the next message of type answer; an
   * `error` message on the same connection while this is the oldest request
   * sent there rejects it instead (the protocol carries no request id, so
   * answers are matched by type and order). While reconnecting, or while a
   * refresh switches connections, the frame waits for the new connection.
   */
  request(frame, answer) {
    if (this.stopped || !this.started) {
      return Promise.reject(new ProtocolError("NOT_CONNECTED", "the client is not connected"));
    }
    const answered = this.requests.expect(frame, answer);
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
    }, this.dialing);
  }
  /** Makes link the connection: its welcome and early frames are delivered, the previous one is closed with 1000. */
  adopt(link, welcome) {
    const previous = this.current;
    this.current = link;
    this.holding = false;
    const w = welcome;
    const announced = typeof w.heartbeatIntervalSeconds === "number" && w.heartbeatIntervalSeconds > 0 ? w.heartbeatIntervalSeconds * 1e3 : DEFAULT_HEARTBEAT_MS;
    this.heartbeatMs = this.options.heartbeatIntervalMs ?? announced;
    this.deliver(link, welcome);
    for (const msg of link.early.splice(0)) this.receive(link, msg);
    if (previous !== void 0 && previous !== link) {
      this.deduper.end(Date.now());
      previous.retire(1e3, "connection refreshed");
    }
    if (this.stopped || this.current !== link) return;
    this.scheduleHeartbeat(link);
    this.setState("open");
    this.flush();
  }
  receive(link, msg) {
    if (!link.delivering || this.stopped) return;
    if (this.deduper.isCopy(link.id, msg, Date.now())) return;
    this.deliver(link, msg);
  }
  deliver(link, msg) {
    const type = msg.type;
    if (type === "sessionCreated" || type === "sessionJoined" || type === "connectionRefreshComplete") {
      this.welcomed(msg);
    }
    this.observe(msg);
    if (type === "error") {
      const err = errorFromMessage(msg);
      if (!this.requests.refuse(err, link)) this.emit("error", err);
      this.emit("message", msg);
      return;
    }
    if (typeof type === "string") {
      this.requests.answer(type, msg);
      if (type !== "state" && type !== "message") {
        this.emit(type, msg);
      }
    }
    this.emit("message", msg);
    if (type === "sessionEnded") {
      this.shutDown();
    } else if (link === this.current && (type === "connectionRefreshRequired" || type === "connectionWarning")) {
      void this.refresh(link);
    }
  }
  scheduleHeartbeat(link) {
    clearTimeout(link.heartbeatTimer);
    const delay = this.heartbeatMs * (1 + HEARTBEAT_JITTER * Math.random());
    link.heartbeatTimer = setTimeout(() => this.beat(link), delay);
  }
  /** Sends a heartbeat, or gives the link up when the previous one got no frame back in a whole period. */
  beat(link) {
    if (link !== this.current || this.stopped) return;
    const sentAt = Date.now();
    link.heartbeatSentAt = sentAt;
    link.send({ action: "heartbeat" });
    if (link.answerTimer === void 0) {
      link.answerTimer = setTimeout(() => {
        link.answerTimer = void 0;
        if (link === this.current && !this.stopped && link.lastReceivedAt < sentAt) this.abandon(link);
      }, this.options.heartbeatTimeoutMs);
    }
    this.scheduleHeartbeat(link);
  }
  /** Gives up a connection that went silent: no close frame will come, so none is waited for. */
  abandon(link) {
    link.delivering = false;
    link.retire(CLOSE_ABANDONED, "heartbeat unanswered");
    this.current = void 0;
    this.requests.requeue(link);
    this.dropped();
  }
  linkClosed(link) {
    if (this.stopped) return;
    this.requests.requeue(link);
    if (link !== this.current) {
      this.flush();
      return;
    }
    this.current = void 0;
    if (link.retired) {
      this.shutDown();
      return;
    }
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
  async reconnect() {
    const deadline = Date.now() + this.options.reconnectWindowMs;
    let lastError;
    if (this.refreshing !== void 0) await this.refreshing;
    for (let attempt = 0; !this.stopped && this.current === void 0; attempt++) {
      let delay = this.backoff(attempt);
      const retryAfter = lastError?.details?.retryAfter;
      if (typeof retryAfter === "number") delay = Math.max(delay, retryAfter * 1e3);
      if (Date.now() + delay > deadline) break;
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
    if (attempt === 0) return Math.random() * this.options.reconnectDelayMs;
    return step / 2 + Math.random() * step / 2;
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
    this.deduper.begin();
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
          this.flush();
          const e = asProtocolError(err);
          if (!e.retryable) {
            this.emit("error", e);
            return;
          }
          if (!await this.sleep(this.backoff(attempt + 1))) return;
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
  async drain(link) {
    const deadline = Date.now() + DRAIN_MS;
    while (this.requests.waitingOn(link) && Date.now() < deadline) {
      if (!await this.sleep(20)) return;
    }
  }
  /** Resolves true after ms, or false at once when the client is closed. */
  sleep(ms) {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
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
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
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
  /**
   * Ends the session for everyone now (reason speakerEnded); resolves with
   * the sessionEnded message, after which the client is closed.
   */
  endSession() {
    return this.request({ action: "endSession" }, "sessionEnded");
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
    if (options.sequence !== void 0) frame.sequence = options.sequence;
    if (options.sampleRate !== void 0) frame.sampleRate = options.sampleRate;
    if (options.encoding !== void 0) frame.encoding = options.encoding;
    const size = JSON.stringify(frame).length;
    if (size > MAX_AUDIO_FRAME_BYTES) {
      throw new ProtocolError("INVALID_PARAMETERS", `audio frame of ${size} bytes is over the ${MAX_AUDIO_FRAME_BYTES}-byte limit`, {
        details: { field: "audioData" }
      });
    }
    return this.send(frame, "during refresh");
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

// src/listener.ts
var ListenerClient = class extends SessionConnection {
  constructor(options) {
    super(options);
    if (typeof options.sessionId !== "string" || options.sessionId === "") throw new TypeError("sessionId is required");
    if (typeof options.targetLanguage !== "string" || options.targetLanguage === "") throw new TypeError("targetLanguage is required");
    this.sessionId = options.sessionId;
    this.targetLanguage = options.targetLanguage;
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
  }
  /** Switches to another language on the same connection; resolves with the confirmation. */
  changeLanguage(targetLanguage) {
    return this.request({ action: "changeLanguage", targetLanguage }, "languageChanged");
  }
};
export {
  ListenerClient,
  MAX_AUDIO_FRAME_BYTES,
  ProtocolError,
  SessionConnection,
  SpeakerClient,
  codeForStatus,
  isServiceErrorCode
};
