import type { ErrorCode, ErrorDetails, ProtocolError } from './errors.js';

/** Where a client is in its connection's life; see the README's "Reconnection". */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type Role = 'speaker' | 'listener';
export type QualityTier = 'standard' | 'premium';

/** Fields every service message carries. */
export interface MessageBase {
  type: string;
  /** Unix milliseconds. */
  timestamp: number;
}

/** The speaker's welcome. */
export interface SessionCreated extends MessageBase {
  type: 'sessionCreated';
  sessionId: string;
  sourceLanguage: string;
  qualityTier: string;
  connectionId: string;
  expiresAt: number;
  partialResultsEnabled: boolean;
  minStabilityThreshold: number;
  maxBufferTimeout: number;
  /** How often to heartbeat (an addition of this service; old clients ignore it). */
  heartbeatIntervalSeconds?: number;
}

/** A listener's welcome. */
export interface SessionJoined extends MessageBase {
  type: 'sessionJoined';
  sessionId: string;
  targetLanguage: string;
  sourceLanguage: string;
  connectionId: string;
  listenerCount: number;
  /** v1.1: single-use token that takes the seat back after a dropped connection. */
  resumeToken?: string;
  heartbeatIntervalSeconds?: number;
}

/** The welcome of a connection that replaced (or resumed) an older one. */
export interface ConnectionRefreshComplete extends MessageBase {
  type: 'connectionRefreshComplete';
  sessionId: string;
  role: Role;
  targetLanguage?: string;
  resumeToken?: string;
  heartbeatIntervalSeconds?: number;
}

export interface HeartbeatAck extends MessageBase {
  type: 'heartbeatAck';
}

export interface ConnectionWarning extends MessageBase {
  type: 'connectionWarning';
  remainingMinutes: number;
  message: string;
}

export interface ConnectionRefreshRequired extends MessageBase {
  type: 'connectionRefreshRequired';
  sessionId: string;
  role: Role;
  targetLanguage?: string;
  message: string;
}

export type SessionEndReason = 'speakerDisconnected' | 'speakerEnded' | 'expired' | 'timeout';

export interface SessionEnded extends MessageBase {
  type: 'sessionEnded';
  sessionId: string;
  reason: SessionEndReason;
}

/** v1.1, to listeners: the speaker's connection was lost; the session waits for it until reconnectDeadline. */
export interface SpeakerDisconnected extends MessageBase {
  type: 'speakerDisconnected';
  sessionId: string;
  /** Unix milliseconds. */
  reconnectDeadline: number;
}

/** v1.1, to listeners: the speaker is back. */
export interface SpeakerReconnected extends MessageBase {
  type: 'speakerReconnected';
  sessionId: string;
}

/** Translated audio for a listener's language. */
export interface AudioData extends MessageBase {
  type: 'audioData';
  sessionId: string;
  /** Base64. */
  audioData: string;
  sequence?: number;
  targetLanguage: string;
}

/** The speaker's audience, sent whenever it changes. */
export interface ListenerCount extends MessageBase {
  type: 'listenerCount';
  sessionId: string;
  total: number;
  byLanguage: Record<string, number>;
}

export interface BroadcastSettings {
  paused: boolean;
  muted: boolean;
  volume: number;
}

export interface BroadcastState extends MessageBase, BroadcastSettings {
  type: 'broadcastState';
  sessionId: string;
}

export interface SessionStatus extends MessageBase {
  type: 'sessionStatus';
  sessionId: string;
  isActive: boolean;
  listenerCount: number;
  byLanguage: Record<string, number>;
  expiresAt: number;
  broadcastState: BroadcastSettings;
  /** v1.1. */
  speakerConnected?: boolean;
}

export interface SessionPaused extends MessageBase {
  type: 'sessionPaused';
  sessionId: string;
}

export interface SessionResumed extends MessageBase {
  type: 'sessionResumed';
  sessionId: string;
}

export interface LanguageChanged extends MessageBase {
  type: 'languageChanged';
  sessionId: string;
  targetLanguage: string;
}

/** An `error` message as it arrives; clients hand it to you as a ProtocolError. */
export interface ErrorMessage extends MessageBase {
  type: 'error';
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
  requestId?: string;
}

/** Every message type of PROTOCOL.md v1.1. */
export type ServiceMessage =
  | SessionCreated
  | SessionJoined
  | ConnectionRefreshComplete
  | HeartbeatAck
  | ConnectionWarning
  | ConnectionRefreshRequired
  | SessionEnded
  | SpeakerDisconnected
  | SpeakerReconnected
  | AudioData
  | ListenerCount
  | BroadcastState
  | SessionStatus
  | SessionPaused
  | SessionResumed
  | LanguageChanged
  | ErrorMessage;

/**
 * A frame whose type this library does not know: the audio pipeline's
 * payloads are sent verbatim, so anything with a `type` may arrive.
 */
export interface OtherMessage {
  type: string;
  [field: string]: unknown;
}

type MessageEvents = { [M in Exclude<ServiceMessage, ErrorMessage> as M['type']]: M };

/**
 * What `client.on(name, handler)` delivers: one event per message type, plus
 * - `state`: the new ConnectionState,
 * - `error`: a ProtocolError (an `error` message no request was waiting for,
 *   or a connection that could not be resumed),
 * - `message`: every frame, known or not (pipeline payloads included).
 */
export interface ClientEvents extends MessageEvents {
  state: ConnectionState;
  error: ProtocolError;
  message: ServiceMessage | OtherMessage;
}

export type WelcomeMessage = SessionCreated | SessionJoined | ConnectionRefreshComplete;
