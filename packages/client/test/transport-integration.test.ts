import { MemoryStreamStore } from "@chat-replay/server";
import { assembleStream, droppingFetch, startReplayServer, userMessage } from "@chat-replay/test-fixture";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReplayTransport } from "../src/replay-transport";

const PROMPT = "Explain exact resume [[words=40]] [[reasoning=8]] [[tool=search]] [[chunk=6]] [[delay=1]]";

function send(transport: ReturnType<typeof createReplayTransport>, sessionId: string, text: string) {
  return transport.sendMessages({
    trigger: "submit-message",
    chatId: sessionId,
    messageId: undefined,
    messages: [userMessage(text)],
    abortSignal: undefined,
  });
}

describe("createReplayTransport against the real server", () => {
  it("assembles the same message as the server's history for an uninterrupted turn", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const transport = createReplayTransport({ baseUrl: server.baseUrl, fetch: server.fetch });
    const message = await assembleStream(await send(transport, sessionId, PROMPT));
    const stored = (await server.history(sessionId)).find((item) => item.role === "assistant");
    expect(message).toEqual(stored);
    expect(transport.getSnapshot()).toMatchObject({ reconnects: 0, phase: "idle" });
  });

  it("§8.48 survives drops at random byte offsets: the message equals the uninterrupted one, no frame twice", {
    timeout: 60_000,
  }, async () => {
    const server = await startReplayServer();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 }),
        async (cuts) => {
          const sessionId = await server.createSession();
          const transport = createReplayTransport({
            baseUrl: server.baseUrl,
            fetch: droppingFetch(server.fetch, (index) => cuts[index] ?? null),
            reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
          });
          const message = await assembleStream(await send(transport, sessionId, PROMPT));
          const stored = (await server.history(sessionId)).find((item) => item.role === "assistant");
          expect(message).toEqual(stored);
          expect(transport.getSnapshot().phase).toBe("idle");
        },
      ),
      { numRuns: 25 },
    );
  });

  it("reconnects with Last-Event-ID after a drop mid-part and keeps one stream", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const seen: (string | null)[] = [];
    const base = droppingFetch(server.fetch, (index) => (index === 0 ? 700 : null));
    const transport = createReplayTransport({
      baseUrl: server.baseUrl,
      fetch: async (input, init) => {
        seen.push(new Headers(init?.headers).get("last-event-id"));
        return base(input, init);
      },
    });
    const message = await assembleStream(await send(transport, sessionId, PROMPT));
    expect(transport.getSnapshot().reconnects).toBe(1);
    expect(seen[0]).toBeNull();
    expect(seen[1]).toMatch(/^\d+-\d+:\d+$/);
    expect(message).toEqual((await server.history(sessionId)).find((item) => item.role === "assistant"));
  });

  it("§7 a drop inside a turn snapshot's unnumbered frames resumes from before them and applies them once", async () => {
    // A turn several times the buffer's cap: a response from 0-0 starts with the snapshot group.
    const server = await startReplayServer({
      streamStore: new MemoryStreamStore({ maxLength: 32 }),
      limits: { snapshotEvery: 8 },
    });
    const prompt = "Long [[words=160]] [[reasoning=40]] [[tool=search]] [[chunk=4]]";
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 3 }),
        async (cuts) => {
          const sessionId = await server.createSession();
          const cursors: (string | null)[] = [];
          const transport = createReplayTransport({
            baseUrl: server.baseUrl,
            fetch: snapshotReplays(server, sessionId, cuts, cursors),
            reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
          });
          const message = await assembleStream(await send(transport, sessionId, prompt));
          const stored = (await server.history(sessionId)).find((item) => item.role === "assistant");
          expect(cursors[0]).toBe("0-0");
          expect(message).toEqual(stored);
        },
      ),
      { numRuns: 25 },
    );
  });
});

/**
 * Drops the POST right after its position event (`id: 0-0`), so the transport resumes
 * from `0-0`; holds each `/stream` request until the turn ended (its snapshot is then
 * complete) and cuts the n-th `/stream` response after `cuts[n]` bytes.
 */
function snapshotReplays(
  server: Awaited<ReturnType<typeof startReplayServer>>,
  sessionId: string,
  cuts: readonly number[],
  cursors: (string | null)[],
): typeof fetch {
  const streams = droppingFetch(server.fetch, (index) => cuts[index] ?? null);
  return async (input, init) => {
    if ((init?.method ?? "GET") === "POST") return cutAfterPosition(await server.fetch(input, init));
    cursors.push(new Headers(init?.headers).get("last-event-id"));
    await server.waitUntilSettled(sessionId);
    return streams(input, init);
  };
}

/** The response's body through its position event, then a network error. */
function cutAfterPosition(response: Response): Response {
  const position = "id: 0-0\n\n";
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      text += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const end = text.indexOf(position);
      if (done || end !== -1) {
        controller.enqueue(
          new TextEncoder().encode(end === -1 ? text : text.slice(0, end + position.length)),
        );
      }
      if (done) return controller.close();
      if (end === -1) return; // keep reading: the position event follows `start`
      await reader.cancel();
      controller.error(new TypeError("network error: connection reset"));
    },
    cancel: () => reader.cancel(),
  });
  return new Response(body, { status: response.status, headers: response.headers });
}
