/**
 * Clients of the live session service (docs/PROTOCOL.md v1.2) for browsers and
 * Node: SpeakerClient and ListenerClient do the connection's whole life
 * (welcome, heartbeats, the two-hour refresh, reconnection and resumption),
 * apply each state change once and in order, match replies to requests, put
 * audio in order, and hand the application typed events and ProtocolErrors.
 */
export { SessionConnection, type ConnectionOptions, type ConnectPurpose } from './client.js';
export { SpeakerClient, MAX_AUDIO_FRAME_BYTES, type SpeakerOptions, type AudioOptions } from './speaker.js';
export { ListenerClient, DEFAULT_AUDIO_REORDER_WINDOW_MS, type ListenerOptions } from './listener.js';
export { systemClock, type Clock } from './clock.js';
export type { AudioStats } from './reorder.js';
export {
  ProtocolError,
  codeForStatus,
  isServiceErrorCode,
  type ErrorCode,
  type ServiceErrorCode,
  type ClientErrorCode,
  type ErrorDetails,
  type ProtocolErrorInit,
} from './errors.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type {
  AudioData,
  BroadcastFields,
  BroadcastSettings,
  BroadcastState,
  ClientEvents,
  ConnectionRefreshComplete,
  ConnectionRefreshRequired,
  ConnectionState,
  ConnectionWarning,
  ErrorMessage,
  HeartbeatAck,
  LanguageChanged,
  ListenerCount,
  MessageBase,
  OtherMessage,
  QualityTier,
  Role,
  ServiceMessage,
  SessionCreated,
  SessionEndReason,
  SessionEnded,
  SessionJoined,
  SessionPaused,
  SessionResumed,
  SessionStatus,
  SpeakerDisconnected,
  SpeakerReconnected,
  WelcomeMessage,
} from './messages.js';
