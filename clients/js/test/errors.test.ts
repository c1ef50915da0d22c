// Refusals and errors as typed values carrying the protocol's code.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { WebSocket } from 'ws';

import { ListenerClient, ProtocolError, SpeakerClient, type ErrorCode, type WebSocketLike } from '@livecast/sessions-client';

import { freePort, NodeWebSocket, type LocalService, startService } from './harness.js';
import { next } from './events.js';

const SESSIONS_PER_HOUR = 3;

/**
 * What a browser's WebSocket offers: no way to read a refused upgrade's
 * status (the `ws` events are hidden behind the standard API).
 */
class BrowserLikeWebSocket implements WebSocketLike {
  private readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(url);
  }
  get readyState(): number {
    return this.ws.readyState;
  }
  set onopen(f: WebSocket['onopen']) {
    this.ws.onopen = f;
  }
  set onmessage(f: WebSocket['onmessage']) {
    this.ws.onmessage = f;
  }
  set onclose(f: WebSocket['onclose']) {
    this.ws.onclose = f;
  }
  set onerror(f: WebSocket['onerror']) {
    this.ws.onerror = f;
  }
  send(data: string): void {
    this.ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

/** Asserts that p rejects with a ProtocolError of this code (and status, and field). */
async function refused(p: Promise<unknown>, want: { code: ErrorCode; status?: number; field?: string; message?: RegExp }): Promise<ProtocolError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof ProtocolError, `want a ProtocolError, got ${String(caught)}`);
  assert.equal(caught.code, want.code);
  if (want.status !== undefined) assert.equal(caught.status, want.status);
  if (want.field !== undefined) assert.equal(caught.details?.field, want.field);
  if (want.message !== undefined) assert.match(caught.message, want.message);
  return caught;
}

