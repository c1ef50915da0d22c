// A session's life through the clients, against the real local mode.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { ListenerClient, ProtocolError, SpeakerClient, type ConnectionState } from '@livecast/sessions-client';

import { NodeWebSocket, recordingWebSocket, type LocalService, type SentFrame, startService } from './harness.js';
import { eventually, NEEDS_AUDIO, NEEDS_V11, next, record, sleep } from './events.js';

const HEARTBEAT_SECONDS = 0.5;

describe('a session through the clients', () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];

  before(async () => {
    svc = await startService({ HEARTBEAT_INTERVAL_SECONDS: String(HEARTBEAT_SECONDS), HEARTBEAT_TIMEOUT_SECONDS: '30' });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await svc?.stop();
  });

  async function speaker(extra: Partial<ConstructorParameters<typeof SpeakerClient>[0]> = {}): Promise<SpeakerClient> {
    const s = new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, token: await svc.token(), sourceLanguage: 'en', qualityTier: 'standard', ...extra });
    open.push(s);
    return s;
  }
  function listener(sessionId: string, targetLanguage = 'es', extra: Partial<ConstructorParameters<typeof ListenerClient>[0]> = {}): ListenerClient {
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage, ...extra });
    open.push(l);
    return l;
  }

  it('a speaker creates a session, a listener joins it, and the speaker hears the audience', async () => {
    const s = await speaker({ partialResults: true, minStability: 0.8, maxBufferTimeout: 4 });
    const states = record(s, 'state');
    const created = await s.connect();
    assert.match(created.sessionId, /^[a-z]+-[a-z]+-\d{3}$/);
    assert.equal(created.type, 'sessionCreated');
    assert.equal(created.partialResultsEnabled, true);
    assert.equal(created.minStabilityThreshold, 0.8);
    assert.equal(created.maxBufferTimeout, 4);
    assert.equal(s.sessionId, created.sessionId);
    assert.deepEqual(states, ['connecting', 'open']);
    assert.equal(s.state, 'open');

    const counted = next(s, 'listenerCount', 5000, (m) => m.total === 1);
    const l = listener(created.sessionId);
    const joined = await l.connect();
    assert.equal(joined.sessionId, created.sessionId);
    assert.equal(joined.targetLanguage, 'es');
    assert.equal(joined.sourceLanguage, 'en');
    assert.deepEqual((await counted).byLanguage, { es: 1 });
  });

  /**
   * The gaps between the heartbeats a client sent: never shorter than the
   * interval (the service counts heartbeats per minute), and typically within
   * its 10 % jitter. A loaded machine only makes timers late, so the typical
   * gap is the median, not the longest.
   */
  function assertBeats(sent: SentFrame[], intervalMs: number, forMs: number): void {
    const beats = sent.filter((f) => f.frame.action === 'heartbeat').map((f) => f.at);
    const gaps = beats.slice(1).map((t, i) => t - (beats[i] as number));
    assert.ok(beats.length >= 3, `${beats.length} heartbeats in ${forMs} ms`);
    assert.ok(beats.length <= Math.floor(forMs / intervalMs) + 1, `${beats.length} heartbeats in ${forMs} ms: faster than every ${intervalMs} ms`);
    assert.ok(gaps.every((g) => g >= intervalMs - 2), `a gap under ${intervalMs} ms: ${gaps.join(', ')}`);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
    assert.ok(median <= intervalMs * 1.1 + 50, `median gap ${median} ms for an interval of ${intervalMs} ms: ${gaps.join(', ')}`);
  }

  it('heartbeats go out at the interval the welcome announces, each answered', async () => {
    const spy = recordingWebSocket();
    const s = await speaker({ WebSocket: spy.WebSocket });
    const created = await s.connect();
    assert.equal(created.heartbeatIntervalSeconds, HEARTBEAT_SECONDS);
    const acks = record(s, 'heartbeatAck');
    await sleep(3000);
    s.close();
    assertBeats(spy.sent, HEARTBEAT_SECONDS * 1000, 3000);
    const beats = spy.sent.filter((f) => f.frame.action === 'heartbeat').length;
    assert.ok(acks.length >= beats - 1, `${acks.length} acks for ${beats} heartbeats`);
  });

  it('heartbeatIntervalMs overrides the announced interval', async () => {
    const spy = recordingWebSocket();
    const s = await speaker({ WebSocket: spy.WebSocket, heartbeatIntervalMs: 200 });
    await s.connect();
    await sleep(1500);
    s.close();
    assertBeats(spy.sent, 200, 1500);
  });

  it('pause and resume reach listeners as broadcastState and sessionPaused / sessionResumed', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const paused = next(l, 'sessionPaused');
    const listenerState = next(l, 'broadcastState');
    const state = await s.pause();
    assert.deepEqual({ paused: state.paused, muted: state.muted, volume: state.volume }, { paused: true, muted: false, volume: 1 });
    assert.equal((await paused).sessionId, sessionId);
    assert.equal((await listenerState).paused, true);
    const resumed = next(l, 'sessionResumed');
    assert.equal((await s.resume()).paused, false);
    await resumed;
  });

  it('mute, unmute and volume change the broadcast state everyone sees', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const seen = record(l, 'broadcastState');
    assert.equal((await s.mute()).muted, true);
    assert.equal((await s.setVolume(0.25)).volume, 0.25);
    assert.equal((await s.unmute()).muted, false);
    await eventually('listener saw three changes', () => seen.length === 3);
    assert.deepEqual(seen.map((m) => [m.muted, m.volume]), [[true, 1], [true, 0.25], [false, 0.25]]);
  });

  it('a volume outside 0..1 is refused before anything is sent', async () => {
    const s = await speaker();
    await s.connect();
    const seen = record(s, 'broadcastState');
    for (const bad of [-0.1, 1.5, Number.NaN]) {
      await assert.rejects(s.setVolume(bad), (err: ProtocolError) => err.code === 'INVALID_PARAMETERS' && err.details?.field === 'value');
    }
    assert.equal((await s.getStatus()).broadcastState.volume, 1);
    assert.equal(seen.length, 0);
  });

  it('getStatus answers the speaker and the listener', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId, 'fr');
    await l.connect();
    const fromSpeaker = await s.getStatus();
    assert.equal(fromSpeaker.sessionId, sessionId);
    assert.equal(fromSpeaker.isActive, true);
    assert.equal(fromSpeaker.listenerCount, 1);
    assert.deepEqual(fromSpeaker.byLanguage, { fr: 1 });
    const fromListener = await l.getStatus();
    assert.equal(fromListener.sessionId, sessionId);
    assert.deepEqual(fromListener.broadcastState, { paused: false, muted: false, volume: 1 });
  });

  it('changeLanguage moves the listener and the speaker sees the counts move', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId, 'es');
    await l.connect();
    const moved = next(s, 'listenerCount', 5000, (m) => m.byLanguage.de === 1);
    const changed = await l.changeLanguage('de');
    assert.equal(changed.targetLanguage, 'de');
    assert.equal(l.targetLanguage, 'de');
    assert.deepEqual((await moved).byLanguage, { de: 1 });
  });

  it('an unsupported language is refused with UNSUPPORTED_LANGUAGE and changes nothing', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId, 'es');
    await l.connect();
    await assert.rejects(l.changeLanguage('zz'), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, 'UNSUPPORTED_LANGUAGE');
      assert.equal(err.details?.field, 'targetLanguage');
      return true;
    });
    assert.equal(l.targetLanguage, 'es');
    assert.deepEqual((await s.getStatus()).byLanguage, { es: 1 });
    assert.equal(l.state, 'open');
  });

  it("a speaker's close ends the session for listeners, whose clients then close", async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const ended = next(l, 'sessionEnded');
    const closed = next(l, 'state', 5000, (st) => st === 'closed');
    s.close();
    assert.equal(s.state, 'closed');
    const msg = await ended;
    assert.equal(msg.reason, 'speakerDisconnected');
    await closed;
  });

  it('endSession ends the session for everyone with reason speakerEnded', async (t) => {
    if (!(await svc.v11())) return t.skip(NEEDS_V11);
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const ended = next(l, 'sessionEnded');
    const msg = await s.endSession();
    assert.equal(msg.reason, 'speakerEnded');
    assert.equal((await ended).reason, 'speakerEnded');
    await eventually('both clients closed', () => s.state === 'closed' && l.state === 'closed');
  });

  it('sendAudio refuses a frame over 32 KB before sending it', async () => {
    const s = await speaker();
    await s.connect();
    assert.throws(() => s.sendAudio(new Uint8Array(30 * 1024)), (err: ProtocolError) => err.code === 'INVALID_PARAMETERS' && err.details?.field === 'audioData');
    assert.equal(s.state, 'open');
  });

  it('sendAudio sends base64 chunks the service accepts', async (t) => {
    if (!(await svc.routes('sendAudio'))) return t.skip(NEEDS_AUDIO);
    const s = await speaker();
    await s.connect();
    const errors = record(s, 'error');
    for (let i = 0; i < 5; i++) {
      assert.equal(s.sendAudio(new Uint8Array(3200).fill(i), { sequence: i, sampleRate: 16000, encoding: 'pcm' }), true);
    }
    assert.equal(s.sendAudio('AAAA', { sequence: 5 }), true);
    assert.equal((await s.getStatus()).isActive, true);
    await sleep(300); // a refusal would be an error event by now
    assert.deepEqual(errors, []);
  });

  it('close() stops every timer and socket, so nothing keeps the process alive', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = { timers: timers(), sockets: sockets() };
    const s = await speaker({ heartbeatIntervalMs: 100 });
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const pending = l.getStatus();
    const states: ConnectionState[] = [];
    l.on('state', (st) => states.push(st));
    l.close();
    s.close();
    await assert.rejects(pending, (err: ProtocolError) => err.code === 'CLOSED');
    assert.deepEqual(states, ['closed']);
    await assert.rejects(l.getStatus(), (err: ProtocolError) => err.code === 'NOT_CONNECTED');
    assert.equal(s.sendAudio('AAAA'), false);
    await eventually('timers and sockets released', () => timers() <= before.timers && sockets() <= before.sockets);
  });
});
