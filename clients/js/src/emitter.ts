/** A handler throwing must not stop the others nor the client's own work. */
function report(err: unknown): void {
  setTimeout(() => {
    throw err;
  }, 0);
}

/** A small typed event emitter: no dependency on Node's events or the DOM's EventTarget. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(value: never) => void>>();

  /** Calls handler for every event; returns a function that stops it. */
  on<K extends keyof Events>(event: K, handler: (value: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as (value: never) => void);
    return () => this.off(event, handler);
  }

  /** Calls handler for the next event only. */
  once<K extends keyof Events>(event: K, handler: (value: Events[K]) => void): () => void {
    const off = this.on(event, (value) => {
      off();
      handler(value);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, handler: (value: Events[K]) => void): void {
    this.handlers.get(event)?.delete(handler as (value: never) => void);
  }

  /** Whether anyone listens to event. */
  protected listens<K extends keyof Events>(event: K): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.handlers.get(event);
    if (set === undefined) return;
    for (const handler of [...set]) {
      try {
        (handler as (value: Events[K]) => void)(value);
      } catch (err) {
        report(err);
      }
    }
  }
}
