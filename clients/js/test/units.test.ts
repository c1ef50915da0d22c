// The pieces that need no service: the state order, the status table, error
// decoding, the emitter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Emitter } from '../src/emitter.js';
import { codeForStatus, errorFromMessage, ProtocolError } from '../src/errors.js';
import { StateOrder } from '../src/versions.js';

describe('the state order (stateVersion)', () => {
  it('applies a newer version, and not an older or the same one again', () => {
    const o = new StateOrder();
    assert.equal(o.admit('sessionPaused', 4), true);
    assert.equal(o.admit('sessionPaused', 4), false, 'a copy');
    assert.equal(o.admit('sessionResumed', 3), false, 'overtaken');
    assert.equal(o.admit('sessionResumed', 5), true);
    assert.equal(o.version, 5);
  });

  it('applies each message of one change once: broadcastState and sessionPaused share the number of the write that paused', () => {
    const o = new StateOrder();
    assert.equal(o.admit('broadcastState', 7), true);
    assert.equal(o.admit('sessionPaused', 7), true);
    assert.equal(o.admit('broadcastState', 7), false);
    assert.equal(o.admit('sessionPaused', 7), false);
    assert.equal(o.admit('broadcastState', 8), true);
    assert.equal(o.admit('sessionPaused', 7), false, 'the older change is past');
  });

  it('never compares contents: two identical changes with different numbers are both applied', () => {
    const o = new StateOrder();
    assert.deepEqual([1, 2, 3].map((v) => o.admit('sessionPaused', v)), [true, true, true]);
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
