import {
  type BufferEntry,
  compareEventCursors,
  type EventCursor,
  parseEventId,
  replayFrames,
} from "@chat-replay/protocol";
import { assembleStream, userMessage } from "@chat-replay/test-fixture";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChatReplayError } from "../src";
import { StreamDisconnectedError } from "../src/replay-errors";
import { createReplayTransport } from "../src/replay-transport";

const SESSION = "s1";
const RUN = "r1";
const entries: BufferEntry[] = [
  { type: "reasoning-start", part: 0, text: "Thinking" },
  { type: "reasoning-delta", part: 0, text: " hard é😀" },
  { type: "reasoning-end", part: 0 },
  { type: "text-start", part: 1, text: "Hello" },
  { type: "text-delta", part: 1, text: " wörld" },
  { type: "tool-input-start", part: 2, toolCallId: "c1", toolName: "search" },
  { type: "tool-input-delta", part: 2, toolCallId: "c1", delta: '{"q":"x"}' },
  { type: "tool-input-available", part: 2, toolCallId: "c1", input: { q: "x" } },
  { type: "tool-output", toolCallId: "c1", output: { hits: 1 } },
  { type: "text-start", part: 3, text: "Done" },
  { type: "end", reason: "final", phase: 0 },
];
const stored = entries.map((entry, index) => ({ id: `1000-${index}`, entry }));
const frames = [...replayFrames(stored)];
const encode = (id: string | null, data: unknown) =>
  `${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`;
const START = encode(null, { type: "start", messageId: `${SESSION}:${RUN}` });
const TAIL = `${encode(null, { type: "finish" })}data: [DONE]\n\n`;
const FULL = START + frames.map((frame) => encode(frame.id, frame.chunk)).join("") + TAIL;

function framesAfter(cursor: EventCursor | null): string {
  const rest = frames.filter(
    (frame) => !cursor || (frame.id && compareEventCursors(parseEventId(frame.id)!, cursor) > 0),
  );
  return START + rest.map((frame) => encode(frame.id, frame.chunk)).join("") + TAIL;
}

/**
 * A body cut after `cut` bytes that then closes without `finish`, as a proxy or a
 * platform's duration cap does. (Network TypeErrors mid-body are covered against the real
 * server in transport-integration.test.ts; MSW turns a failing mock body into a failed fetch.)
 */
function truncated(text: string, cut: number): Uint8Array {
  return new TextEncoder().encode(text).slice(0, cut);
}

/** The id of the last complete id-bearing event within the first `cut` bytes. */
function lastCompleteId(cut: number): string | null {
  const prefix = new TextDecoder().decode(new TextEncoder().encode(FULL).slice(0, cut));
  const complete = prefix.slice(0, prefix.lastIndexOf("\n\n") + 2);
  const ids = [...complete.matchAll(/^id: (.+)$/gm)].map((match) => match[1]!);
  return ids.at(-1) ?? null;
}

const sse = { "content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1" };
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function send(transport: ReturnType<typeof createReplayTransport>) {
  return transport.sendMessages({
    trigger: "submit-message",
    chatId: SESSION,
    messageId: undefined,
    messages: [userMessage("hi")],
    abortSignal: undefined,
  });
}

