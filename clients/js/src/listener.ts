import { type ConnectionOptions, type ConnectPurpose, SessionConnection } from './client.js';
import type { ProtocolError } from './errors.js';
import type { LanguageChanged, SessionJoined, WelcomeMessage } from './messages.js';

export interface ListenerOptions extends ConnectionOptions {
  /** The id the speaker shares, e.g. `faithful-shepherd-427`. */
  sessionId: string;
  /** ISO 639-1 code of the language to hear. */
  targetLanguage: string;
}

/**
 * A listener's side: joins a session in one language, keeps its seat through
 * the refresh and drops (the listener refresh with its resume token), and can
 * switch language without reconnecting.
 */
export class ListenerClient extends SessionConnection<SessionJoined> {
  /** The language heard now; follows changeLanguage. */
  targetLanguage: string;
  /** The latest single-use resume token (v1.1 services send one with each welcome). */
  resumeToken: string | undefined;

  constructor(options: ListenerOptions) {
    super(options);
    if (typeof options.sessionId !== 'string' || options.sessionId === '') throw new TypeError('sessionId is required');
    if (typeof options.targetLanguage !== 'string' || options.targetLanguage === '') throw new TypeError('targetLanguage is required');
    this.sessionId = options.sessionId;
    this.targetLanguage = options.targetLanguage;
  }

  protected async query(purpose: ConnectPurpose): Promise<Record<string, string>> {
    const sessionId = this.sessionId ?? '';
    if (purpose === 'first') return { action: 'joinSession', sessionId, targetLanguage: this.targetLanguage };
    const q: Record<string, string> = { action: 'refreshConnection', role: 'listener', sessionId, targetLanguage: this.targetLanguage };
    // The wall refresh is the original clients' (the old connection is still
    // there to be matched); after a drop the token takes the held seat back.
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
  }

  /** Switches to another language on the same connection; resolves with the confirmation. */
  changeLanguage(targetLanguage: string): Promise<LanguageChanged> {
    return this.request({ action: 'changeLanguage', targetLanguage }, 'languageChanged');
  }
}
