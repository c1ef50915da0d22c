/**
 * Replies to one connection's own requests: never sent to two connections,
 * so never duplicates (two heartbeatAcks during a refresh are both real).
 */
const PER_CONNECTION = new Set([
  'sessionCreated',
  'sessionJoined',
  'connectionRefreshComplete',
  'heartbeatAck',
  'sessionStatus',
  'connectionWarning',
  'connectionRefreshRequired',
  'languageChanged',
  'error',
]);

interface Seen {
  link: number;
  key: string;
  at: number;
}

/**
 * Drops the second copy of a broadcast while two connections overlap during a
 * refresh: from the moment the new connection is admitted until its welcome
 * arrives (and a little after, while the old one closes), the service sends
 * every broadcast to both. A frame that matches one already delivered from
 * the other connection (equal but for its timestamp, which is stamped per
 * connection) is the same broadcast; each delivered frame cancels at most one
 * copy, so a broadcast that really happens twice is delivered twice.
 */
export class OverlapDeduper {
  private until = 0;
  private seen: Seen[] = [];

  constructor(private readonly windowMs: number) {}

  /** A second connection is being opened. */
  begin(): void {
    this.until = Infinity;
  }

  /** The old connection is being closed: copies may still arrive for windowMs. */
  end(now: number): void {
    if (this.until !== 0) this.until = now + this.windowMs;
  }

  /** Whether msg, arriving on link, is a copy of a frame already delivered. */
  isCopy(link: number, msg: Record<string, unknown>, now: number): boolean {
    if (this.until === 0) return false;
    if (now > this.until) {
      this.until = 0;
      this.seen = [];
      return false;
    }
    if (typeof msg.type !== 'string' || PER_CONNECTION.has(msg.type)) return false;
    this.seen = this.seen.filter((s) => now - s.at <= this.windowMs);
    const key = JSON.stringify({ ...msg, timestamp: undefined });
    const i = this.seen.findIndex((s) => s.link !== link && s.key === key);
    if (i >= 0) {
      this.seen.splice(i, 1);
      return true;
    }
    this.seen.push({ link, key, at: now });
    return false;
  }
}
