import type { LanguageModelV4 } from "@ai-sdk/provider";
import type { BufferEntry, StoredEntry, TurnSnapshot } from "@chat-replay/protocol";
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterEach } from "vitest";
// The shared test fixture by path: as a package it would make server and fixture depend on
// each other (the fixture runs this package).
import { listenReplayServer, TEST_SECRET } from "../../test-fixture/src/server-fixture";
import { MemoryStreamStore } from "../src/memory-stream-store";
import type { ReplayServerOptions } from "../src/replay-options";
import type { ReplayServer } from "../src/replay-server";
import { createScriptedModel } from "../src/scripted-model";
import type { Checkpoint, SnapshotWrite, StreamReadOptions, StreamStore } from "../src/stream-store";

/** A replay server listening on a real loopback port, with a cookie-carrying client. */
export interface TestServer {
  readonly baseUrl: string;
  readonly server: ReplayServer;
  /** The Node HTTP server (for socket-level assertions). */
  readonly http: import("node:http").Server;
  readonly client: TestClient;
  /** A second owner, for isolation tests. */
  newClient(): TestClient;
  close(): Promise<void>;
}

const open: TestServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

export { TEST_SECRET };

/** Starts a server on 127.0.0.1:0 (the shared test fixture); fast scripted model unless options say otherwise. */
export async function startServer(options: Partial<ReplayServerOptions> = {}): Promise<TestServer> {
  const { baseUrl, server, http, close } = await listenReplayServer(options);
  const testServer: TestServer = {
    baseUrl,
    server,
    http,
    client: new TestClient(baseUrl),
    newClient: () => new TestClient(baseUrl),
    close,
  };
  open.push(testServer);
  return testServer;
}

