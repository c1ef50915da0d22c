import { type ConnectionOptions, type ConnectPurpose, SessionConnection } from './client.js';
import type { ProtocolError } from './errors.js';
import type { LanguageChanged, SessionJoined, WelcomeMessage } from './messages.js';
import { type AudioStats, ReorderBuffer } from './reorder.js';

export interface ListenerOptions extends ConnectionOptions {
  /** The id the speaker shares, e.g. `faithful-shepherd-427`. */
  sessionId: string;
  /** ISO 639-1 code of the language to hear. */
  targetLanguage: string;
  /**
   * How long a chunk that arrived ahead of a missing one is held for it
   * (milliseconds, default 200): the service's broadcast pages run
   * concurrently, so chunk k+1 may come before chunk k. 0 emits at once,
   * still dropping late chunks and copies.
   */
  audioReorderWindowMs?: number;
}

/** The default audio reorder window: a little more than one 100 ms chunk. */
export const DEFAULT_AUDIO_REORDER_WINDOW_MS = 200;

/**
 * A listener's side: joins a session in one language, keeps its seat through
 * the refresh and drops (the listener refresh with its resume token), hears
 * audio in sequence order, and can switch language without reconnecting.
 */
export class ListenerClient extends SessionConnection<SessionJoined> {
  /** The language heard now; follows changeLanguage. */
  targetLanguage: string;
  /** The latest single-use resume token (v1.1 services send one with each welcome). */
  resumeToken: string | undefined;
  private readonly audio: ReorderBuffer<Record<string, unknown>>;

  constructor(options: ListenerOptions) {
    super(options);
    if (typeof options.sessionId !== 'string' || options.sessionId === '') throw new TypeError('sessionId is required');
    if (typeof options.targetLanguage !== 'string' || options.targetLanguage === '') throw new TypeError('targetLanguage is required');
    const windowMs = options.audioReorderWindowMs ?? DEFAULT_AUDIO_REORDER_WINDOW_MS;
    if (typeof windowMs !== 'number' || !(windowMs >= 0)) throw new TypeError('audioReorderWindowMs must be a number of milliseconds, 0 or more');
    this.sessionId = options.sessionId;
    this.targetLanguage = options.targetLanguage;
    this.audio = new ReorderBuffer(windowMs, this.clock, (msg) => this.emitMessage(msg));
  }

  /** What the audio reorder window did: chunks put back in order, dropped late, dropped as copies, given up on. */
  get audioStats(): AudioStats {
    return { ...this.audio.stats };
  }

  protected async query(purpose: ConnectPurpose): Promise<Record<string, string>> {
    const sessionId = this.sessionId ?? '';
    if (purpose === 'first') return { action: 'joinSession', sessionId, targetLanguage: this.targetLanguage };
    const q: Record<string, string> = { action: 'refreshConnection', role: 'listener', sessionId, targetLanguage: this.targetLanguage };
    // After a drop the token takes the held seat back. The wall refresh is
    // the original clients' (token-less, the old connection still open and
    // counted until it closes): moving the seat with the token instead lost
    // a state change now and then in the overlap (the wall-refresh test, one
    // run in three under load), so it waits until that is understood.
    if (purpose === 'resume' && this.resumeToken !== undefined) q.resumeToken = this.resumeToken;
    return q;
  }

  protected welcomed(welcome: WelcomeMessage): void {
    super.welcomed(welcome);
    if ('resumeToken' in welcome && typeof welcome.resumeToken === 'string') this.resumeToken = welcome.resumeToken;
    if ('targetLanguage' in welcome && typeof welcome.targetLanguage === 'string') this.targetLanguage = welcome.targetLanguage;
  }

  /**
   * A resume token the service refuses (already used, say, when the welcome
   * of the attempt that used it was lost) is dropped: the next try is a
   * plain listener refresh, which counts against capacity like a join.
   */
  protected recoverable(err: ProtocolError): boolean {
    if (err.details?.field !== 'resumeToken' || this.resumeToken === undefined) return false;
    this.resumeToken = undefined;
    return true;
  }

  protected observe(msg: Record<string, unknown>): void {
    if (msg.type === 'languageChanged' && typeof msg.targetLanguage === 'string') this.targetLanguage = msg.targetLanguage;
    // A speaker that comes back may number its chunks anew: nothing before is late any more.
    if (msg.type === 'speakerReconnected') this.audio.restart();
  }

  protected deliverAudio(msg: Record<string, unknown>): void {
    if (typeof msg.sequence === 'number' && Number.isInteger(msg.sequence)) this.audio.push(msg.sequence, msg);
    else this.emitMessage(msg); // a v1.1 pipeline's chunk without a sequence: nothing to order by
  }

  protected ending(flush: boolean): void {
    if (flush) this.audio.flush();
    else this.audio.clear();
  }

  /** Switches to another language on the same connection; resolves with the confirmation. */
  changeLanguage(targetLanguage: string): Promise<LanguageChanged> {
    return this.request({ action: 'changeLanguage', targetLanguage }, 'languageChanged');
  }
}