describe('errors as typed values', () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];

  before(async () => {
    svc = await startService({ MAX_LISTENERS_PER_SESSION: '1', RATE_LIMIT_SESSIONS_PER_HOUR: String(SESSIONS_PER_HOUR) });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await svc?.stop();
  });

  let speakers = 0;
  /** A token of a speaker of its own: sessions are limited per speaker here. */
  const freshToken = (): Promise<string> => svc.token(`speaker-${++speakers}`);

  function speaker(token: string, extra: Partial<ConstructorParameters<typeof SpeakerClient>[0]> = {}): SpeakerClient {
    const s = new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, token, sourceLanguage: 'en', qualityTier: 'standard', ...extra });
    open.push(s);
    return s;
  }
  function listener(sessionId: string, targetLanguage = 'es', extra: Partial<ConstructorParameters<typeof ListenerClient>[0]> = {}): ListenerClient {
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage, ...extra });
    open.push(l);
    return l;
  }

  describe('a refused connection rejects connect() with the code of the HTTP status and body', () => {
    const cases: Array<{ name: string; client: () => Promise<SpeakerClient | ListenerClient>; code: ErrorCode; status: number; field?: string; message?: RegExp }> = [
      { name: 'a forged token is UNAUTHORIZED (401, Invalid token)', client: async () => speaker('not.a.jwt'), code: 'UNAUTHORIZED', status: 401, message: /Invalid token/ },
      { name: 'an expired token is UNAUTHORIZED (401, Token expired)', client: async () => speaker(await svc.token('alice', -60)), code: 'UNAUTHORIZED', status: 401, message: /Token expired/ },
      { name: 'a missing token is UNAUTHORIZED (401)', client: async () => speaker(''), code: 'UNAUTHORIZED', status: 401, field: 'token' },
      { name: 'an unknown session is SESSION_NOT_FOUND (404)', client: async () => listener('faithful-shepherd-101'), code: 'SESSION_NOT_FOUND', status: 404 },
      { name: 'a malformed session id is INVALID_SESSION_ID (400)', client: async () => listener('not a session'), code: 'INVALID_SESSION_ID', status: 400, field: 'sessionId' },
      { name: 'an unknown source language is INVALID_LANGUAGE (400)', client: async () => speaker(await freshToken(), { sourceLanguage: 'xx' }), code: 'INVALID_LANGUAGE', status: 400 },
      { name: 'a quality tier that does not exist is INVALID_PARAMETERS naming the field (400)', client: async () => speaker(await freshToken(), { qualityTier: 'gold' as 'standard' }), code: 'INVALID_PARAMETERS', status: 400, field: 'qualityTier' },
      { name: 'minStability out of range is INVALID_PARAMETERS naming the field (400)', client: async () => speaker(await freshToken(), { minStability: 0.5 }), code: 'INVALID_PARAMETERS', status: 400, field: 'minStability' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const client = await c.client();
        const states: string[] = [];
        client.on('state', (s) => states.push(s));
        const err = await refused(client.connect(), c);
        assert.equal(err.retryable, false);
        assert.deepEqual(states, ['connecting', 'closed']);
        assert.equal(client.state, 'closed');
      });
    }
  });

  it('a target language without translation and voice is UNSUPPORTED_LANGUAGE (400) at join', async () => {
    const { sessionId } = await speaker(await freshToken()).connect();
    await refused(listener(sessionId, 'xx').connect(), { code: 'UNSUPPORTED_LANGUAGE', status: 400, field: 'targetLanguage' });
  });

  it('a join beyond capacity is SESSION_FULL (503), which may succeed later', async () => {
    const { sessionId } = await speaker(await freshToken()).connect();
    await listener(sessionId).connect();
    const err = await refused(listener(sessionId, 'fr').connect(), { code: 'SESSION_FULL', status: 503 });
    assert.equal(err.retryable, true);
    assert.equal(err.details?.sessionId, sessionId);
  });

  it('creating too many sessions is RATE_LIMIT_EXCEEDED (429) with retryAfter', async () => {
    const token = await svc.token('busy-speaker');
    for (let i = 0; i < SESSIONS_PER_HOUR; i++) {
      const s = speaker(token);
      await s.connect();
      s.close();
    }
    const err = await refused(speaker(token).connect(), { code: 'RATE_LIMIT_EXCEEDED', status: 429 });
    assert.ok(typeof err.details?.retryAfter === 'number' && err.details.retryAfter > 0, `retryAfter ${String(err.details?.retryAfter)}`);
    assert.equal(err.retryable, true);
  });

  it("in a browser a refused upgrade is only a close 1006: CONNECTION_FAILED, without status", async () => {
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: BrowserLikeWebSocket, sessionId: 'faithful-shepherd-101', targetLanguage: 'es' });
    open.push(l);
    const err = await refused(l.connect(), { code: 'CONNECTION_FAILED' });
    assert.equal(err.status, undefined);
  });

  it('nothing listening is CONNECTION_FAILED', async () => {
    const port = await freePort();
    const l = new ListenerClient({ url: `ws://127.0.0.1:${port}/local`, WebSocket: NodeWebSocket, sessionId: 'faithful-shepherd-101', targetLanguage: 'es' });
    open.push(l);
    await refused(l.connect(), { code: 'CONNECTION_FAILED' });
  });

  it('a welcome that never comes is TIMEOUT', async () => {
    // A plain TCP listener accepts and says nothing: the upgrade never completes.
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as import('node:net').AddressInfo;
      const l = new ListenerClient({ url: `ws://127.0.0.1:${port}/local`, WebSocket: NodeWebSocket, sessionId: 'faithful-shepherd-101', targetLanguage: 'es', welcomeTimeoutMs: 300 });
      open.push(l);
      await refused(l.connect(), { code: 'TIMEOUT' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("an error no request is waiting for arrives as an 'error' event and the connection stays open", async () => {
    const s = speaker(await freshToken());
    await s.connect();
    const errored = next(s, 'error');
    // No public method sends an unknown action; the protected send does.
    (s as unknown as { send(frame: object, queue: string): boolean }).send({ action: 'noSuchAction' }, 'always');
    const err = await errored;
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, 'INVALID_ACTION');
    assert.equal(s.state, 'open');
    assert.equal((await s.getStatus()).isActive, true);
  });

  it('a request with no answer in time rejects with TIMEOUT', async () => {
    const s = speaker(await freshToken(), { requestTimeoutMs: 1 });
    await s.connect();
    await refused(s.getStatus(), { code: 'TIMEOUT' });
  });

  it('options are checked when the client is made', () => {
    assert.throws(() => new ListenerClient({ url: 'not a url', WebSocket: NodeWebSocket, sessionId: 'a-b-123', targetLanguage: 'es' }), TypeError);
    assert.throws(() => new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId: '', targetLanguage: 'es' }), TypeError);
    assert.throws(() => new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sourceLanguage: 'en', qualityTier: 'standard' }), /token or getToken/);
  });

  it('without a global WebSocket the client asks for one to be passed', (t) => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    t.after(() => {
      if (saved !== undefined) global.WebSocket = saved;
    });
    assert.throws(() => new ListenerClient({ url: svc.wsURL, sessionId: 'a-b-123', targetLanguage: 'es' }), /no WebSocket.*pass one/);
  });
});
