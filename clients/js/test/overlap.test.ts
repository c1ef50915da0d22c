// Issue 19's refresh overlaps on a fake service and a fake clock: each state
// change applied once and in order (stateVersion), each reply resolving its
// own request (requestId). No server: milliseconds of fake time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type BroadcastState, ListenerClient, type ProtocolError, SpeakerClient } from '@livecast/sessions-client';

import { type Clock } from '@livecast/sessions-client';

import { FakeClock, FakeService, type FakeServiceOptions, fakeNetwork, seeded, tracked } from './fakes.js';

const URL_ = 'ws://fake.invalid/local';
const SESSION = 'faithful-shepherd-427';

function speakerOn(svc: FakeService, clock: Clock, seed = 7): SpeakerClient {
  return new SpeakerClient({ url: URL_, WebSocket: svc.net.WebSocket, token: 't', sourceLanguage: 'en', qualityTier: 'standard', clock, random: seeded(seed) });
}
function listenerOn(svc: FakeService, clock: Clock, seed = 8): ListenerClient {
  return new ListenerClient({ url: URL_, WebSocket: svc.net.WebSocket, sessionId: SESSION, targetLanguage: 'es', clock, random: seeded(seed) });
}
async function connected<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  await clock.until('connected', () => done, 5000);
  return p;
}
/** The pause/resume story a client heard, e.g. "PRP". */
function story(client: ListenerClient): string[] {
  const heard: string[] = [];
  client.on('sessionPaused', () => heard.push('P'));
  client.on('sessionResumed', () => heard.push('R'));
  return heard;
}

describe('a listener across a refresh overlap (issue 19, scenario 1)', () => {
  const opts: Omit<FakeServiceOptions, 'clock' | 'random'> = { latencyMs: () => 5, handshakeMs: () => 1000 };

  it('a pause seen only on the old socket does not cancel a later, genuine pause seen on the new one', async () => {
    const clock = new FakeClock();
    const net = fakeNetwork(clock, (s) => clock.setTimeout(() => s.open(), 1));
    const l = new ListenerClient({ url: URL_, WebSocket: net.WebSocket, sessionId: SESSION, targetLanguage: 'es', clock, random: seeded(1) });
    const heard = story(l);
    const joining = l.connect();
    await clock.advance(5);
    const old = net.sockets[0]!;
    old.deliver({ type: 'sessionJoined', sessionId: SESSION, targetLanguage: 'es', sourceLanguage: 'en', connectionId: 'a', listenerCount: 1, resumeToken: 'tok1', heartbeatIntervalSeconds: 30 });
    await connected(clock, joining);
    old.deliver({ type: 'connectionRefreshRequired', sessionId: SESSION, role: 'listener', targetLanguage: 'es', message: 'refresh' });
    await clock.advance(5);
    const fresh = net.sockets[1]!;
    assert.equal(fresh.query.get('resumeToken'), null, 'the wall refresh is the original clients\' (token-less); the token is for a lost connection');
    // The speaker pauses while the handshake is slow: only the old socket hears it.
    old.deliver({ type: 'sessionPaused', sessionId: SESSION, stateVersion: 4 });
    await clock.advance(500);
    fresh.deliver({ type: 'connectionRefreshComplete', sessionId: SESSION, role: 'listener', targetLanguage: 'es', resumeToken: 'tok2', heartbeatIntervalSeconds: 30 });
    await clock.advance(5);
    // Resume, then pause again: identical to the first pause but for its version.
    fresh.deliver({ type: 'sessionResumed', sessionId: SESSION, stateVersion: 5 });
    fresh.deliver({ type: 'sessionPaused', sessionId: SESSION, stateVersion: 6 });
    await clock.advance(5);
    assert.deepEqual(heard, ['P', 'R', 'P']);
    assert.equal(l.stateVersion, 6);
    l.close();
  });

  it('copies on both sockets, in any interleaving, are applied once and in version order', async () => {
    const clock = new FakeClock();
    const net = fakeNetwork(clock, (s) => clock.setTimeout(() => s.open(), 1));
    const l = new ListenerClient({ url: URL_, WebSocket: net.WebSocket, sessionId: SESSION, targetLanguage: 'es', clock, random: seeded(1) });
    const heard = story(l);
    const states = [] as number[];
    l.on('broadcastState', (m) => states.push(m.stateVersion));
    const joining = l.connect();
    await clock.advance(5);
    const old = net.sockets[0]!;
    old.deliver({ type: 'sessionJoined', sessionId: SESSION, targetLanguage: 'es', sourceLanguage: 'en', connectionId: 'a', listenerCount: 1, resumeToken: 'tok1', heartbeatIntervalSeconds: 30 });
    await connected(clock, joining);
    old.deliver({ type: 'connectionRefreshRequired', sessionId: SESSION, role: 'listener', targetLanguage: 'es', message: 'refresh' });
    await clock.advance(5);
    const fresh = net.sockets[1]!;
    const change = (v: number, paused: boolean): Array<Record<string, unknown>> => [
      { type: 'broadcastState', sessionId: SESSION, paused, muted: false, volume: 1, stateVersion: v },
      { type: paused ? 'sessionPaused' : 'sessionResumed', sessionId: SESSION, stateVersion: v },
    ];
    // The new socket is ahead: it has changes 2 and 3 (before its welcome
    // even), the old one brings 1, 2 and 3 late.
    for (const m of [...change(2, false), ...change(3, true)]) fresh.deliver(m);
    for (const m of change(1, true)) old.deliver(m);
    await clock.advance(5);
    fresh.deliver({ type: 'connectionRefreshComplete', sessionId: SESSION, role: 'listener', targetLanguage: 'es', resumeToken: 'tok2', heartbeatIntervalSeconds: 30 });
    await clock.advance(5);
    for (const m of [...change(2, false), ...change(3, true)]) old.deliver(m);
    await clock.advance(5);
    // Change 1 came first and was applied; the new socket's early 2 and 3
    // after the welcome; every copy after that is not newer.
    assert.deepEqual(heard, ['P', 'R', 'P']);
    assert.deepEqual(states, [1, 2, 3]);
    l.close();
  });

  it('a v1.1 service (no stateVersion): the old socket speaks until the welcome, the new one after, each change once', async () => {
    const clock = new FakeClock();
    const svc = new FakeService({ clock, random: seeded(3), ...opts, v12: false });
    const s = speakerOn(svc, clock);
    await connected(clock, s.connect());
    const l = listenerOn(svc, clock);
    await connected(clock, l.connect());
    const heard = story(l);
    svc.askRefresh(svc.open('listener')[0]!);
    await clock.advance(20);
    await connected(clock, s.pause());
    await clock.advance(1200); // the new socket's welcome; the old socket is closed by the client
    await connected(clock, s.resume());
    await connected(clock, s.pause());
    await clock.advance(100);
    assert.deepEqual(heard, ['P', 'R', 'P']);
    s.close();
    l.close();
  });
});

