import type { Clock } from './clock.js';

/** What the audio reorder window did so far (ListenerClient.audioStats). */
export interface AudioStats {
  /** Chunks that arrived after one with a higher sequence and were still played in order. */
  reordered: number;
  /** Chunks dropped because a later one had already been emitted (they came after the window). */
  late: number;
  /** Copies of a chunk already emitted or held: the same chunk on both connections of a refresh. */
  duplicates: number;
  /** Sequence numbers given up on: the window passed and they never came (or came late). */
  missing: number;
}

/** More chunks held than this and the oldest gap is given up at once: memory stays bounded whatever arrives. */
const MAX_HELD = 512;
/** Emitted sequences remembered, to tell a copy from a late chunk. */
const REMEMBERED = 2048;
/**
 * A chunk this far behind the last one emitted is not late but a new stream:
 * a speaker that numbers anew. No reorder window explains it (64 chunks are
 * 6.4 s at the 10 chunks/s the service is built for).
 */
export const RESTART_GAP = 64;

interface Held<T> {
  msg: T;
  at: number;
}

/**
 * Emits audio chunks in `sequence` order. The service's broadcast pages run
 * concurrently (docs/PROTOCOL.md v1.2), so chunk k+1 may arrive before chunk k: a
 * chunk that comes ahead of a gap is held until the gap fills or it has
 * waited windowMs, then everything held is emitted in order and the gap is
 * given up. A chunk behind one already emitted is dropped (late), and so is a
 * second copy (duplicate).
 */
export class ReorderBuffer<T> {
  readonly stats: AudioStats = { reordered: 0, late: 0, duplicates: 0, missing: 0 };
  private readonly held = new Map<number, Held<T>>();
  private readonly emitted = new Set<number>();
  private lastEmitted: number | undefined;
  private highestSeen: number | undefined;
  private timer: unknown;

  constructor(
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly emit: (msg: T) => void,
  ) {}

  /** Takes chunk sequence; emits whatever is now in order. */
  push(sequence: number, msg: T): void {
    if (this.lastEmitted !== undefined && sequence <= this.lastEmitted) {
      if (this.lastEmitted - sequence > RESTART_GAP) {
        this.restart();
      } else {
        if (this.emitted.has(sequence)) this.stats.duplicates++;
        else this.stats.late++;
        return;
      }
    }
    if (this.held.has(sequence)) {
      this.stats.duplicates++;
      return;
    }
    if (this.highestSeen !== undefined && sequence < this.highestSeen) this.stats.reordered++;
    if (this.highestSeen === undefined || sequence > this.highestSeen) this.highestSeen = sequence;
    this.held.set(sequence, { msg, at: this.clock.now() });
    this.drain();
  }

  /** Emits everything held, in order, without waiting (the stream ends or starts over). */
  flush(): void {
    this.disarm();
    while (this.held.size > 0) this.emitLowest();
  }

  /** A new stream follows (the speaker came back and may number anew): what is held goes out, nothing is late any more. */
  restart(): void {
    this.flush();
    this.lastEmitted = undefined;
    this.highestSeen = undefined;
    this.emitted.clear();
  }

  /** Forgets everything held and stops the timer (the client is closed). */
  clear(): void {
    this.disarm();
    this.held.clear();
  }

  private drain(): void {
    this.disarm();
    const now = this.clock.now();
    while (this.held.size > 0) {
      const lowest = this.lowest();
      const inOrder = this.lastEmitted === undefined ? lowest === 0 : lowest === this.lastEmitted + 1;
      if (!inOrder && now - this.oldestArrival() < this.windowMs && this.held.size <= MAX_HELD) break;
      this.emitLowest();
    }
    if (this.held.size > 0) {
      // The gap before the lowest held chunk is given up once the chunk held longest has waited the window.
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.max(0, this.oldestArrival() + this.windowMs - now));
    }
  }

  private emitLowest(): void {
    const lowest = this.lowest();
    const entry = this.held.get(lowest) as Held<T>;
    this.held.delete(lowest);
    if (this.lastEmitted !== undefined) this.stats.missing += lowest - this.lastEmitted - 1;
    this.lastEmitted = lowest;
    this.emitted.add(lowest);
    if (this.emitted.size > REMEMBERED) {
      // Insertion order is ascending within a stream: the first is the oldest.
      const first = this.emitted.values().next().value as number;
      this.emitted.delete(first);
    }
    this.emit(entry.msg);
  }

  private lowest(): number {
    let min = Infinity;
    for (const k of this.held.keys()) if (k < min) min = k;
    return min;
  }

  private oldestArrival(): number {
    let min = Infinity;
    for (const h of this.held.values()) if (h.at < min) min = h.at;
    return min;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
