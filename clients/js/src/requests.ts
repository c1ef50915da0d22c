import type { Clock } from './clock.js';
import { ProtocolError } from './errors.js';
import type { Link } from './socket.js';

/** A request waiting for its answer. */
export interface Waiter {
  /** The frame's requestId (v1.2): the direct reply echoes it. */
  readonly id: string;
  /** The type of the message that answers it. */
  readonly answer: string;
  /**
   * The answer is a broadcast, not a direct reply (endSession's
   * sessionEnded carries no requestId): matched by type even in v1.2.
   */
  readonly byType: boolean;
  readonly frame: Record<string, unknown>;
  /** The connection the frame went out on; undefined while it waits to be sent. */
  sentOn: Link | undefined;
  /** It was already sent again once after a refusal that only meant "wrong connection". */
  resent: boolean;
  resolve(msg: unknown): void;
  reject(err: ProtocolError): void;
  timer: unknown;
}

/** Frames kept for a connection that is not there yet, at most. */
const MAX_QUEUED = 1_000;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Requests waiting for their answers, and frames waiting for a connection.
 *
 * Every request carries a fresh `requestId` (v1.2). A v1.2 service echoes it
 * on the direct reply, so the reply resolves exactly the request it answers,
 * whichever connection it arrives on; a request sent again after a switch of
 * connections keeps its id, so whichever answer comes first resolves it and
 * any later one is ignored. Before the first echo is seen (a v1.1 service
 * sends none) an answer goes to the oldest request waiting for its type, and
 * an `error` to the oldest request sent on the connection it came from.
 */
export class Requests {
  private readonly waiters: Waiter[] = [];
  private queued: Record<string, unknown>[] = [];
  private counter = 0;
  /** Ids start with this, unique per client: an echo of ours is told from API Gateway's own request ids. */
  private readonly prefix: string;
  /** The service echoes requestId (v1.2): from now on a reply is matched by its id alone. */
  private echoes = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    random: () => number,
  ) {
    let p = '';
    for (let i = 0; i < 6; i++) p += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length) % ID_ALPHABET.length];
    this.prefix = `${p}-`;
  }

  /** Whether the service was seen echoing request ids (a v1.2 service). */
  get matchingById(): boolean {
    return this.echoes;
  }

  /** A fresh id: 1–64 characters of [A-Za-z0-9_-], as the protocol requires. */
  newId(): string {
    return `${this.prefix}${++this.counter}`;
  }

  /**
   * Gives frame a fresh requestId and resolves with its answer (a message of
   * type answer); rejects with TIMEOUT, withdrawing the frame, after timeoutMs.
   */
  expect<T>(frame: Record<string, unknown>, answer: string, byType = false): Promise<T> {
    frame.requestId = this.newId();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        id: frame.requestId as string,
        answer,
        byType,
        frame,
        sentOn: undefined,
        resent: false,
        resolve: resolve as (msg: unknown) => void,
        reject,
        timer: this.clock.setTimeout(() => {
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

  /** Whether id is one of this client's (an echo, not API Gateway's request id). */
  private ours(id: unknown): id is string {
    return typeof id === 'string' && id.startsWith(this.prefix);
  }

  /**
   * Resolves the request msg answers: the one whose id it echoes, or (no
   * echo seen yet from this service) the oldest waiting for its type.
   * A message carrying stateVersion comes from a v1.2 service, which echoes
   * ids: from then on a reply without our id answers nothing (it is another
   * connection's copy of a broadcast).
   */
  answer(msg: Record<string, unknown>): void {
    const type = msg.type;
    if (typeof type !== 'string') return;
    if (this.ours(msg.requestId)) {
      this.echoes = true;
      const waiter = this.waiters.find((w) => w.id === msg.requestId);
      // Not found: answered already (a request sent twice across a switch), or timed out.
      if (waiter !== undefined && waiter.answer === type) this.settle(waiter).resolve(msg);
      return;
    }
    if (typeof msg.stateVersion === 'number') this.echoes = true;
    const waiter = this.waiters.find((w) => w.answer === type && (w.byType || !this.echoes));
    if (waiter !== undefined) this.settle(waiter).resolve(msg);
  }

  /**
   * The request err (arriving on link) refuses: the one whose id it echoes,
   * else, from a service that does not echo ids, the oldest request sent on
   * link. Undefined when it refuses none of ours (then it is an error event).
   */
  refused(err: ProtocolError, link: Link): Waiter | undefined {
    if (this.ours(err.requestId)) {
      this.echoes = true;
      return this.waiters.find((w) => w.id === err.requestId);
    }
    if (this.echoes) return undefined;
    return this.waiters.find((w) => w.sentOn === link);
  }

  /** Rejects waiter with err. */
  reject(waiter: Waiter, err: ProtocolError): void {
    if (this.waiters.includes(waiter)) this.settle(waiter).reject(err);
  }

  /** Sends waiter's frame again (same id) on the next connection, once. */
  resend(waiter: Waiter): boolean {
    if (waiter.resent || !this.waiters.includes(waiter)) return false;
    waiter.resent = true;
    waiter.sentOn = undefined;
    this.queued = [waiter.frame, ...this.queued];
    return true;
  }

  /** Whether a request sent on link still waits for its answer. */
  waitingOn(link: Link): boolean {
    return this.waiters.some((w) => w.sentOn === link);
  }

  /**
   * Requests sent on link, which is gone, lost their answers: they go to
   * the front of the queue to be sent again, with the same requestId. Every
   * request of the protocol can be repeated without harm (status, controls,
   * language, end).
   */
  requeue(link: Link): void {
    const again = this.waiters.filter((w) => w.sentOn === link);
    for (const w of again) w.sentOn = undefined;
    this.queued = [...again.map((w) => w.frame), ...this.queued];
  }

  /** Keeps frame for the next connection; false when the queue is full. */
  queue(frame: Record<string, unknown>): boolean {
    if (this.queued.length >= MAX_QUEUED) return false;
    this.queued.push(frame);
    return true;
  }

  /** Empties the queue, oldest first. */
  takeQueued(): Record<string, unknown>[] {
    return this.queued.splice(0);
  }

  /** Rejects every waiting request with err and forgets every queued frame. */
  rejectAll(err: ProtocolError): void {
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    this.queued = [];
  }

  private settle(waiter: Waiter): Waiter {
    this.remove(waiter);
    return waiter;
  }

  private remove(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    this.clock.clearTimeout(waiter.timer);
  }
}