describe('a speaker across a refresh overlap (issue 19, scenario 2)', () => {
  it('requests made as the refresh begins resolve each with its own answer, the last from the new socket after the slow handshake', async () => {
    const clock = new FakeClock();
    const svc = new FakeService({ clock, random: seeded(4), latencyMs: () => 20, handshakeMs: () => 1000 });
    const s = speakerOn(svc, clock);
    await connected(clock, s.connect());
    const startedAt = clock.now();
    const p1 = s.pause();
    svc.askRefresh(svc.open('speaker')[0]!);
    await clock.advance(25); // the refresh has begun
    const r = s.resume();
    const p2 = s.pause();
    const settled: Array<[string, BroadcastState | ProtocolError, number]> = [];
    for (const [name, p] of [['pause 1', p1], ['resume', r], ['pause 2', p2]] as const) {
      p.then((m) => settled.push([name, m, clock.now() - startedAt]), (e: ProtocolError) => settled.push([name, e, clock.now() - startedAt]));
    }
    await clock.until('all three answered', () => settled.length === 3, 15_000);
    const byName = new Map(settled.map(([n, m, at]) => [n, { m, at }]));
    const ids = svc.net.sockets.flatMap((sock) => sock.sent).filter((f) => f.action === 'speakerControl').map((f) => f.requestId);
    assert.equal(new Set(ids).size, 3, `three requests, three ids: ${ids.join(', ')}`);
    for (const [name, paused] of [['pause 1', true], ['resume', false], ['pause 2', true]] as const) {
      const got = byName.get(name)!.m as BroadcastState;
      assert.equal(got.paused, paused, name);
      const applied = svc.applied.find((a) => a.requestId === got.requestId);
      assert.ok(applied !== undefined && applied.paused === paused && applied.version === got.stateVersion, `${name} resolved with its own answer`);
    }
    assert.equal(svc.net.sockets.length, 2);
    const late = byName.get('pause 2')!.at;
    assert.ok(late > 1000 && late < 1300, `the last pause resolved at ${late} ms, after the 1 s handshake`);
    s.close();
  });

  it('a request refused FORBIDDEN on the replaced connection goes again, same requestId, on the new one', async () => {
    const clock = new FakeClock();
    const svc = new FakeService({ clock, random: seeded(5), latencyMs: () => 10, handshakeMs: () => 300 });
    const s = speakerOn(svc, clock);
    await connected(clock, s.connect());
    const old = svc.open('speaker')[0]!;
    // Another speaker connection takes the seat behind the client's back
    // (as a refresh's admission does): the old one is refused from now on.
    new svc.net.WebSocket(`${URL_}?action=refreshConnection&role=speaker&sessionId=${SESSION}&token=t`);
    // The client is told to refresh; its pause goes out on the old connection
    // before that arrives, and is refused there.
    svc.askRefresh(old);
    const p = s.pause();
    let result: BroadcastState | undefined;
    void p.then((m) => (result = m));
    await clock.until('answered', () => result !== undefined, 5000);
    const sent = svc.net.sockets.flatMap((sock) => sock.sent).filter((f) => f.action === 'speakerControl');
    assert.equal(sent.length, 2, 'sent twice: on the old connection, then on the new');
    assert.equal(sent[0]!.requestId, sent[1]!.requestId);
    assert.equal(result!.requestId, sent[0]!.requestId);
    assert.equal(svc.applied.length, 1, 'applied once');
    s.close();
  });
});

