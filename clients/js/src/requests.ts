import { ProtocolError } from './errors.js';
import type { Link } from './socket.js';

interface Waiter {
  answer: string;
  frame: object;
  /** The connection the frame went out on; undefined while it waits to be sent. */
  sentOn: Link | undefined;
  resolve(msg: unknown): void;
  reject(err: ProtocolError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Frames kept for a connection that is not there yet, at most. */
const MAX_QUEUED = 1_000;

/**
 * Requests waiting for their answers, and frames waiting for a connection.
 * The protocol carries no request ids: an answer goes to the oldest request
 * waiting for its type, an `error` to the oldest request sent on the
 * connection it came from.
 */
export class Requests {
  private readonly waiters: Waiter[] = [];
  private queued: object[] = [];

  constructor(private readonly timeoutMs: number) {}

  /** Resolves with the answer to frame (a message of type answer); rejects with TIMEOUT, withdrawing the frame, after timeoutMs. */
  expect<T>(frame: object, answer: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        answer,
        frame,
        sentOn: undefined,
        resolve: resolve as (msg: unknown) => void,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          this.queued = this.queued.filter((f) => f !== frame);
          reject(new ProtocolError('TIMEOUT', `no ${answer} within ${this.timeoutMs} ms`));
        }, this.timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Records that frame went out on link. */
  sent(frame: object, link: Link): void {
    const waiter = this.waiters.find((w) => w.frame === frame);
    if (waiter !== undefined) waiter.sentOn = link;
  }

  /** Resolves the oldest request waiting for a message of msg's type. */
  answer(type: string, msg: unknown): void {
    const waiter = this.waiters.find((w) => w.answer === type);
    if (waiter === undefined) return;
    this.remove(waiter);
    waiter.resolve(msg);
  }

  /** Rejects the oldest request sent on link with err; false when none was waiting there. */
  refuse(err: ProtocolError, link: Link): boolean {
    const waiter = this.waiters.find((w) => w.sentOn === link);
    if (waiter === undefined) return false;
    this.remove(waiter);
    waiter.reject(err);
    return true;
  }

  /** Whether a request sent on link still waits for its answer. */
  waitingOn(link: Link): boolean {
    return this.waiters.some((w) => w.sentOn === link);
  }

  /**
   * Requests sent on link, which is gone, lost their answers: they go to
   * the front of the queue to be sent again. Every request of the protocol
   * can be repeated without harm (status, controls, language, end).
   */
  requeue(link: Link): void {
    const again = this.waiters.filter((w) => w.sentOn === link);
    for (const w of again) w.sentOn = undefined;
    this.queued = [...again.map((w) => w.frame), ...this.queued];
  }

  /** Keeps frame for the next connection; false when the queue is full. */
  queue(frame: object): boolean {
    if (this.queued.length >= MAX_QUEUED) return false;
    this.queued.push(frame);
    return true;
  }

  /** Empties the queue, oldest first. */
  takeQueued(): object[] {
    return this.queued.splice(0);
  }

  /** Rejects every waiting request with err and forgets every queued frame. */
  rejectAll(err: ProtocolError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.queued = [];
  }

  private remove(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    clearTimeout(waiter.timer);
  }
}
