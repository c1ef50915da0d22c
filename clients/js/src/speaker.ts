import { type ConnectionOptions, type ConnectPurpose, SessionConnection } from './client.js';
import { ProtocolError } from './errors.js';
import type { BroadcastState, QualityTier, SessionCreated, SessionEnded } from './messages.js';

export interface SpeakerOptions extends ConnectionOptions {
  /** A Cognito ID token (locally: POST /dev/token). Give this or getToken. */
  token?: string;
  /** Called before every connection (first, refresh, resumption), so a long session never presents an expired token. */
  getToken?: () => Promise<string>;
  /** ISO 639-1 code of the language spoken. */
  sourceLanguage: string;
  qualityTier: QualityTier;
  partialResults?: boolean;
  /** 0.70 to 0.95. */
  minStability?: number;
  /** Seconds, 2 to 10. */
  maxBufferTimeout?: number;
}

/** Options of one sendAudio chunk. */
export interface AudioOptions {
  /**
   * The chunk's number in the stream. Default: one more than the previous
   * chunk's (from 0), counted by the client across refreshes and
   * reconnections, so listeners can put chunks back in order.
   */
  sequence?: number;
  sampleRate?: number;
  encoding?: string;
}

/** The service takes audio frames of at most 32 KB (docs/PROTOCOL.md, sendAudio). */
export const MAX_AUDIO_FRAME_BYTES = 32 * 1024;

/**
 * The speaker's side: creates a session, keeps its connection through the
 * refresh and drops (the speaker refresh), controls the broadcast, sends audio.
 */
export class SpeakerClient extends SessionConnection<SessionCreated> {
  private readonly speaker: SpeakerOptions;
  /** The sequence of the next chunk sent without one. */
  private nextSequence = 0;

  constructor(options: SpeakerOptions) {
    super(options);
    if (options.token === undefined && options.getToken === undefined) throw new TypeError('token or getToken is required');
    if (typeof options.sourceLanguage !== 'string' || options.sourceLanguage === '') throw new TypeError('sourceLanguage is required');
    if (typeof options.qualityTier !== 'string' || (options.qualityTier as string) === '') throw new TypeError('qualityTier is required');
    this.speaker = { ...options };
  }

  protected async query(purpose: ConnectPurpose): Promise<Record<string, string>> {
    const token = this.speaker.getToken !== undefined ? await this.speaker.getToken() : (this.speaker.token ?? '');
    if (purpose !== 'first' && this.sessionId !== undefined) {
      return { action: 'refreshConnection', role: 'speaker', sessionId: this.sessionId, token };
    }
    const q: Record<string, string> = {
      action: 'createSession',
      sourceLanguage: this.speaker.sourceLanguage,
      qualityTier: this.speaker.qualityTier,
      token,
    };
    if (this.speaker.partialResults !== undefined) q.partialResults = String(this.speaker.partialResults);
    if (this.speaker.minStability !== undefined) q.minStability = String(this.speaker.minStability);
    if (this.speaker.maxBufferTimeout !== undefined) q.maxBufferTimeout = String(this.speaker.maxBufferTimeout);
    return q;
  }

  /** Pauses the broadcast; resolves with the new state (listeners also get sessionPaused). */
  pause(): Promise<BroadcastState> {
    return this.control('pause');
  }

  resume(): Promise<BroadcastState> {
    return this.control('resume');
  }

  mute(): Promise<BroadcastState> {
    return this.control('mute');
  }

  unmute(): Promise<BroadcastState> {
    return this.control('unmute');
  }

  /** volume from 0 to 1. */
  setVolume(volume: number): Promise<BroadcastState> {
    if (typeof volume !== 'number' || !(volume >= 0 && volume <= 1)) {
      return Promise.reject(
        new ProtocolError('INVALID_PARAMETERS', 'volume must be a number from 0 to 1', { details: { field: 'value' } }),
      );
    }
    return this.request({ action: 'speakerControl', control: 'volume', value: volume }, 'broadcastState');
  }

  /** The sequence the next chunk sent without one gets. */
  get audioSequence(): number {
    return this.nextSequence;
  }

  /**
   * Ends the session for everyone now (reason speakerEnded); resolves with
   * the sessionEnded message, after which the client is closed.
   */
  endSession(): Promise<SessionEnded> {
    // sessionEnded is a broadcast, not a reply carrying the requestId: matched by its type.
    return this.request({ action: 'endSession' }, 'sessionEnded', true);
  }

  /**
   * Sends one audio chunk (raw bytes, or already base64). Returns whether it
   * was sent, or held for the new connection while a refresh switches over;
   * during a reconnection audio is dropped (false), not queued. A refusal arrives as an `error` event. Throws a ProtocolError
   * (INVALID_PARAMETERS) for a frame over 32 KB.
   */
  sendAudio(audio: Uint8Array | string, options: AudioOptions = {}): boolean {
    if (this.sessionId === undefined) return false;
    const frame: Record<string, unknown> = {
      action: 'sendAudio',
      sessionId: this.sessionId,
      audioData: typeof audio === 'string' ? audio : toBase64(audio),
    };
    // Every chunk carries a sequence (v1.2): the service's own numbering
    // starts over with every connection, ours goes on across them.
    const sequence = options.sequence ?? this.nextSequence;
    frame.sequence = sequence;
    if (options.sampleRate !== undefined) frame.sampleRate = options.sampleRate;
    if (options.encoding !== undefined) frame.encoding = options.encoding;
    const size = JSON.stringify(frame).length; // base64 and JSON punctuation: one byte per character
    if (size > MAX_AUDIO_FRAME_BYTES) {
      throw new ProtocolError('INVALID_PARAMETERS', `audio frame of ${size} bytes is over the ${MAX_AUDIO_FRAME_BYTES}-byte limit`, {
        details: { field: 'audioData' },
      });
    }
    const sent = this.send(frame, 'during refresh');
    this.nextSequence = sequence + 1;
    return sent;
  }

  private control(control: 'pause' | 'resume' | 'mute' | 'unmute'): Promise<BroadcastState> {
    return this.request({ action: 'speakerControl', control }, 'broadcastState');
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000; // keeps String.fromCharCode's argument list small
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
