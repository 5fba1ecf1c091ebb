// @vitest-environment jsdom
import { createScriptedModel } from "@chat-replay/server/testing";
import {
  droppingFetch,
  memoryTrimmingStores,
  redisStoresOrSkip,
  startReplayServer,
  type TrimmingStores,
  trimmedThrough,
} from "@chat-replay/test-fixture";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { generateText, type UIMessage } from "ai";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { type UseVercelChatOptions, useVercelChat } from "../src/use-vercel-chat";

/**
 * §8.56: turns much longer than the buffer's cap (max-len 64: the buffer is trimmed through
 * checkpoints dozens of times while the turn runs), seen through useVercelChat. A page
 * reload mid-turn (no cursor: the full replay is the turn snapshot plus the tail) and a drop
 * long enough for the trim to pass the cursor (stale cursor: replay rebuild) must both end
 * with one bubble holding the whole answer once; the reloaded page never shows the answer
 * shorter than it already did. Every wait is for a condition, never for time.
 */
afterEach(() => cleanup());

const MAX_LENGTH = 64;
/** About 2,500 model deltas: 40× the cap. */
const RELOAD_PROMPT = "Explain the long answer [[reasoning=100]] [[words=2400]] [[delay=0]]";
/** The model stops before this chunk until the test lets it go on: the turn is mid-way. */
const HOLD_AT = 1500;
/** 2,000 reasoning deltas, then a tool call that waits for approval; then 2,000 + 1,200 more. */
const APPROVAL_PROMPT =
  "Deploy after thinking it through [[reasoning=2000]] [[words=1200]] [[approval]] [[delay=0]]";

type Server = Awaited<ReturnType<typeof startReplayServer>>;
type Stores = { stores: TrimmingStores; cleanup: () => Promise<void> };