describe("createReplayTransport (MSW)", () => {
  // Every 3rd byte offset, in slices: each test is short whatever the machine's load, and
  // a generous per-test limit only catches hangs (no test here measures speed).
  const length = new TextEncoder().encode(FULL).length;
  const SLICES = 6;
  for (let slice = 0; slice < SLICES; slice++) {
    const from = 1 + 3 * Math.floor(((length / 3) * slice) / SLICES);
    const to = 1 + 3 * Math.floor(((length / 3) * (slice + 1)) / SLICES);
    it(`§8.50 after a drop at any byte offset (${from}–${Math.min(to, length) - 1} of ${length}) it reconnects with the last pulled id and the message is complete`, {
      timeout: 120_000,
    }, async () => {
      const reference = await assembleStream(await send(transportFor(FULL.length)));
      for (let cut = from; cut < Math.min(to, length); cut += 3) {
        const headers: (string | null)[] = [];
        server.use(
          http.post(
            `http://test/api/sessions/${SESSION}/messages`,
            () => new HttpResponse(truncated(FULL, cut), { headers: sse }),
          ),
          http.get(`http://test/api/sessions/${SESSION}/stream`, ({ request }) => {
            const cursor = request.headers.get("last-event-id");
            headers.push(cursor);
            return new HttpResponse(framesAfter(parseEventId(cursor)), {
              headers: { ...sse, "x-chat-replay-mode": cursor ? "resume" : "full" },
            });
          }),
        );
        const message = await assembleStream(await send(createReplayTransport({ baseUrl: "http://test" })));
        // Once `finish` has fully arrived the turn is complete: no reconnect is needed.
        const prefix = new TextDecoder().decode(new TextEncoder().encode(FULL).slice(0, cut));
        const finished = prefix.includes('data: {"type":"finish"}\n\n');
        expect(headers, `cut at ${cut}`).toEqual(finished ? [] : [lastCompleteId(cut)]);
        expect(message, `cut at ${cut}`).toEqual(reference);
      }
    });
  }

  it("gives up after maxAttempts with a typed, disconnect-shaped error", async () => {
    let attempts = 0;
    server.use(
      http.post(
        `http://test/api/sessions/${SESSION}/messages`,
        () => new HttpResponse(truncated(FULL, 200), { headers: sse }),
      ),
      http.get(`http://test/api/sessions/${SESSION}/stream`, () => {
        attempts++;
        return HttpResponse.error();
      }),
    );
    const transport = createReplayTransport({
      baseUrl: "http://test",
      reconnect: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
    });
    const reader = (await send(transport)).getReader();
    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StreamDisconnectedError);
    expect(error).toBeInstanceOf(TypeError);
    expect(ChatReplayError.isInstance(error)).toBe(true);
    expect(attempts).toBe(3);
    expect(transport.getSnapshot()).toMatchObject({ phase: "gave-up", reconnects: 3 });
  });

  it("a 204 on reconnect ends the stream cleanly", async () => {
    server.use(
      http.post(
        `http://test/api/sessions/${SESSION}/messages`,
        () => new HttpResponse(truncated(FULL, 300), { headers: sse }),
      ),
      http.get(`http://test/api/sessions/${SESSION}/stream`, () => new HttpResponse(null, { status: 204 })),
    );
    const transport = createReplayTransport({ baseUrl: "http://test" });
    const message = await assembleStream(await send(transport));
    expect(message?.id).toBe(`${SESSION}:${RUN}`);
    expect(transport.getSnapshot().phase).toBe("idle");
  });

  it("reconnectToStream returns null on 204 and reports full vs resume through resumeStreamIsReplay", async () => {
    server.use(
      http.get(`http://test/api/sessions/${SESSION}/stream`, () => new HttpResponse(null, { status: 204 })),
    );
    const transport = createReplayTransport({ baseUrl: "http://test" });
    expect(await transport.reconnectToStream({ chatId: SESSION })).toBeNull();
    expect(transport.resumeStreamIsReplay).toBe(true);
  });

  it("a 409 on send is a typed ReplayHttpError with the protocol code", async () => {
    server.use(
      http.post(`http://test/api/sessions/${SESSION}/messages`, () =>
        HttpResponse.json({ error: { code: "turn_active", message: "busy" } }, { status: 409 }),
      ),
    );
    await expect(send(createReplayTransport({ baseUrl: "http://test" }))).rejects.toMatchObject({
      name: "ReplayHttpError",
      status: 409,
      code: "turn_active",
    });
  });
});

function transportFor(_length: number) {
  server.use(
    http.post(`http://test/api/sessions/${SESSION}/messages`, () => new HttpResponse(FULL, { headers: sse })),
  );
  return createReplayTransport({ baseUrl: "http://test" });
}
