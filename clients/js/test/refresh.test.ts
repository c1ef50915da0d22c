// API Gateway's connection wall, shrunk to seconds with the decimal-minute
// variables: the clients refresh before it and nothing is lost or doubled.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { ListenerClient, SpeakerClient, type ConnectionState, type ProtocolError } from '@livecast/sessions-client';

import { NodeWebSocket, type LocalService, startService } from './harness.js';
import { eventually, record, sleep } from './events.js';

const WALL_SECONDS = 9; // CONNECTION_MAX_DURATION_HOURS below
const RUN_MS = 2.2 * WALL_SECONDS * 1000;

describe('the connection wall', () => {
  let svc: LocalService;
  const open: Array<SpeakerClient | ListenerClient> = [];

  before(async () => {
    svc = await startService({
      HEARTBEAT_INTERVAL_SECONDS: '0.5',
      HEARTBEAT_TIMEOUT_SECONDS: '30',
      CONNECTION_REFRESH_MINUTES: '0.05', // 3 s
      CONNECTION_WARNING_MINUTES: '0.1', // 6 s
      CONNECTION_MAX_DURATION_HOURS: String(WALL_SECONDS / 3600),
    });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await svc?.stop();
  });

  it('speaker and listener stay open across it, and every broadcast reaches the listener exactly once', async () => {
    const s = new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, getToken: () => svc.token('wall-speaker'), sourceLanguage: 'en', qualityTier: 'standard' });
    open.push(s);
    const { sessionId } = await s.connect();
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage: 'es' });
    open.push(l);
    await l.connect();

    const states: ConnectionState[] = [];
    s.on('state', (st) => states.push(st));
    l.on('state', (st) => states.push(st));
    const errors: ProtocolError[] = [];
    s.on('error', (e) => errors.push(e));
    l.on('error', (e) => errors.push(e));
    const refreshedSpeaker = record(s, 'connectionRefreshComplete');
    const timeline: string[] = [];
    const t0 = Date.now();
    for (const [who, c] of [['speaker', s], ['listener', l]] as const) {
      for (const type of ['connectionRefreshRequired', 'connectionRefreshComplete', 'connectionWarning', 'sessionEnded', 'state'] as const) {
        c.on(type, (m: unknown) => timeline.push(`${Date.now() - t0} ms ${who} ${type} ${typeof m === 'string' ? m : ''}`));
      }
    }
    const refreshedListener = record(l, 'connectionRefreshComplete');
    const heard = record(l, 'broadcastState');

    // The speaker keeps changing the volume the whole time, several changes
    // in flight, so broadcasts land while two connections overlap. Each value
    // is unique: a lost or doubled broadcast shows in the listener's list.
    const sent: number[] = [];
    const started = Date.now();
    let i = 0;
    const failures: string[] = [];
    const speak = async (): Promise<void> => {
      while (Date.now() - started < RUN_MS && failures.length === 0) {
        const volume = ++i / 10_000;
        sent.push(volume);
        // Answers are matched to requests by type and order (the protocol
        // has no request ids), so with several in flight any broadcastState
        // may answer this one: only its arrival is checked here.
        await s.setVolume(volume).catch((err: Error) => failures.push(`setVolume(${volume}) after ${Date.now() - started} ms: ${err.message}`));
      }
    };
    await Promise.all([speak(), speak(), speak()]);
    assert.deepEqual({ failures, states, errors: errors.map((e) => `${e.code}: ${e.message}`) }, { failures: [], states: [], errors: [] }, timeline.join('\n'));
    // v1.2: the three loops' changes are concurrent, so their broadcasts may
    // reach the listener out of order; a change overtaken by a newer one
    // (a higher stateVersion) is superseded and not emitted. What must hold:
    // nothing doubled, nothing out of order, nothing invented, and the
    // listener ends on the speaker's last change, as the service says.
    const final = await s.getStatus();
    // The last change's broadcast is posted after its write (and after an
    // audience read that queues behind everything else on a busy machine):
    // wait as long as a loaded CI machine needs, not as long as a quiet one.
    await eventually('the listener ends on the last change', () => heard.length > 0 && heard[heard.length - 1]!.volume === final.broadcastState.volume, 30_000);
    await sleep(300); // a late duplicate would arrive now
    const versions = heard.map((m) => m.stateVersion);
    assert.deepEqual(versions, [...new Set(versions)].sort((a, b) => a - b), 'each change once, in stateVersion order');
    assert.deepEqual(heard.filter((m) => !sent.includes(m.volume)), [], 'only changes the speaker made');

    // One refresh per 3 s of connection age: at least one per wall for each.
    assert.ok(refreshedSpeaker.length >= 2, `${refreshedSpeaker.length} speaker refreshes`);
    assert.ok(refreshedListener.length >= 2, `${refreshedListener.length} listener refreshes`);
    assert.ok(refreshedSpeaker.every((m) => m.role === 'speaker' && m.sessionId === sessionId));
    assert.ok(refreshedListener.every((m) => m.role === 'listener' && m.targetLanguage === 'es'));
    // The old connections closed with 1000: the audience is back to one
    // (two only while a refresh overlaps).
    await eventually('one listener counted', async () => {
      const status = await s.getStatus();
      return status.isActive && status.listenerCount === 1;
    });
  });

  it('a listener that changed language refreshes into its new language', async () => {
    const s = new SpeakerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, token: await svc.token('wall-speaker-2'), sourceLanguage: 'en', qualityTier: 'standard' });
    open.push(s);
    const { sessionId } = await s.connect();
    const l = new ListenerClient({ url: svc.wsURL, WebSocket: NodeWebSocket, sessionId, targetLanguage: 'es' });
    open.push(l);
    await l.connect();
    await l.changeLanguage('it');
    const refreshed = record(l, 'connectionRefreshComplete');
    await eventually('the listener refreshed', () => refreshed.length > 0, 8000);
    assert.equal(refreshed[0]?.targetLanguage, 'it');
    await eventually('one listener counted, in Italian', async () => JSON.stringify((await s.getStatus()).byLanguage) === '{"it":1}');
  });
});