/** A client that keeps the owner cookie like a browser would. */
export class TestClient {
  cookie: string | null = null;
  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    if (init.body !== undefined && !headers.has("content-type"))
      headers.set("content-type", "application/json");
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0] ?? null;
    return response;
  }

  async createSession(): Promise<string> {
    const response = await this.request("/api/sessions", { method: "POST", body: "{}" });
    if (response.status !== 201) throw new Error(`createSession: ${response.status}`);
    return ((await response.json()) as { id: string }).id;
  }

  send(sessionId: string, text: string, init: RequestInit = {}): Promise<Response> {
    return this.request(`/api/sessions/${sessionId}/messages`, {
      method: "POST",
      body: JSON.stringify({ message: userMessage(text) }),
      ...init,
    });
  }

  stream(sessionId: string, lastEventId?: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (lastEventId !== undefined) headers.set("last-event-id", lastEventId);
    return this.request(`/api/sessions/${sessionId}/stream`, { ...init, headers });
  }

  async status(sessionId: string): Promise<{
    turn_status: string;
    curr_run_id: string | null;
    prompt: string | null;
    prompt_message_id: string | null;
    version: number;
  }> {
    return (await this.request(`/api/sessions/${sessionId}/status`)).json() as never;
  }

  async history(sessionId: string): Promise<UIMessage[]> {
    return ((await (await this.request(`/api/sessions/${sessionId}`)).json()) as { messages: UIMessage[] })
      .messages;
  }

  /** Polls status until `predicate` holds (awaited condition, not a sleep). */
  async waitForStatus(
    sessionId: string,
    predicate: (status: { turn_status: string }) => boolean,
    timeoutMs = 10_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(sessionId);
      if (predicate(status)) return status;
      if (Date.now() > deadline) throw new Error(`status never matched; last ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

let messageCounter = 0;
/** A user UIMessage with a fresh client id. */
export function userMessage(text: string): UIMessage {
  return { id: `user-${++messageCounter}-${Date.now()}`, role: "user", parts: [{ type: "text", text }] };
}

/** One SSE event as eventsource-parser dispatched it. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * Reads an SSE body with eventsource-parser. With `stopAfter`, aborts the connection after
 * that many id-bearing events (a client-side drop) and returns what was dispatched.
 */
export async function readEvents(
  response: Response,
  options: {
    stopAfter?: number;
    abort?: AbortController;
    onEvent?: (event: SseEvent) => void;
    onComment?: (comment: string) => void;
  } = {},
): Promise<{ events: SseEvent[]; comments: string[] }> {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let withIds = 0;
  let stop = false;
  const parser = createParser({
    onEvent: (event: EventSourceMessage) => {
      if (stop) return;
      events.push({ id: event.id, data: event.data });
      options.onEvent?.({ id: event.id, data: event.data });
      if (event.id) withIds++;
      if (options.stopAfter !== undefined && withIds >= options.stopAfter) stop = true;
    },
    onComment: (comment) => {
      comments.push(comment);
      options.onComment?.(comment);
    },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (stop) {
      options.abort?.abort();
      await reader.cancel().catch(() => {});
    }
  }
  return { events, comments };
}

/** The UI message chunks of a list of events (excluding `[DONE]`). */
export function chunksOf(events: readonly SseEvent[]): UIMessageChunk[] {
  return events
    .filter((event) => event.data !== "[DONE]")
    .map((event) => JSON.parse(event.data) as UIMessageChunk);
}

/** Assembles chunks into the final assistant message with the AI SDK's own reader. */
export async function assemble(
  chunks: readonly UIMessageChunk[],
  message?: UIMessage,
): Promise<UIMessage | undefined> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const snapshot of readUIMessageStream<UIMessage>({
    stream,
    ...(message ? { message } : {}),
    onError: () => {},
  })) {
    last = snapshot;
  }
  return last;
}

/** Strips volatile fields so two assembled messages can be compared. */
export function normalize(message: UIMessage | undefined): unknown {
  return JSON.parse(JSON.stringify(message ?? null));
}

/** Reads a whole SSE body as text (for byte-identical comparisons). */
export async function readText(response: Response): Promise<string> {
  return response.text();
}

/** Wraps a model so its streams start only when `open()` is called: a turn that stays running. */
export function gatedModel(inner: LanguageModelV4 = createScriptedModel({ defaults: { delayMs: 0 } })): {
  model: LanguageModelV4;
  open: () => void;
} {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const model: LanguageModelV4 = {
    ...inner,
    doGenerate: (options) => inner.doGenerate(options),
    doStream: async (options) => {
      await Promise.race([
        gate,
        new Promise<void>((_, reject) => {
          options.abortSignal?.addEventListener("abort", () => reject(options.abortSignal?.reason), {
            once: true,
          });
        }),
      ]);
      return inner.doStream(options);
    },
  };
  return { model, open };
}

/** The id-bearing events' ids. */
export function idsOf(events: readonly SseEvent[]): string[] {
  return events.flatMap((event) => (event.id ? [event.id] : []));
}

/** A stream store that counts writes, and can be told to fail reads (fault injection). */
export class InstrumentedStreamStore implements StreamStore {
  appends = 0;
  expires = 0;
  /** Reads (and ranges) fail while this is > 0, decrementing once per failure. */
  failReads = 0;
  constructor(readonly inner: StreamStore = new MemoryStreamStore()) {}
  append(key: string, entry: BufferEntry): Promise<string> {
    this.appends++;
    return this.inner.append(key, entry);
  }
  appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]> {
    this.appends += entries.length;
    return this.inner.appendMany(key, entries);
  }
  async read(key: string, after: string, options?: StreamReadOptions): Promise<StoredEntry[]> {
    this.maybeFail();
    return this.inner.read(key, after, options);
  }
  async range(key: string, min: string, max: string, count?: number): Promise<StoredEntry[]> {
    return this.inner.range(key, min, max, count);
  }
  oldestId(key: string): Promise<string | null> {
    return this.inner.oldestId(key);
  }
  newestId(key: string): Promise<string | null> {
    return this.inner.newestId(key);
  }
  expire(key: string, ttlMs: number): Promise<void> {
    this.expires++;
    return this.inner.expire(key, ttlMs);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  get maxLength(): number {
    return this.inner.maxLength;
  }
  readSnapshot(key: string): Promise<TurnSnapshot | null> {
    return this.inner.readSnapshot(key);
  }
  writeSnapshot(key: string, write: SnapshotWrite): Promise<boolean> {
    return this.inner.writeSnapshot(key, write);
  }
  checkpoint(key: string, entryId: string): Promise<Checkpoint | null> {
    return this.inner.checkpoint(key, entryId);
  }
  trimmedThrough(key: string): Promise<string | null> {
    return this.inner.trimmedThrough(key);
  }
  private maybeFail(): void {
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error("injected read failure");
    }
  }
}

/** Polls `check` until it returns a value (an awaited condition, never a sleep as sync), or throws after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: never happened within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
