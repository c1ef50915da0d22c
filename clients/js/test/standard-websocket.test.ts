// The clients on the runtime's own WebSocket (browsers, Node 22+; Node 20
// with --experimental-websocket): nothing injected, no `ws` extras.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { ListenerClient, ProtocolError, SpeakerClient } from '@livecast/sessions-client';

import { type DroppingProxy, type LocalService, startProxy, startService } from './harness.js';
import { eventually, next, record } from './events.js';

const standard = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
const skip = standard ? false : 'this runtime has no global WebSocket (Node 20 needs --experimental-websocket, which npm test passes)';

describe('on the standard WebSocket', { skip }, () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];
  const proxies: DroppingProxy[] = [];

  before(async () => {
    svc = await startService({ HEARTBEAT_INTERVAL_SECONDS: '0.5', HEARTBEAT_TIMEOUT_SECONDS: '30' });
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    for (const p of proxies.splice(0)) await p.close();
  });
  after(async () => {
    await svc?.stop();
  });

  it('a speaker and a listener connect, heartbeat, and hear each other', async () => {
    const s = new SpeakerClient({ url: svc.wsURL, token: await svc.token('standard-speaker'), sourceLanguage: 'en', qualityTier: 'premium' });
    open.push(s);
    const { sessionId, qualityTier } = await s.connect();
    assert.equal(qualityTier, 'premium');
    const l = new ListenerClient({ url: svc.wsURL, sessionId, targetLanguage: 'ja' });
    open.push(l);
    await l.connect();
    const acks = record(l, 'heartbeatAck');
    const paused = next(l, 'sessionPaused');
    await s.pause();
    await paused;
    await eventually('the listener heartbeats', () => acks.length >= 2);
    assert.deepEqual((await s.getStatus()).byLanguage, { ja: 1 });
  });

  it('a refused upgrade is only a close 1006 here: CONNECTION_FAILED without status, as in browsers', async () => {
    const l = new ListenerClient({ url: svc.wsURL, sessionId: 'faithful-shepherd-101', targetLanguage: 'es' });
    open.push(l);
    await assert.rejects(l.connect(), (err: unknown) => err instanceof ProtocolError && err.code === 'CONNECTION_FAILED' && err.status === undefined);
  });

  it('a dropped TCP connection is resumed', async () => {
    const net = await startProxy(svc.port);
    proxies.push(net);
    const s = new SpeakerClient({ url: svc.wsURL, token: await svc.token('standard-speaker-2'), sourceLanguage: 'en', qualityTier: 'standard' });
    open.push(s);
    const { sessionId } = await s.connect();
    const l = new ListenerClient({ url: net.wsURL, sessionId, targetLanguage: 'es' });
    open.push(l);
    await l.connect();
    const states = record(l, 'state');
    net.drop();
    await eventually('the listener reconnected', () => states.join() === 'reconnecting,open');
    assert.equal((await l.getStatus()).sessionId, sessionId);
  });
});