/** The scripted model, held before chunk `holdAt` of its stream until `release()`. */
function heldModel(holdAt: number) {
  const inner = createScriptedModel({ defaults: { delayMs: 0 } });
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let index = 0;
  const model: typeof inner = {
    ...inner,
    doGenerate: (options) => inner.doGenerate(options),
    doStream: async (options) => {
      const result = await inner.doStream(options);
      const hold = new TransformStream<unknown, unknown>({
        async transform(part, controller) {
          if (index++ === holdAt) {
            reach();
            await released;
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(hold) as typeof result.stream };
    },
  };
  return { model, reached, release };
}

/**
 * The answer (text and reasoning of the answering step) the scripted model gives to a
 * prompt, computed without the replay server. The scripted model seeds on the prompt
 * without its directives, so a tool turn's final answer is the plain prompt's answer.
 */
async function expectedAnswer(
  prompt: string,
): Promise<{ text: string; reasoning: string; reasoningAfterTool: string }> {
  const model = createScriptedModel({ defaults: { delayMs: 0 } });
  const plain = prompt.replace("[[approval]]", "");
  const { content } = await generateText({ model, prompt: plain });
  const join = (parts: typeof content, type: "text" | "reasoning") =>
    parts.flatMap((part) => (part.type === type ? [part.text] : [])).join("");
  // After a tool result the scripted model reasons anew (new words, never a repeat).
  const afterTool = await generateText({
    model,
    messages: [
      { role: "user", content: plain },
      {
        role: "assistant",
        content: [{ type: "tool-call", toolCallId: "c1", toolName: "approve_action", input: {} }],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "c1",
            toolName: "approve_action",
            output: { type: "json", value: {} },
          },
        ],
      },
    ],
  });
  return {
    text: join(content, "text"),
    reasoning: join(content, "reasoning"),
    reasoningAfterTool: join(afterTool.content, "reasoning"),
  };
}

const partsText = (message: UIMessage | undefined, type: "text" | "reasoning") =>
  message?.parts.flatMap((part) => (part.type === type ? [part.text] : [])) ?? [];
const textOf = (message: UIMessage | undefined) => partsText(message, "text").join("");
const assistants = (messages: UIMessage[]) => messages.filter((message) => message.role === "assistant");
const occurrences = (text: string, part: string) => text.split(part).length - 1;

/** What the bubble showed in one render. */
interface Render {
  readonly text: string;
  readonly reasoning: readonly string[];
}

/**
 * Mounts useVercelChat as a fresh page would: its own QueryClient and transport. Records
 * what the assistant bubble shows on every render.
 */
function mountPage(server: Server, sessionId: string, options: Partial<UseVercelChatOptions> = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
  const renders: Render[] = [];
  const view = renderHook(
    () => {
      const chat = useVercelChat({
        sessionId,
        baseUrl: server.baseUrl,
        fetch: server.fetch,
        statusIntervals: { active: 20, idle: 40 },
        reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
        ...options,
      });
      const bubble = assistants(chat.messages).at(-1);
      renders.push({ text: textOf(bubble), reasoning: partsText(bubble, "reasoning") });
      return chat;
    },
    { wrapper },
  );
  return { ...view, renders };
}

async function settledHistory(server: Server, sessionId: string) {
  await server.waitUntilSettled(sessionId, 30_000);
  return server.history(sessionId);
}

/** The whole answer once, in one bubble equal to the stored one. */
function expectWholeAnswerOnce(messages: UIMessage[], history: UIMessage[], expected: string) {
  expect(messages).toEqual(history);
  const bubbles = assistants(messages);
  expect(bubbles).toHaveLength(1);
  expect(textOf(bubbles[0])).toBe(expected);
  expect(occurrences(textOf(bubbles[0]), expected.slice(0, 60))).toBe(1);
}

/** Every render shows a prefix of the answer: nothing duplicated or garbled at any time. */
function expectEveryRenderAPrefix(
  renders: readonly Render[],
  expected: { text: string; reasoning: string; reasoningAfterTool: string },
) {
  const wrong = renders.findIndex(
    (render) =>
      !expected.text.startsWith(render.text) ||
      render.reasoning.some(
        (reasoning, index) =>
          !(index === 0 ? expected.reasoning : expected.reasoningAfterTool).startsWith(reasoning),
      ),
  );
  expect(wrong, `render ${wrong} shows more than a prefix of the answer`).toBe(-1);
}

/** Renders where the bubble's text got shorter than in the render before. */
function shrinks(renders: readonly Render[]): string[] {
  return renders.flatMap((render, index) =>
    index > 0 && render.text.length < renders[index - 1]!.text.length
      ? [`render ${index}: ${renders[index - 1]!.text.length} → ${render.text.length}`]
      : [],
  );
}

/**
 * A fetch whose first `/stream` request with a cursor waits until `networkBack()`; records
 * every `/stream` request's cursor and the replay mode of the answer.
 */
function heldReconnect(inner: typeof fetch) {
  let cursor: string | null = null;
  let networkBack!: () => void;
  const back = new Promise<void>((resolve) => {
    networkBack = resolve;
  });
  const streams: { cursor: string | null; mode: string | null }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!String(input).includes("/stream")) return inner(input, init);
    const sent = new Headers(init?.headers).get("last-event-id");
    if (sent && cursor === null) {
      cursor = sent;
      await back;
    }
    const response = await inner(input, init);
    streams.push({ cursor: sent, mode: response.headers.get("x-chat-replay-mode") });
    return response;
  };
  return { fetch, networkBack, heldCursor: () => cursor, streams };
}

