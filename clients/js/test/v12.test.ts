// Protocol v1.2 against the real local mode: stateVersion, requestId, audio
// sequence, one seat per listener across the wall refresh. These need the
// service's side of v1.2 (issue 19) and fail, saying so, on a v1.1 service.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { WebSocket } from 'ws';

import { ListenerClient, ProtocolError, SpeakerClient } from '@livecast/sessions-client';

import { NodeWebSocket, recordingWebSocket, type LocalService, startService } from './harness.js';
import { eventually, next, record, sleep } from './events.js';

const V12 = 'needs the service side of protocol v1.2 (issue 19)';
const WALL_SECONDS = 9;

describe('protocol v1.2 through the clients', () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];

  before(async () => {
    svc = await startService(
      {
        HEARTBEAT_INTERVAL_SECONDS: '0.5',
        HEARTBEAT_TIMEOUT_SECONDS: '30',
        CONNECTION_REFRESH_MINUTES: '0.05', // 3 s
        CONNECTION_WARNING_MINUTES: '0.1',
        CONNECTION_MAX_DURATION_HOURS: String(WALL_SECONDS / 3600),
      },
      ['-audio-loopback'],
    );
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await svc?.stop();
  });

  async function speaker(extra: Partial<ConstructorParameters<typeof SpeakerClient>[0]> = {}): Promise<SpeakerClient> {
    const s = new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, getToken: () => svc.token('v12-speaker'), sourceLanguage: 'en', qualityTier: 'standard', ...extra });
    open.push(s);
    return s;
  }
  function listener(sessionId: string, extra: Partial<ConstructorParameters<typeof ListenerClient>[0]> = {}): ListenerClient {
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage: 'es', ...extra });
    open.push(l);
    return l;
  }

  it('v1.2: every state message carries a stateVersion that grows, the same number on every connection', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const ls = [listener(sessionId), listener(sessionId)];
    for (const l of ls) await l.connect();
    const heard = ls.map((l) => record(l, 'message'));
    const counts = record(s, 'listenerCount');
    const replies = [await s.pause(), await s.setVolume(0.5), await s.resume()];
    await eventually('both listeners heard the three changes', () => heard.every((h) => h.filter((m) => m.type === 'broadcastState').length === 3));
    assert.ok(replies.every((r) => Number.isInteger(r.stateVersion)), `${V12}: the speaker's broadcastState has no stateVersion`);
    const versions = replies.map((r) => r.stateVersion);
    assert.ok(versions[0]! < versions[1]! && versions[1]! < versions[2]!, `grows: ${versions.join(', ')}`);
    for (const h of heard) {
      const states = h.filter((m) => m.type === 'broadcastState').map((m) => (m as { stateVersion: number }).stateVersion);
      assert.deepEqual(states, versions, 'the same numbers the speaker got');
      const paused = h.find((m) => m.type === 'sessionPaused') as { stateVersion: number } | undefined;
      const resumed = h.find((m) => m.type === 'sessionResumed') as { stateVersion: number } | undefined;
      assert.equal(paused?.stateVersion, versions[0], 'sessionPaused carries the number of the write that paused');
      assert.equal(resumed?.stateVersion, versions[2]);
    }
    assert.ok(counts.length > 0 && counts.every((c) => Number.isInteger(c.stateVersion)), 'listenerCount carries stateVersion');
    assert.equal(ls[0]!.stateVersion, versions[2]);
  });

  it('v1.2: the direct reply echoes the requestId of its request, an error too', async () => {
    const spy = recordingWebSocket();
    const s = await speaker({ WebSocket: spy.WebSocket });
    const { sessionId } = await s.connect();
    const l = listener(sessionId, { WebSocket: spy.WebSocket });
    await l.connect();
    const idOf = (action: string, i = -1): unknown => spy.sent.filter((f) => f.frame.action === action).at(i)?.frame.requestId;
    const status = await s.getStatus();
    assert.equal(status.requestId, idOf('getSessionStatus'), `${V12}: sessionStatus does not echo requestId`);
    const paused = await s.pause();
    assert.equal(paused.requestId, idOf('speakerControl'));
    const changed = await l.changeLanguage('fr');
    assert.equal(changed.requestId, idOf('changeLanguage'));
    const refused = await l.changeLanguage('zz').catch((e: unknown) => e);
    assert.ok(refused instanceof ProtocolError && refused.code === 'UNSUPPORTED_LANGUAGE');
    assert.equal(refused.requestId, idOf('changeLanguage'), "the error echoes the refused request's id");
    const ack = next(s, 'heartbeatAck', 3000);
    assert.ok(typeof (await ack).requestId === 'string', "heartbeatAck echoes the heartbeat's id");
  });

  it('v1.2: a malformed requestId is refused INVALID_PARAMETERS with field requestId', async () => {
    const token = await svc.token('v12-raw');
    const ws = new WebSocket(`${svc.wsURL}?action=createSession&sourceLanguage=en&qualityTier=standard&token=${token}`);
    try {
      const frames: Array<Record<string, unknown>> = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
      await eventually('welcomed', () => frames.some((f) => f.type === 'sessionCreated'));
      for (const bad of ['has space', 'x'.repeat(65), '', 'ünïcode']) {
        ws.send(JSON.stringify({ action: 'getSessionStatus', requestId: bad }));
        await eventually(`an answer to requestId ${JSON.stringify(bad)}`, () => frames.some((f) => f.type === 'error' || f.type === 'sessionStatus'));
        const answer = frames.find((f) => f.type === 'error' || f.type === 'sessionStatus')!;
        frames.splice(frames.indexOf(answer), 1);
        assert.equal(answer.type, 'error', `${V12}: requestId ${JSON.stringify(bad)} was taken`);
        assert.equal(answer.code, 'INVALID_PARAMETERS');
        assert.equal((answer.details as { field?: string }).field, 'requestId');
      }
    } finally {
      ws.close(1000);
    }
  });

  it('v1.2: audio comes back in sequence order, every chunk numbered, none late', async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const l = listener(sessionId);
    await l.connect();
    const heard = record(l, 'audioData');
    for (let i = 0; i < 20; i++) {
      assert.equal(s.sendAudio(new Uint8Array(320).fill(i), { sampleRate: 16000, encoding: 'pcm16' }), true);
      await sleep(20);
    }
    await eventually('the listener heard 20 chunks', () => heard.length >= 20, 10_000);
    assert.deepEqual(heard.map((m) => m.sequence), Array.from({ length: 20 }, (_, i) => i), `${V12}: audioData carries the speaker's sequence`);
    assert.deepEqual(l.audioStats, { reordered: l.audioStats.reordered, late: 0, duplicates: 0, missing: 0 });
  });

  it("v1.2: across the wall refresh a listener is counted once when the overlap ends (the old connection closes)", async () => {
    const s = await speaker();
    const { sessionId } = await s.connect();
    const counts = record(s, 'listenerCount');
    const l = listener(sessionId);
    const joined = await l.connect();
    const refreshed = record(l, 'connectionRefreshComplete');
    await eventually('the listener refreshed twice', () => refreshed.length >= 2, 3 * WALL_SECONDS * 1000);
    assert.ok(l.resumeToken !== undefined && l.resumeToken !== joined.resumeToken, 'a fresh token with every refresh');
    // The token-less wall refresh counts the new connection while the old
    // one is open (at most two), then the old one's close releases its seat.
    assert.deepEqual(counts.filter((c) => c.total > 2).map((c) => c.total), [], 'never more than the overlap');
    await eventually('one seat once the overlap ends', async () => (await s.getStatus()).listenerCount === 1);
    assert.equal(l.state, 'open');
  });
});
