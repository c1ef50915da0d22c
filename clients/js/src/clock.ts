/**
 * The time source of a client: its timestamps, its timers. Injectable so
 * timing (backoff, heartbeats, the request timeout, the audio reorder window)
 * can be tested on a fake clock in milliseconds instead of waiting for real
 * time, and so an application can run the clients on its own scheduler.
 */
export interface Clock {
  /** Milliseconds, like `Date.now()`. */
  now(): number;
  /** Calls fn after ms; returns a handle for clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The runtime's own clock. Bound late, so a test that mocks the globals is still seen. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A clock with every missing part taken from the runtime's (nil-safe: `{}`
 * and undefined are the system clock). Parts are called as methods of the
 * given object, so a class instance (a test's fake clock) keeps its `this`.
 */
export function clockOf(partial: Partial<Clock> | undefined): Clock {
  if (partial === undefined) return systemClock;
  const c = partial;
  return {
    now: () => (c.now !== undefined ? c.now() : systemClock.now()),
    setTimeout: (fn, ms) => (c.setTimeout !== undefined ? c.setTimeout(fn, ms) : systemClock.setTimeout(fn, ms)),
    clearTimeout: (handle) => (c.clearTimeout !== undefined ? c.clearTimeout(handle) : systemClock.clearTimeout(handle)),
  };
}
