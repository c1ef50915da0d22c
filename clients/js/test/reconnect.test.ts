// Real dropped TCP connections (through a proxy the test controls) and the
// clients' automatic resumption.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { ListenerClient, ProtocolError, SpeakerClient, type ConnectionState } from '@livecast/sessions-client';

import { type DroppingProxy, NodeWebSocket, type LocalService, startProxy, startService } from './harness.js';
import { eventually, NEEDS_V11, next, record } from './events.js';

describe('dropped connections', () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];
  const proxies: DroppingProxy[] = [];
  let speakers = 0;

  before(async () => {
    svc = await startService({
      HEARTBEAT_INTERVAL_SECONDS: '0.5',
      HEARTBEAT_TIMEOUT_SECONDS: '30',
      MAX_LISTENERS_PER_SESSION: '1',
      RECONNECT_WINDOW_SECONDS: '30', // v1.1; ignored before
    });
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    for (const p of proxies.splice(0)) await p.close();
  });
  after(async () => {
    await svc?.stop();
  });

  async function proxy(): Promise<DroppingProxy> {
    const p = await startProxy(svc.port);
    proxies.push(p);
    return p;
  }
  async function speaker(url = svc.wsURL, extra: Partial<ConstructorParameters<typeof SpeakerClient>[0]> = {}): Promise<SpeakerClient> {
    const token = await svc.token(`reconnecting-speaker-${++speakers}`);
    const s = new SpeakerClient({ url, WebSocket: NodeWebSocket, token, sourceLanguage: 'en', qualityTier: 'standard', ...extra });
    open.push(s);
    return s;
  }
  function listener(url: string, sessionId: string, extra: Partial<ConstructorParameters<typeof ListenerClient>[0]> = {}): ListenerClient {
    const l = new ListenerClient({ url, WebSocket: NodeWebSocket, sessionId, targetLanguage: 'es', ...extra });
    open.push(l);
    return l;
  }
  function states(client: SpeakerClient | ListenerClient): ConnectionState[] {
    return record(client, 'state');
  }

  it('a listener whose TCP connection drops without a close frame resumes by itself and keeps hearing the speaker', async () => {
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId);
    const joined = await l.connect();
    const seen = states(l);
    const errors = record(l, 'error');

    net.drop();
    await eventually('the listener reconnected', () => seen.join() === 'reconnecting,open');
    assert.equal(net.accepted, 2, 'the second connection went through the proxy too');
    if (joined.resumeToken !== undefined) {
      assert.ok(l.resumeToken !== undefined && l.resumeToken !== joined.resumeToken, 'a fresh resume token after resuming');
    }

    const paused = next(l, 'sessionPaused');
    await s.pause();
    assert.equal((await paused).sessionId, sessionId);
    await eventually('one listener counted', async () => (await s.getStatus()).listenerCount === 1);
    assert.deepEqual(errors, []);
  });

  it('requests made while reconnecting go out once the connection is back', async () => {
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId);
    await l.connect();
    net.block();
    const reconnecting = next(l, 'state', 5000, (st) => st === 'reconnecting');
    net.drop();
    await reconnecting;
    const status = l.getStatus();
    const back = next(l, 'state', 10_000, (st) => st === 'open');
    net.unblock();
    await back;
    assert.equal((await status).sessionId, sessionId);
  });

  it('an unanswered heartbeat gives up a connection that died silently; the client resumes and repeats the request the silence swallowed', async () => {
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId, { heartbeatTimeoutMs: 1000 });
    await l.connect();
    const seen = states(l);
    const frozenAt = Date.now();
    net.freeze(); // no FIN, no RST: only silence
    const swallowed = l.getStatus(); // goes out on the dead connection
    await eventually('the listener reconnected', () => seen.join() === 'reconnecting,open', 5000);
    // Up to one period (0.5 s plus jitter) until the next heartbeat, then the 1 s it may wait.
    const took = Date.now() - frozenAt;
    assert.ok(took >= 1000 && took < 3000, `took ${took} ms`);
    assert.equal((await swallowed).sessionId, sessionId);
  });

  it('attempts back off exponentially with jitter until the window has passed, then CONNECTION_LOST and closed', async () => {
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId, { reconnectWindowMs: 2500, reconnectDelayMs: 100 });
    await l.connect();
    net.block();
    const lost = next(l, 'error', 5000);
    const droppedAt = Date.now();
    net.drop();
    const err = await lost;
    assert.equal(err.code, 'CONNECTION_LOST');
    assert.ok(err.cause instanceof ProtocolError && err.cause.code === 'CONNECTION_FAILED');
    assert.equal(l.state, 'closed');
    const took = Date.now() - droppedAt;
    assert.ok(took >= 2500 && took <= 3000, `gave up after ${took} ms: not before the 2.5 s window has passed`);
    assert.equal(net.accepted, 1, 'every attempt was refused by the blocked proxy');
    // The first attempt comes within 100 ms; attempt k + 2 waits between half
    // and all of 100 ms * 2^(k+1) after the one before (timers may only be
    // late): 100-200, 200-400, 400-800, 800-1600 ms, except the last, cut
    // short so that it starts as the window ends. (The exact schedule is
    // timing.test's, on a fake clock.)
    const at = net.refusedAt;
    const gaps = at.slice(1, -1).map((t, i) => t - (at[i] as number));
    const attempts = `attempts at ${at.map((t) => t - droppedAt).join(', ')} ms`;
    assert.ok(at.length >= 4 && at.length <= 6, attempts);
    gaps.forEach((gap, k) => assert.ok(gap >= 100 * 2 ** k - 5, `gap ${k + 1} is ${gap} ms; ${attempts}`));
    assert.ok((at[at.length - 1] as number) - droppedAt >= 2490, `the last attempt starts as the window ends; ${attempts}`);
  });

  it('a resumption the service refuses for good stops at once with its error', async () => {
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId, { reconnectDelayMs: 100 });
    await l.connect();
    net.block();
    const reconnecting = next(l, 'state', 5000, (st) => st === 'reconnecting');
    net.drop();
    await reconnecting;
    s.close(); // the session ends while the listener is away
    await eventually('the session is gone', async () => {
      const probe = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage: 'fr' });
      try {
        await probe.connect();
        return false;
      } catch (err) {
        return err instanceof ProtocolError && err.code === 'SESSION_NOT_FOUND';
      } finally {
        probe.close();
      }
    });
    const refused = next(l, 'error', 10_000);
    net.unblock();
    const err = await refused;
    assert.equal(err.code, 'SESSION_NOT_FOUND');
    assert.equal(err.status, 404);
    assert.equal(l.state, 'closed');
  });

  it('a speaker whose connection drops comes back with the speaker refresh, and listeners hear of the gap', async (t) => {
    if (!(await svc.v11())) return t.skip(NEEDS_V11);
    const net = await proxy();
    let tokens = 0;
    const s = await speaker(net.wsURL, {
      token: undefined,
      getToken: () => {
        tokens++;
        return svc.token('dropping-speaker');
      },
    });
    const { sessionId } = await s.connect();
    const l = listener(svc.wsURL, sessionId);
    await l.connect();
    const seen = states(s);
    const gone = next(l, 'speakerDisconnected', 10_000);
    const paused = next(l, 'sessionPaused', 10_000);
    const back = next(l, 'speakerReconnected', 10_000);
    const resumed = next(l, 'sessionResumed', 10_000);

    net.drop();
    const disconnected = await gone;
    assert.equal(disconnected.sessionId, sessionId);
    assert.ok(disconnected.reconnectDeadline > Date.now(), 'the deadline is ahead');
    await paused;
    await back;
    await resumed;
    await eventually('the speaker reconnected', () => seen.join() === 'reconnecting,open');
    assert.equal(s.sessionId, sessionId);
    assert.ok(tokens >= 2, 'a fresh token for the speaker refresh');
    const status = await s.getStatus();
    assert.equal(status.speakerConnected, true);
    assert.equal(status.listenerCount, 1);
    const heard = next(l, 'broadcastState');
    await s.setVolume(0.5);
    assert.equal((await heard).volume, 0.5);
  });

  it("a listener's held seat is taken back with its resumeToken even when the session is full", async (t) => {
    if (!(await svc.v11())) return t.skip(NEEDS_V11);
    const net = await proxy();
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(net.wsURL, sessionId);
    const joined = await l.connect();
    net.block();
    const reconnecting = next(l, 'state', 5000, (st) => st === 'reconnecting');
    net.drop();
    await reconnecting;
    // Capacity is one and the seat is held: a newcomer is refused.
    const newcomer = listener(svc.wsURL, sessionId);
    await assert.rejects(newcomer.connect(), (err: ProtocolError) => err.code === 'SESSION_FULL');
    const back = next(l, 'state', 10_000, (st) => st === 'open');
    net.unblock();
    await back;
    assert.ok(l.resumeToken !== undefined && l.resumeToken !== joined.resumeToken);
    assert.equal((await s.getStatus()).listenerCount, 1);
  });
});