/** Whether the server now answers this cursor with `x-chat-replay-cursor: stale`. */
async function isStale(server: Server, sessionId: string, cursor: string): Promise<boolean> {
  const probe = await server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/stream`, {
    headers: { "last-event-id": cursor },
  });
  await probe.body?.cancel();
  return probe.headers.get("x-chat-replay-cursor") === "stale";
}

function describeLongTurnHook(
  name: string,
  createStores: (skip: (note?: string) => never) => Promise<Stores>,
) {
  describe(`useVercelChat on turns longer than max-len ${MAX_LENGTH} (${name} stores)`, () => {
    it(`§8.56 reload in the middle of a turn longer than max-len shows the whole answer once: one bubble, never duplicated, never shorter again (${name})`, {
      timeout: 60_000,
    }, async (context) => {
      const { stores, cleanup } = await createStores(context.skip);
      const held = heldModel(HOLD_AT);
      try {
        const server = await startReplayServer({ ...stores, model: held.model });
        const sessionId = await server.createSession();
        const expected = await expectedAnswer(RELOAD_PROMPT);

        const first = mountPage(server, sessionId);
        void first.result.current.sendMessage({ text: RELOAD_PROMPT });
        await held.reached;
        await waitFor(() => expect(textOf(assistants(first.result.current.messages)[0])).not.toBe(""));
        expect(expected.text.startsWith(textOf(assistants(first.result.current.messages)[0]))).toBe(true);
        // The reload comes after trimming: the start of the turn is gone from the buffer.
        expect(await trimmedThrough(stores, sessionId)).not.toBeNull();
        expect((await server.status(sessionId)).turn_status).toBe("running");
        first.unmount();

        // The reloaded page: fresh transport and QueryClient, no cursor. The turn runs on as
        // soon as the page asks for the stream, so the replay races the live tail.
        const streams: { cursor: string | null; mode: string | null }[] = [];
        const second = mountPage(server, sessionId, {
          fetch: async (input, init) => {
            if (!String(input).includes("/stream")) return server.fetch(input, init);
            held.release();
            const response = await server.fetch(input, init);
            streams.push({
              cursor: new Headers(init?.headers).get("last-event-id"),
              mode: response.headers.get("x-chat-replay-mode"),
            });
            return response;
          },
        });
        const history = await settledHistory(server, sessionId);
        await waitFor(() => expect(second.result.current.messages).toEqual(history), { timeout: 10_000 });

        expectWholeAnswerOnce(second.result.current.messages, history, expected.text);
        expect(streams[0]).toEqual({ cursor: null, mode: "full" });
        // It attached mid-turn: it showed part of the answer before the whole of it.
        expect(
          second.renders.some((render) => render.text !== "" && render.text.length < expected.text.length),
        ).toBe(true);
        expectEveryRenderAPrefix(second.renders, expected);
        // No flicker back: once the bubble shows text, it never shows less.
        const firstShown = second.renders.findIndex((render) => render.text !== "");
        expect(shrinks(second.renders.slice(firstShown))).toEqual([]);
      } finally {
        held.release();
        await cleanup();
      }
    });

    it(`§8.56 a cursor that goes stale mid-turn (the drop outlasts the trim while the turn runs on to an approval pause) is rebuilt from the replay: one bubble with the whole answer, never duplicated (${name})`, {
      timeout: 60_000,
    }, async (context) => {
      const { stores, cleanup } = await createStores(context.skip);
      try {
        const server = await startReplayServer(stores);
        const sessionId = await server.createSession();
        const expected = await expectedAnswer(APPROVAL_PROMPT);

        // The POST body drops after 20 kB, inside the reasoning; the reconnect with its cursor
        // hangs (the network is down) while the turn runs on to its approval pause, trimming
        // its buffer far past the cursor.
        const network = heldReconnect(droppingFetch(server.fetch, (index) => (index === 0 ? 20_000 : null)));
        const page = mountPage(server, sessionId, { fetch: network.fetch });
        void page.result.current.sendMessage({ text: APPROVAL_PROMPT });
        await waitFor(() => expect(network.heldCursor()).not.toBeNull(), { timeout: 10_000 });
        await waitFor(
          async () => expect((await server.status(sessionId)).turn_status).toBe("waiting_for_approval"),
          { timeout: 20_000 },
        );
        const before = partsText(assistants(page.result.current.messages)[0], "reasoning").join("");
        expect(before).not.toBe("");
        expect(before.length).toBeLessThan(expected.reasoning.length);
        expect(await trimmedThrough(stores, sessionId)).not.toBeNull();
        expect(await isStale(server, sessionId, network.heldCursor()!)).toBe(true);

        // Back online: stale cursor → StaleCursorError → the hook re-attaches without a cursor
        // and the AI SDK rebuilds the bubble from the replay (snapshot + tail). History hides
        // the active run, so only the replay can fill it.
        network.networkBack();
        const approvalRequested = () =>
          assistants(page.result.current.messages)[0]?.parts.find(
            (part) => "state" in part && part.state === "approval-requested",
          );
        await waitFor(() => expect(approvalRequested()).toBeDefined(), { timeout: 10_000 });
        expect(page.result.current.connection.staleCursors).toBe(1);
        // The held reconnect met a stale cursor; the re-attach sent none and got a full replay.
        expect(network.streams.slice(0, 2)).toEqual([
          { cursor: network.heldCursor(), mode: "full" },
          { cursor: null, mode: "full" },
        ]);
        expect(assistants(page.result.current.messages)).toHaveLength(1);
        expect(partsText(assistants(page.result.current.messages)[0], "reasoning")).toEqual([
          expected.reasoning,
        ]);

        // Approve: the continuation (another 3,200 entries, trimmed again) appends to the bubble.
        const part = approvalRequested();
        const approvalId = part && "approval" in part && part.approval ? part.approval.id : "";
        await act(async () => {
          await page.result.current.addToolApprovalResponse({ id: approvalId, approved: true });
        });
        await act(() => page.result.current.sendMessage());
        const history = await settledHistory(server, sessionId);
        await waitFor(() => expect(page.result.current.messages).toEqual(history), { timeout: 10_000 });

        expectWholeAnswerOnce(page.result.current.messages, history, expected.text);
        expect(partsText(assistants(page.result.current.messages)[0], "reasoning")).toEqual([
          expected.reasoning,
          expected.reasoningAfterTool,
        ]);
        expect(expected.reasoningAfterTool).not.toBe(expected.reasoning);
        expect(page.result.current.connection.staleCursors).toBe(1);
        expectEveryRenderAPrefix(page.renders, expected);
      } finally {
        await cleanup();
      }
    });
  });
}

describe("useVercelChat on turns longer than max-len: stale cursors mid-turn", () => {
  /**
   * Was a defect: ReplayTransport.acceptReconnect read a stale answer to its end (to tell
   * finish-only from a full replay), and for a running turn that body ends only with the
   * turn, so the replay rebuild waited for it. The server now says `finish-only` in
   * `x-chat-replay-mode` and the transport reads the header, never the body.
   */
  it("§8.56 a cursor that goes stale while the turn still runs is rebuilt while it runs, not only after it ended", {
    timeout: 30_000,
  }, async () => {
    const stores = memoryTrimmingStores(MAX_LENGTH);
    const held = heldModel(HOLD_AT);
    try {
      const server = await startReplayServer({ ...stores, model: held.model });
      const sessionId = await server.createSession();
      const network = heldReconnect(droppingFetch(server.fetch, (index) => (index === 0 ? 20_000 : null)));
      const page = mountPage(server, sessionId, { fetch: network.fetch });
      void page.result.current.sendMessage({ text: RELOAD_PROMPT });
      await waitFor(() => expect(network.heldCursor()).not.toBeNull(), { timeout: 10_000 });
      await held.reached;
      const before = textOf(assistants(page.result.current.messages)[0]);
      expect(await isStale(server, sessionId, network.heldCursor()!)).toBe(true);
      network.networkBack();
      await waitFor(() => expect(page.result.current.connection.staleCursors).toBe(1));
      // The model is still held: only a replay rebuild can show more than before the drop.
      await waitFor(
        () =>
          expect(textOf(assistants(page.result.current.messages)[0]).length).toBeGreaterThan(before.length),
        { timeout: 2_000 },
      );
    } finally {
      held.release();
    }
  });
});

describeLongTurnHook("memory", async () => ({
  stores: memoryTrimmingStores(MAX_LENGTH),
  cleanup: async () => {},
}));

describeLongTurnHook("Redis", async (skip) => {
  const redis = await redisStoresOrSkip(skip, { maxLength: MAX_LENGTH });
  return { stores: redis.stores.serverOptions, cleanup: redis.cleanup };
});
