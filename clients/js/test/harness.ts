// The real service for the tests: the Go binary in local mode over a
// moto_server, both started here on free loopback ports and stopped by PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { WebSocket } from 'ws';

import type { WebSocketConstructor } from '@livecast/sessions-client';

/** `ws`'s client: Node 20 has no global WebSocket. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/** A frame a client sent, and when. */
export interface SentFrame {
  at: number;
  frame: Record<string, unknown>;
}

/** A WebSocket constructor that records every frame its sockets send. */
export function recordingWebSocket(): { WebSocket: WebSocketConstructor; sent: SentFrame[] } {
  const sent: SentFrame[] = [];
  class Recording extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') sent.push({ at: Date.now(), frame: JSON.parse(data) as Record<string, unknown> });
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { WebSocket: Recording as unknown as WebSocketConstructor, sent };
}

/** The repository root: the nearest parent holding go.mod. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'go.mod'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('go.mod not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

let built: string | undefined;

/** The service binary: $SESSIONS_BIN when set (make test builds it once), else built now. */
export function serviceBinary(): string {
  if (process.env.SESSIONS_BIN) return process.env.SESSIONS_BIN;
  if (built === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sessions-js-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'sessions');
    execFileSync('go', ['build', '-o', out, '.'], { cwd: repoRoot(), stdio: ['ignore', 'inherit', 'inherit'] });
    built = out;
  }
  return built;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Children still running when this process exits (a test that threw before its after hook) are killed by PID. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of running) if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
});

/** A child process stopped by its PID: SIGTERM, then SIGKILL if it lingers. */
class Child {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  constructor(readonly name: string, readonly proc: ChildProcess) {
    running.add(proc);
    this.exited = new Promise((resolve) =>
      proc.once('exit', () => {
        running.delete(proc);
        resolve();
      }),
    );
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (this.output.length > 2000) this.output.splice(0, 1000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    if (process.env.SESSIONS_TEST_LOG) {
      // Shows the service's log live when chasing a failure.
      proc.stdout?.pipe(process.stderr);
      proc.stderr?.pipe(process.stderr);
    }
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running || this.proc.pid === undefined) return;
    process.kill(this.proc.pid, 'SIGTERM');
    const killed = setTimeout(() => {
      if (this.running && this.proc.pid !== undefined) process.kill(this.proc.pid, 'SIGKILL');
    }, 5000);
    await this.exited;
    clearTimeout(killed);
  }
}

async function waitUntil(what: string, child: Child, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${what} exited early:\n${child.output.join('')}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms:\n${child.output.join('')}`);
}

/** A running local mode and its emulator. */
export interface LocalService {
  /** ws://127.0.0.1:port/local */
  wsURL: string;
  httpURL: string;
  port: number;
  /** A speaker token from POST /dev/token; ttlSeconds < 0 mints an expired one. */
  token(sub?: string, ttlSeconds?: number): Promise<string>;
  /** Whether this service speaks v1.1 (its listener welcomes carry resumeToken). */
  v11(): Promise<boolean>;
  /** Whether a speaker's action is routed (not refused INVALID_ACTION): sendAudio came with the audio work. */
  routes(action: string): Promise<boolean>;
  /** The service's log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** Defaults that let a test open many connections from one address. */
const TEST_ENV: Record<string, string> = {
  RATE_LIMIT_LISTENER_JOINS_PER_MIN: '1000',
  RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN: '1000',
  RATE_LIMIT_SESSIONS_PER_HOUR: '1000',
  RATE_LIMIT_HEARTBEATS_PER_MIN: '1000',
  LOG_LEVEL: 'warn',
};

/** Starts moto_server and the service with env (added to TEST_ENV) and extra flags of `sessions local` (e.g. -audio-loopback). */
export async function startService(env: Record<string, string> = {}, flags: string[] = []): Promise<LocalService> {
  const bin = serviceBinary();
  const motoPort = await freePort();
  // MOTO_PYTHON is the interpreter that has moto: the Makefile points it at
  // the project's virtual environment when the system Python lacks moto.
  const moto = new Child(
    'moto_server',
    spawn(process.env.MOTO_PYTHON || 'python3', [path.join(repoRoot(), 'local', 'motoserver', 'serve.py'), String(motoPort)], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let service: Child | undefined;
  try {
    await waitUntil('moto_server', moto, async () => (await fetch(`http://127.0.0.1:${motoPort}/moto-api/`)).ok);
    const port = await freePort();
    const httpURL = `http://127.0.0.1:${port}`;
    service = new Child(
      'sessions local',
      spawn(bin, ['local', '-addr', `127.0.0.1:${port}`, ...flags], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          // moto serves every AWS API the service may use (DynamoDB, and Kinesis for audio).
          AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
          AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${motoPort}`,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
          ...TEST_ENV,
          ...(['debug', 'info'].includes(process.env.SESSIONS_TEST_LOG ?? '') ? { LOG_LEVEL: process.env.SESSIONS_TEST_LOG } : {}),
          ...env,
        },
      }),
    );
    const svc = service;
    const token = async (sub = 'alice', ttlSeconds?: number): Promise<string> => {
      const form = new URLSearchParams({ sub });
      if (ttlSeconds !== undefined) form.set('ttlSeconds', String(ttlSeconds));
      const res = await fetch(`${httpURL}/dev/token`, { method: 'POST', body: form });
      if (!res.ok) throw new Error(`POST /dev/token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    };
    await waitUntil('sessions local', svc, async () => (await token()).length > 0);
    let v11: Promise<boolean> | undefined;
    const routes = new Map<string, Promise<boolean>>();
    return {
      wsURL: `ws://127.0.0.1:${port}/local`,
      httpURL,
      port,
      token,
      v11: () => (v11 ??= probeV11(`ws://127.0.0.1:${port}/local`, token)),
      routes(action) {
        let known = routes.get(action);
        if (known === undefined) {
          known = probeRoute(`ws://127.0.0.1:${port}/local`, token, action);
          routes.set(action, known);
        }
        return known;
      },
      logs: () => svc.output.join(''),
      async stop() {
        await svc.stop();
        await moto.stop();
      },
    };
  } catch (err) {
    await service?.stop();
    await moto.stop();
    throw err;
  }
}

