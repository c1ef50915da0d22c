// Small waits on client events that always clear their timers.
import type { ClientEvents, SessionConnection, WelcomeMessage } from '@livecast/sessions-client';

type AnyClient = SessionConnection<WelcomeMessage>;

/** Resolves with the next `event` (that satisfies accept), rejects after timeoutMs. */
export function next<K extends keyof ClientEvents>(
  client: AnyClient,
  event: K,
  timeoutMs = 5000,
  accept: (value: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const off = client.on(event, (value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** Records every `event` from now on. */
export function record<K extends keyof ClientEvents>(client: AnyClient, event: K): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  client.on(event, (value) => seen.push(value));
  return seen;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls check until it holds or timeoutMs passes. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** The message when a test needs the v1.1 server features. */
export const NEEDS_V11 = "needs a v1.1 service: its listener welcome has no resumeToken yet (turns on by itself once the v1.1 server lands)";

/** The message when a test needs the service's sendAudio route. */
export const NEEDS_AUDIO = 'needs the service\'s sendAudio route (the audio work, docs/PROTOCOL.md v1.1): it answers INVALID_ACTION here (turns on by itself once it lands)';
