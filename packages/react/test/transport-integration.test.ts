import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReplayTransport } from "../src/replay-transport";
import { assembleStream, droppingFetch, startReplayServer, userMessage } from "./server-fixture";

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

  it("§8.48 survives drops at random byte offsets: the message equals the uninterrupted one, no frame twice", async () => {
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
});
