/**
 * The messages that report a change of the session's state; from a v1.2
 * service each carries `stateVersion` (docs/PROTOCOL.md, "v1.2 additions").
 */
export const STATE_TYPES: ReadonlySet<string> = new Set([
  'broadcastState',
  'sessionPaused',
  'sessionResumed',
  'speakerDisconnected',
  'speakerReconnected',
  'listenerCount',
  'sessionEnded',
]);

/**
 * Applies each state change once, in order, by its stateVersion: the exact
 * rule across a refresh overlap, when the service sends every change to both
 * connections and either copy may come first. A version older than the last
 * applied is a change already overtaken (a copy from the slower connection);
 * the same version is a copy, unless it is another message of that same
 * change: one change may be reported by several messages (`broadcastState`
 * and `sessionPaused` carry the number of the write that paused), so each
 * type is applied once per version.
 */
export class StateOrder {
  private last: number | undefined;
  private typesAtLast = new Set<string>();

  /** The last version applied; undefined before the first. */
  get version(): number | undefined {
    return this.last;
  }

  /** Whether a message of type with this version is to be applied (and records it if so). */
  admit(type: string, version: number): boolean {
    if (this.last === undefined || version > this.last) {
      this.last = version;
      this.typesAtLast = new Set([type]);
      return true;
    }
    if (version === this.last && !this.typesAtLast.has(type)) {
      this.typesAtLast.add(type);
      return true;
    }
    return false;
  }
}
