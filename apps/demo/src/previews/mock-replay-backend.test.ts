import { createReplayTransport } from "@chat-replay/client";
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { describe, expect, it } from "vitest";
import { createMockFetch } from "./mock-fetch";
import { MockReplayBackend, textEntries } from "./mock-replay-backend";

const words = Array.from({ length: 30 }, (_, index) => `w${index}`);

async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage | undefined> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream<UIMessage>({ stream })) last = message;
  return last;
}

function textOf(message: UIMessage | undefined): string {
  return message?.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("") ?? "";
}

describe("the previews' mock replay backend", () => {
  it("streams a turn the real transport assembles into the whole answer", async () => {
    const backend = new MockReplayBackend({
      sessionId: "s",
      replyTo: (prompt) => ({ prompt, entries: textEntries(words, 0), entryDelayMs: 1 }),
    });
    const transport = createReplayTransport({ sessionId: "s", fetch: createMockFetch(backend.handlers) });
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: "s",
      messageId: undefined,
      abortSignal: undefined,
      messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] }],
    });
    const message = await assemble(stream);
    expect(message?.id).toBe("s:preview-run-1");
    expect(textOf(message)).toBe(words.join(" "));
    backend.dispose();
  });

  it("fails the first stream mid-turn and resumes from Last-Event-ID to the same answer", async () => {
    const backend = new MockReplayBackend({
      sessionId: "s",
      activeTurn: { prompt: "p", entries: textEntries(words, 0), entryDelayMs: 1, dropAfterFrames: 7 },
    });
    const fetch = createMockFetch(backend.handlers);
    const transport = createReplayTransport({ sessionId: "s", fetch, reconnect: { initialDelayMs: 1 } });
    const stream = await transport.reconnectToStream({ chatId: "s" });
    expect(stream).not.toBeNull();
    const message = await assemble(stream!);
    expect(textOf(message)).toBe(words.join(" "));
    expect(transport.getSnapshot().reconnects).toBe(1);
    backend.dispose();
  });
});
