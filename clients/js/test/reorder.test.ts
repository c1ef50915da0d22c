// The listener's audio reorder window (issue 17, item 4) on a fake clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ListenerClient } from '@livecast/sessions-client';

import { FakeClock, fakeNetwork, tracked } from './fakes.js';

const SESSION = 'faithful-shepherd-427';

async function listener(windowMs?: number) {
  const clock = new FakeClock();
  const net = fakeNetwork(clock, (s) =>
    clock.setTimeout(() => {
      s.open();
      s.deliver({ type: 'sessionJoined', sessionId: SESSION, targetLanguage: 'es', sourceLanguage: 'en', connectionId: 'c', listenerCount: 1, resumeToken: 't', heartbeatIntervalSeconds: 30 });
    }, 0),
  );
  const clientClock = tracked(clock);
  const l = new ListenerClient({
    url: 'ws://fake.invalid/local', WebSocket: net.WebSocket, sessionId: SESSION, targetLanguage: 'es', clock: clientClock,
    ...(windowMs !== undefined ? { audioReorderWindowMs: windowMs } : {}),
  });
  const connecting = l.connect();
  await clock.advance(1);
  await connecting;
  const start = clock.now();
  /** Every event, as "seq@ms" for audio and the type otherwise. */
  const heard: string[] = [];
  l.on('audioData', (m) => heard.push(`${m.sequence}@${clock.now() - start}`));
  l.on('sessionEnded', () => heard.push('ended'));
  const socket = net.sockets[0]!;
  const chunk = (sequence: number): void => socket.deliver({ type: 'audioData', sessionId: SESSION, targetLanguage: 'es', audioData: 'AAAA', sequence });
  return { l, clock, chunk, heard, socket, clientClock };
}

describe('the audio reorder window', () => {
  it('chunks in order go out at once', async () => {
    const { l, chunk, heard } = await listener();
    for (const s of [0, 1, 2]) chunk(s);
    assert.deepEqual(heard, ['0@0', '1@0', '2@0']);
    assert.deepEqual(l.audioStats, { reordered: 0, late: 0, duplicates: 0, missing: 0 });
    l.close();
  });

  it('a chunk ahead of a gap waits for the missing one, then both go out in order', async () => {
    const { l, clock, chunk, heard } = await listener();
    chunk(0);
    chunk(2);
    await clock.advance(50);
    chunk(1);
    chunk(3);
    assert.deepEqual(heard, ['0@0', '1@50', '2@50', '3@50']);
    assert.deepEqual(l.audioStats, { reordered: 1, late: 0, duplicates: 0, missing: 0 });
    l.close();
  });

  it('the gap is given up once the chunk held longest has waited the window (default 200 ms); a chunk after that is late and dropped', async () => {
    const { l, clock, chunk, heard } = await listener();
    chunk(0);
    chunk(2);
    await clock.advance(100);
    chunk(4);
    await clock.advance(99);
    assert.deepEqual(heard, ['0@0']);
    await clock.advance(1);
    assert.deepEqual(heard, ['0@0', '2@200'], '2 waited 200 ms; 4 waits for 3 from its own arrival');
    await clock.advance(100);
    assert.deepEqual(heard, ['0@0', '2@200', '4@300']);
    chunk(1);
    chunk(3);
    assert.deepEqual(l.audioStats, { reordered: 0, late: 2, duplicates: 0, missing: 2 });
    assert.equal(heard.length, 3);
    l.close();
  });

  it('a copy of a chunk already emitted or held is dropped (both connections of a refresh carry audio)', async () => {
    const { l, chunk, heard } = await listener();
    chunk(0);
    chunk(0);
    chunk(2);
    chunk(2);
    chunk(1);
    assert.deepEqual(heard, ['0@0', '1@0', '2@0']);
    assert.equal(l.audioStats.duplicates, 2);
    l.close();
  });

  it('a listener that joins mid-stream holds its first chunk for the window: an earlier one may still come', async () => {
    const { l, clock, chunk, heard } = await listener();
    chunk(41);
    await clock.advance(30);
    chunk(40);
    await clock.advance(200);
    chunk(42);
    assert.deepEqual(heard, ['40@200', '41@200', '42@230']);
    assert.equal(l.audioStats.reordered, 1);
    l.close();
  });

  it('a stream that starts over (a speaker numbering anew) is not taken for late chunks', async () => {
    const { l, clock, chunk, heard } = await listener(0);
    for (let s = 100; s < 200; s++) chunk(s);
    heard.length = 0;
    chunk(0);
    chunk(1);
    await clock.advance(1);
    assert.deepEqual(heard, ['0@0', '1@0']);
    assert.equal(l.audioStats.late, 0);
    l.close();
  });

  it('window 0: nothing is held, late chunks and copies are still dropped', async () => {
    const { l, chunk, heard } = await listener(0);
    chunk(0);
    chunk(2);
    chunk(1);
    chunk(2);
    assert.deepEqual(heard, ['0@0', '2@0']);
    assert.deepEqual(l.audioStats, { reordered: 0, late: 1, duplicates: 1, missing: 1 });
    l.close();
  });

  it('the end of the session lets held audio out first, in order', async () => {
    const { chunk, heard, socket, clientClock, clock } = await listener();
    chunk(0);
    chunk(3);
    chunk(2);
    socket.deliver({ type: 'sessionEnded', sessionId: SESSION, reason: 'speakerEnded', stateVersion: 9 });
    assert.deepEqual(heard, ['0@0', '2@0', '3@0', 'ended']);
    await clock.advance(1);
    assert.equal(clientClock.live, 0);
  });

  it('close() drops what is held and leaves no timer', async () => {
    const { l, chunk, heard, clientClock, clock } = await listener();
    chunk(0);
    chunk(2);
    l.close();
    await clock.advance(1000);
    assert.deepEqual(heard, ['0@0']);
    assert.equal(clientClock.live, 0);
  });

  it('chunks without a sequence (a v1.1 pipeline) go out as they come', async () => {
    const { l, socket, heard } = await listener();
    socket.deliver({ type: 'audioData', sessionId: SESSION, targetLanguage: 'es', audioData: 'AAAA' });
    assert.deepEqual(heard, ['undefined@0']);
    l.close();
  });
});
