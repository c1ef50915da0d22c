import type { ProtocolError } from './errors.js';
import type { BroadcastFields, ErrorMessage, ServiceMessage, SessionCreated, SessionEnded, SessionJoined, ConnectionRefreshComplete } from './wire.js';

// The messages' own types are generated from the contract (api/asyncapi.yaml)
// into wire.ts; what is here is the library's: events, states, unions.
export type {
  AudioData,
  BroadcastFields,
  BroadcastState,
  ConnectionRefreshComplete,
  ConnectionRefreshRequired,
  ConnectionWarning,
  ErrorMessage,
  HeartbeatAck,
  LanguageChanged,
  ListenerCount,
  QualityTier,
  Role,
  ServiceMessage,
  SessionCreated,
  SessionEnded,
  SessionJoined,
  SessionPaused,
  SessionResumed,
  SessionStatus,
  SpeakerDisconnected,
  SpeakerReconnected,
} from './wire.js';

/** Where a client is in its connection's life; see the README's "Reconnection". */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Fields every service message carries. */
export interface MessageBase {
  type: string;
  /** Unix milliseconds. */
  timestamp: number;
}

/** The broadcast's controls, as in `broadcastState` and `sessionStatus`. */
export type BroadcastSettings = BroadcastFields;

/** Why a session ended. */
export type SessionEndReason = SessionEnded['reason'];

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
