import type { ReplayServerOptions, SessionStore, StreamStore } from "@chat-replay/server";
import { createReplayServer, MemorySessionStore, MemoryStreamStore } from "@chat-replay/server";
import { serveNode } from "@chat-replay/server/node";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { afterEach } from "vitest";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The secret every test server signs owner tokens with, so servers over the same stores share owners. */
export const TEST_SECRET = "test-secret-0123456789abcdef";

/**
 * The one test server of every suite (server, client, react): `createReplayServer` with
 * the fast scripted model, the demo tools and {@link TEST_SECRET}, listening on a real
 * loopback port. The caller closes it.
 */
export async function listenReplayServer(options: Partial<ReplayServerOptions> = {}) {
  const server = createReplayServer({
    secret: TEST_SECRET,
    model: createScriptedModel({ defaults: { delayMs: 0 } }),
    tools: createDemoTools(),
    toolApproval: DEMO_TOOL_APPROVAL,
    ...options,
  });
  // As the README serves it on Node: SSE bodies written to the socket by their readers.
  const { url: baseUrl, http, close } = await serveNode(server, { port: 0 });
  return { baseUrl, server, http, close };
}

/**
 * The real replay server on a loopback port, and a cookie-keeping fetch for one owner.
 * Closed after the test (afterEach).
 */
export async function startReplayServer(options: Partial<ReplayServerOptions> = {}) {
  const server = await launchReplayServer(options);
  closers.push(server.close);
  return server;
}

/**
 * {@link startReplayServer} that the caller closes (`close()`), for tests that run
 * concurrently in one file: an afterEach would close the other tests' servers too.
 */
export async function launchReplayServer(options: Partial<ReplayServerOptions> = {}) {
  // One owner per server here starts far more turns than a person would (the chaos
  // suites: hundreds in a few minutes); the per-owner rate limit is the server suite's.
  const { baseUrl, close } = await listenReplayServer({
    ...options,
    limits: { maxTurnsPerMinute: 1_000_000, ...options.limits },
  });
  let cookie = "";
  const ownerFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(input, { ...init, headers });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) cookie = setCookie.split(";")[0] ?? "";
    return response;
  };
  const createSession = async () => {
    const response = await ownerFetch(`${baseUrl}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return ((await response.json()) as { id: string }).id;
  };
  const status = async (sessionId: string) => {
    const response = await ownerFetch(`${baseUrl}/api/sessions/${sessionId}/status`);
    if (!response.ok) throw new Error(`status ${response.status}: ${await response.text()}`);
    return (await response.json()) as {
      turn_status: string;
      curr_run_id: string | null;
      version: number;
    };
  };
  const history = async (sessionId: string) =>
    ((await (await ownerFetch(`${baseUrl}/api/sessions/${sessionId}`)).json()) as { messages: UIMessage[] })
      .messages;
  const cancel = (sessionId: string) =>
    ownerFetch(`${baseUrl}/api/sessions/${sessionId}/cancel`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
  /** Waits (awaited polling) until the session has no active turn. */
  const waitUntilSettled = async (sessionId: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await status(sessionId)).curr_run_id !== null) {
      if (Date.now() > deadline) throw new Error("turn did not settle");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** The owner token (the cookie value), for `Authorization: Bearer`. */
  const token = () => cookie.split("=")[1] ?? "";
  return {
    baseUrl,
    fetch: ownerFetch,
    createSession,
    status,
    history,
    cancel,
    waitUntilSettled,
    token,
    close,
  };
}

/**
 * Wraps fetch so that streaming responses are cut after `cutAfter(n)` bytes with a
 * network TypeError, as a dropped connection looks to a browser.
 */
export function droppingFetch(
  inner: typeof fetch,
  cutAfter: (responseIndex: number) => number | null,
): typeof fetch {
  let responses = 0;
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body || response.headers.get("content-type") !== "text/event-stream") return response;
    const limit = cutAfter(responses++);
    if (limit === null) return response;
    const reader = response.body.getReader();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (sent + value.byteLength >= limit) {
          if (limit > sent) controller.enqueue(value.slice(0, limit - sent));
          sent = limit;
          await reader.cancel();
          controller.error(new TypeError("network error: connection reset"));
          return;
        }
        sent += value.byteLength;
        controller.enqueue(value);
      },
      cancel: () => reader.cancel(),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

/** Assembles the final message from a chunk stream with the AI SDK's reader. */
export async function assembleStream(
  stream: ReadableStream<UIMessageChunk>,
  message?: UIMessage,
): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined = message;
  for await (const snapshot of readUIMessageStream<UIMessage>({
    stream,
    ...(message ? { message } : {}),
    onError: () => {},
  })) {
    last = snapshot;
  }
  return last;
}

/** A user message for sendMessages. */
export function userMessage(text: string): UIMessage {
  return { id: `u-${Math.random().toString(36).slice(2)}`, role: "user", parts: [{ type: "text", text }] };
}

/**
 * The stores of a server whose turn buffers are trimmed (§4: `maxLength`, trimming only
 * through checkpoints), kept by the test so it can ask where a turn's buffer stands.
 * Spread into `startReplayServer`.
 */
export interface TrimmingStores {
  readonly streamStore: StreamStore;
  readonly sessionStore: SessionStore;
  readonly keyPrefix: string;
}

/** In-memory stores whose buffers keep about `maxLength` entries once trimmed. */
export function memoryTrimmingStores(maxLength: number): TrimmingStores {
  return {
    streamStore: new MemoryStreamStore({ maxLength }),
    sessionStore: new MemorySessionStore(),
    keyPrefix: "chat-replay",
  };
}

/**
 * The last entry trimming dropped from the buffer of the session's current (or else last)
 * turn, or null if that buffer was never trimmed (or there is no turn yet).
 */
export async function trimmedThrough(stores: TrimmingStores, sessionId: string): Promise<string | null> {
  const session = await stores.sessionStore.getSession(sessionId);
  const streamId = session?.streamId ?? session?.lastStreamId ?? null;
  if (streamId === null) return null;
  return stores.streamStore.trimmedThrough(`${stores.keyPrefix}:{${sessionId}}:${streamId}`);
}