/** Asks the service itself: a v1.1 listener welcome carries resumeToken. */
async function probeV11(wsURL: string, token: (sub?: string) => Promise<string>): Promise<boolean> {
  const speaker = await rawWelcome(`${wsURL}?action=createSession&sourceLanguage=en&qualityTier=standard&token=${await token('probe')}`);
  try {
    const sessionId = String(speaker.welcome.sessionId);
    const listener = await rawWelcome(`${wsURL}?action=joinSession&sessionId=${sessionId}&targetLanguage=es`);
    listener.ws.close(1000);
    return typeof listener.welcome.resumeToken === 'string';
  } finally {
    speaker.ws.close(1000);
  }
}

/** Sends action without its fields: an unrouted action is INVALID_ACTION, a routed one is refused otherwise (or not at all). */
async function probeRoute(wsURL: string, token: (sub?: string) => Promise<string>, action: string): Promise<boolean> {
  const speaker = await rawWelcome(`${wsURL}?action=createSession&sourceLanguage=en&qualityTier=standard&token=${await token('probe')}`);
  try {
    const answer = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), 2000);
      speaker.ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { type?: string; code?: string };
        if (msg.type !== 'error') return;
        clearTimeout(timer);
        resolve(msg.code !== 'INVALID_ACTION');
      });
    });
    speaker.ws.send(JSON.stringify({ action }));
    return await answer;
  } finally {
    speaker.ws.close(1000);
  }
}

function rawWelcome(url: string): Promise<{ ws: WebSocket; welcome: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('error', reject);
    ws.once('message', (data) => resolve({ ws, welcome: JSON.parse(data.toString()) as Record<string, unknown> }));
  });
}

/**
 * A TCP proxy the test controls: drop() destroys every proxied connection on
 * both sides at once, with no close frame, as a network does when a phone
 * leaves Wi-Fi; freeze() stops forwarding without closing anything (a link
 * that died silently); block() refuses new connections until unblock().
 */
export interface DroppingProxy {
  port: number;
  wsURL: string;
  /** How many connections it has forwarded. */
  accepted: number;
  /** When it refused connections while blocked (Date.now()). */
  refusedAt: number[];
  drop(): void;
  freeze(): void;
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<DroppingProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let accepted = 0;
  let blocked = false;
  const refusedAt: number[] = [];
  const server = net.createServer((client) => {
    if (blocked) {
      refusedAt.push(Date.now());
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const drop = (): void => {
    for (const [client, upstream] of pairs) {
      // resetAndDestroy sends RST: no FIN, no close frame, like a dead link.
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port,
    wsURL: `ws://127.0.0.1:${port}/local`,
    get accepted() {
      return accepted;
    },
    refusedAt,
    drop,
    freeze() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    close() {
      drop();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
