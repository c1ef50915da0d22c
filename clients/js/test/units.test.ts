// The pieces that need no service: the overlap de-duplication, the status
// table, error decoding, the emitter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { OverlapDeduper } from '../src/dedupe.js';
import { Emitter } from '../src/emitter.js';
import { codeForStatus, errorFromMessage, ProtocolError } from '../src/errors.js';

const OLD = 1;
const NEW = 2;

function broadcast(volume: number, timestamp: number): Record<string, unknown> {
  return { type: 'broadcastState', timestamp, sessionId: 'faithful-shepherd-427', paused: false, muted: false, volume };
}

describe('the overlap de-duplication', () => {
  it('drops the copy of a broadcast that arrives on the other connection, whatever its timestamp', () => {
    const d = new OverlapDeduper(5000);
    d.begin();
    assert.equal(d.isCopy(OLD, broadcast(0.5, 1000), 0), false);
    assert.equal(d.isCopy(NEW, broadcast(0.5, 1003), 1), true);
  });

  it('delivers a broadcast that really happens twice twice', () => {
    const d = new OverlapDeduper(5000);
    d.begin();
    const copies = [
      [OLD, 1000],
      [NEW, 1001],
      [OLD, 2000],
      [NEW, 2002],
    ] as const;
    const delivered = copies.filter(([link, ts], i) => !d.isCopy(link, broadcast(0.5, ts), i));
    assert.equal(delivered.length, 2);
  });

  it('keeps a second copy on the same connection: only the other connection can duplicate', () => {
    const d = new OverlapDeduper(5000);
    d.begin();
    assert.equal(d.isCopy(OLD, broadcast(0.5, 1), 0), false);
    assert.equal(d.isCopy(OLD, broadcast(0.5, 2), 1), false);
  });

  it("never drops a connection's own replies (two heartbeatAcks during a refresh are both real)", () => {
    const d = new OverlapDeduper(5000);
    d.begin();
    for (const type of ['heartbeatAck', 'sessionStatus', 'error', 'languageChanged', 'connectionRefreshComplete']) {
      assert.equal(d.isCopy(OLD, { type, timestamp: 1 }, 0), false, type);
      assert.equal(d.isCopy(NEW, { type, timestamp: 1 }, 1), false, type);
    }
  });

  it('does nothing outside an overlap, and stops a window after the old connection goes', () => {
    const d = new OverlapDeduper(5000);
    assert.equal(d.isCopy(OLD, broadcast(0.1, 1), 0), false);
    assert.equal(d.isCopy(NEW, broadcast(0.1, 1), 1), false);
    d.begin();
    assert.equal(d.isCopy(OLD, broadcast(0.2, 1), 10), false);
    d.end(20);
    assert.equal(d.isCopy(NEW, broadcast(0.2, 1), 4000), true, 'inside the window');
    assert.equal(d.isCopy(OLD, broadcast(0.3, 1), 4100), false);
    assert.equal(d.isCopy(NEW, broadcast(0.3, 1), 6000), false, 'after the window');
  });
});

describe('the refused-upgrade status table', () => {
  const table: Array<[number, string]> = [
    [400, 'INVALID_PARAMETERS'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'SESSION_NOT_FOUND'],
    [429, 'RATE_LIMIT_EXCEEDED'],
    [500, 'INTERNAL_ERROR'],
    [502, 'INTERNAL_ERROR'],
    [503, 'SERVICE_UNAVAILABLE'],
    [418, 'CONNECTION_FAILED'],
  ];
  for (const [status, code] of table) {
    it(`maps HTTP ${status} to ${code} when no body names the code`, () => {
      assert.equal(codeForStatus(status), code);
    });
  }
});

describe('error messages', () => {
  it('keep the code, message, details and request id the service sent', () => {
    const err = errorFromMessage({ type: 'error', code: 'SESSION_FULL', message: 'Session is full', details: { sessionId: 'a-b-123' }, requestId: 'r1' }, 503);
    assert.ok(err instanceof ProtocolError);
    assert.deepEqual([err.code, err.message, err.details, err.requestId, err.status], ['SESSION_FULL', 'Session is full', { sessionId: 'a-b-123' }, 'r1', 503]);
    assert.equal(err.retryable, true);
  });

  it('an unknown code becomes the status code, or INTERNAL_ERROR', () => {
    assert.equal(errorFromMessage({ code: 'SOMETHING_NEW', message: 'x' }, 404).code, 'SESSION_NOT_FOUND');
    assert.equal(errorFromMessage({ code: 42 }).code, 'INTERNAL_ERROR');
    assert.match(errorFromMessage({}).message, /INTERNAL_ERROR/);
  });
});

describe('the emitter', () => {
  class Probe extends Emitter<{ ping: number }> {
    fire(n: number): void {
      this.emit('ping', n);
    }
  }

  it('a throwing handler neither stops the others nor the emitter; the exception is rethrown later', (t) => {
    const p = new Probe();
    const got: number[] = [];
    p.on('ping', () => {
      throw new Error('handler bug');
    });
    p.on('ping', (n) => got.push(n));
    // The rethrow is scheduled with setTimeout: catch the callback instead of letting it crash the runner.
    const later: Array<() => void> = [];
    t.mock.method(globalThis, 'setTimeout', (fn: () => void) => later.push(fn));
    p.fire(1);
    t.mock.restoreAll();
    assert.deepEqual(got, [1]);
    assert.equal(later.length, 1);
    assert.throws(() => later[0]?.(), /handler bug/);
  });

  it('once fires one time and on returns its own remover', () => {
    const p = new Probe();
    const got: string[] = [];
    p.once('ping', (n) => got.push(`once ${n}`));
    const off = p.on('ping', (n) => got.push(`on ${n}`));
    p.fire(1);
    off();
    p.fire(2);
    assert.deepEqual(got, ['once 1', 'on 1']);
  });
});
