// The library's timing on a fake clock, in milliseconds: the reconnect
// window, backoff, heartbeats, request timeouts. No server, no waiting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ListenerClient, type ProtocolError } from '@livecast/sessions-client';

import { FakeClock, type FakeSocket, fakeNetwork, tracked } from './fakes.js';

const SESSION = 'faithful-shepherd-427';
const joined = (token: string): Record<string, unknown> => ({
  type: 'sessionJoined', sessionId: SESSION, targetLanguage: 'es', sourceLanguage: 'en', connectionId: 'c', listenerCount: 1, resumeToken: token, heartbeatIntervalSeconds: 30,
});

/** A listener on fake sockets: the first socket welcomes it, what happens to later ones is up to answer. */
async function listening(clock: FakeClock, options: Partial<ConstructorParameters<typeof ListenerClient>[0]>, answer: (s: FakeSocket, n: number) => void) {
  const dialedAt: number[] = [];
  const net = fakeNetwork(clock, (s) => {
    dialedAt.push(clock.now());
    const n = dialedAt.length;
    clock.setTimeout(() => {
      if (n === 1) {
        s.open();
        s.deliver(joined('tok1'));
      } else {
        answer(s, n);
      }
    }, 0);
  });
  const clientClock = tracked(clock);
  const l = new ListenerClient({ url: 'ws://fake.invalid/local', WebSocket: net.WebSocket, sessionId: SESSION, targetLanguage: 'es', clock: clientClock, random: () => 0.5, ...options });
  const connecting = l.connect();
  await clock.advance(0); // the welcome comes at once: the test's time starts at the welcome
  await connecting;
  return { l, net, dialedAt, clientClock };
}

describe('reconnection on a fake clock', () => {
  it('keeps trying until the window has passed: the last attempt is cut to the window, CONNECTION_LOST at its end, not before', async () => {
    const clock = new FakeClock();
    const { l, net, dialedAt, clientClock } = await listening(clock, { reconnectWindowMs: 6000, reconnectDelayMs: 500 }, (s) => s.fail());
    const errors: ProtocolError[] = [];
    let lostAt = 0;
    l.on('error', (e) => {
      errors.push(e);
      lostAt = clock.now();
    });
    const droppedAt = clock.now();
    net.sockets[0]!.closed(1006);
    await clock.advance(10_000);
    // random 0.5: the first try at half of 500 ms; then half a step fixed
    // plus half of it random: 750, 1500, 3000 ms after the one before; the
    // next (6000) would overshoot, so it is cut to the window's end.
    assert.deepEqual(dialedAt.slice(1).map((t) => t - droppedAt), [250, 1000, 2500, 5500, 6000]);
    assert.deepEqual(errors.map((e) => e.code), ['CONNECTION_LOST']);
    assert.equal(lostAt - droppedAt, 6000);
    assert.equal(l.state, 'closed');
    assert.equal(clientClock.live, 0);
  });

  it('resumes with its latest token when an attempt gets through', async () => {
    const clock = new FakeClock();
    const { l, net, dialedAt } = await listening(clock, { reconnectWindowMs: 6000, reconnectDelayMs: 500 }, (s, n) => {
      if (n < 4) return s.fail();
      s.open();
      s.deliver({ type: 'connectionRefreshComplete', sessionId: SESSION, role: 'listener', targetLanguage: 'es', resumeToken: 'tok2', heartbeatIntervalSeconds: 30 });
    });
    const states: string[] = [];
    l.on('state', (st) => states.push(st));
    net.sockets[0]!.closed(1006);
    await clock.advance(3000);
    assert.deepEqual(states, ['reconnecting', 'open']);
    assert.equal(dialedAt.length, 4);
    assert.ok(net.sockets.slice(1).every((s) => s.query.get('resumeToken') === 'tok1'));
    assert.equal(l.resumeToken, 'tok2');
    l.close();
  });

  it('a heartbeat unanswered for heartbeatTimeoutMs gives the connection up and resumes at once', async () => {
    const clock = new FakeClock();
    const { l, net, dialedAt } = await listening(clock, { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500, reconnectDelayMs: 500 }, () => undefined);
    const start = clock.now();
    // Jitter 1.0-1.1 x the interval (random 0.5: 1050 ms); the answer may take 500 ms.
    await clock.advance(1049);
    assert.equal(net.sockets[0]!.sent.length, 0);
    await clock.advance(1);
    const beat = net.sockets[0]!.sent.find((f) => f.action === 'heartbeat');
    assert.ok(beat !== undefined && typeof beat.requestId === 'string', 'heartbeats carry a requestId');
    await clock.advance(1000);
    assert.equal(net.sockets[0]!.closedWith, 4000);
    assert.equal(dialedAt[1]! - start, 1050 + 500 + 250);
    l.close();
  });

  it('a request with no answer rejects with TIMEOUT after requestTimeoutMs, to the millisecond', async () => {
    const clock = new FakeClock();
    const { l } = await listening(clock, { requestTimeoutMs: 10_000 }, () => undefined);
    const start = clock.now();
    let failedAt = 0;
    let code = '';
    l.getStatus().catch((e: ProtocolError) => {
      failedAt = clock.now();
      code = e.code;
    });
    await clock.advance(9_999);
    assert.equal(failedAt, 0);
    await clock.advance(1);
    assert.deepEqual([code, failedAt - start], ['TIMEOUT', 10_000]);
    l.close();
  });
});