describe('many pause/resume calls across repeated refreshes (stress)', () => {
  for (const seed of [11, 12, 13]) {
    it(`listeners see exactly the speaker's sequence of changes; every promise resolves with its own answer (seed ${seed})`, async () => {
      const clock = new FakeClock();
      const rnd = seeded(seed);
      const svc = new FakeService({
        clock,
        random: rnd,
        latencyMs: () => 1 + Math.floor(rnd() * 80),
        handshakeMs: () => Math.floor(rnd() * 1000),
        closeReplacedAfterMs: () => Math.floor(rnd() * 1400),
      });
      const clientClock = tracked(clock);
      const s = speakerOn(svc, clientClock, seed + 100);
      await connected(clock, s.connect());
      const listeners = [listenerOn(svc, clientClock, seed + 200), listenerOn(svc, clientClock, seed + 300)];
      for (const l of listeners) await connected(clock, l.connect());
      const heard = listeners.map((l) => story(l));
      const heardStates = listeners.map((l) => {
        const v: number[] = [];
        l.on('broadcastState', (m) => v.push(m.stateVersion));
        return v;
      });
      const errors: string[] = [];
      for (const c of [s, ...listeners]) c.on('error', (e) => errors.push(`${e.code} ${e.message}`));
      const states: string[] = [];
      for (const c of [s, ...listeners]) c.on('state', (st) => states.push(st));
      const refreshed = [s, ...listeners].map((c) => {
        let n = 0;
        c.on('connectionRefreshComplete', () => n++);
        return () => n;
      });

      // Every 3 s of fake time the service asks every open connection to refresh.
      let refreshing = true;
      const refresh = (): void => {
        if (!refreshing) return;
        for (const c of [...svc.open('speaker').slice(-1), ...svc.open('listener')]) svc.askRefresh(c);
        clock.setTimeout(refresh, 3000);
      };
      clock.setTimeout(refresh, 3000);

      const CALLS = 100;
      const results: Array<{ want: boolean; got?: BroadcastState; err?: string }> = [];
      for (let i = 0; i < CALLS; i++) {
        const want = i % 2 === 0;
        const entry: { want: boolean; got?: BroadcastState; err?: string } = { want };
        results.push(entry);
        (want ? s.pause() : s.resume()).then((m) => (entry.got = m), (e: ProtocolError) => (entry.err = `${e.code} ${e.message}`));
        await clock.advance(Math.floor(rnd() * 500)); // several calls in flight at times
      }
      await clock.until('every call answered', () => results.every((r) => r.got !== undefined || r.err !== undefined), 30_000);
      refreshing = false;
      await clock.advance(3000);

      assert.deepEqual(results.filter((r) => r.err !== undefined).map((r) => r.err), []);
      assert.deepEqual({ errors, states }, { errors: [], states: [] });
      const ids = new Set(results.map((r) => r.got!.requestId));
      assert.equal(ids.size, CALLS, 'every promise has its own answer');
      for (const r of results) {
        const applied = svc.applied.filter((a) => a.requestId === r.got!.requestId);
        assert.ok(applied.length >= 1 && applied.every((a) => a.paused === r.want) && r.got!.paused === r.want, 'the answer is to this very call');
        assert.ok(applied.some((a) => a.version === r.got!.stateVersion));
      }
      // What the service did, in its order.
      const transitions: string[] = [];
      let paused = false;
      for (const a of svc.applied) {
        if (a.paused !== paused) transitions.push(a.paused ? 'P' : 'R');
        paused = a.paused;
      }
      const refreshes = refreshed.map((n) => n());
      assert.ok(refreshes.every((n) => n >= 6), `refreshes of speaker and listeners: ${refreshes.join(', ')}`);
      for (const [i] of listeners.entries()) {
        assert.equal(heard[i]!.join(''), transitions.join(''), `listener ${i} heard the speaker's changes exactly`);
        assert.deepEqual(heardStates[i], svc.applied.map((a) => a.version), `listener ${i} applied every version once, in order`);
      }
      s.close();
      for (const l of listeners) l.close();
      assert.equal(clientClock.live, 0, 'close() leaves no timer behind');
    });
  }
});
