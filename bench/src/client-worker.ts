// Row 6, in its own process (a clean heap, and jsdom's globals stay out of the other rows):
// client CPU of createReplayTransport vs the AI SDK's DefaultChatTransport on the same
// 5 MB UI message stream, and React commits per second while useVercelChat streams answers
// at several token rates, with its default throttle and with `throttle: 0`.

import { createReplayTransport } from "@chat-replay/client";
import {
  encodeSseChunk,
  encodeSseEvent,
  encodeSseFrame,
  INITIAL_ADAPTER_STATE,
  replayFrames,
  SSE_FINISH,
  type StoredEntry,
} from "@chat-replay/protocol";
import { DEFAULT_RENDER_THROTTLE_MS, type UseVercelChatResult, useVercelChat } from "@chat-replay/react";
import { DefaultChatTransport, type UIMessage, type UIMessageChunk } from "ai";
import { createElement, Profiler } from "react";
import { DELTA_TEXT } from "./context";
import { serveOps } from "./ipc";
import { median, now, sleep } from "./stats";

const SESSION = "bench-session";
const RUN = "bench-run";

/** A turn's SSE events as our server sends them (the protocol's encoder), split around its deltas. */
interface TurnEvents {
  /** `start`, the position event, `text-start`. */
  readonly head: string[];
  /** One event per text delta, in order. */
  readonly deltas: string[];
  /** `text-end`, then `finish` and `[DONE]`. */
  readonly tail: string[];
}

/** Our server's events for a turn whose text deltas are `texts`, in order. */
function turnEvents(texts: readonly string[]): TurnEvents {
  const entries: StoredEntry[] = [{ id: "1700000000000-0", entry: { type: "text-start", part: 0 } }];
  texts.forEach((text, offset) => {
    const index = offset + 1;
    entries.push({
      id: `${1700000000000 + Math.floor(index / 4096)}-${index % 4096}`,
      entry: { type: "text-delta", part: 0, text },
    });
  });
  entries.push({ id: "1800000000000-0", entry: { type: "end", reason: "final", phase: 0 } });
  const events: TurnEvents = {
    head: [encodeSseChunk({ type: "start", messageId: `${SESSION}:${RUN}` }), encodeSseEvent({ id: "0-0" })],
    deltas: [],
    tail: [],
  };
  for (const frame of replayFrames(entries, { state: INITIAL_ADAPTER_STATE })) {
    const target =
      frame.chunk.type === "text-delta" ? events.deltas : events.deltas.length ? events.tail : events.head;
    target.push(encodeSseFrame(frame));
  }
  events.tail.push(SSE_FINISH);
  if (events.deltas.length !== texts.length) throw new Error("one delta frame per text expected");
  return events;
}

/** The whole body of a turn of `deltas` deltas of {@link DELTA_TEXT}. */
function turnStream(deltas: number): string {
  const events = turnEvents(Array.from({ length: deltas }, () => DELTA_TEXT));
  return [...events.head, ...events.deltas, ...events.tail].join("");
}

const SSE_HEADERS = { "content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1" };

/** A fetch that answers every request with `bytes`, in 64 KiB pieces (what a socket delivers). */
function bodyFetch(bytes: Uint8Array): typeof fetch {
  return (async () => {
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(offset, offset + 65_536));
        offset += 65_536;
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  }) as typeof fetch;
}

const userMessage: UIMessage = { id: "prompt-1", role: "user", parts: [{ type: "text", text: "hi" }] };

async function drain(stream: ReadableStream<UIMessageChunk>): Promise<number> {
  const reader = stream.getReader();
  let chunks = 0;
  for (;;) {
    const { done } = await reader.read();
    if (done) return chunks;
    chunks++;
  }
}

async function cpuOf(consume: () => Promise<number>): Promise<{ cpuMs: number; chunks: number }> {
  const before = process.cpuUsage();
  const chunks = await consume();
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000, chunks };
}

/** A streaming pace: `words` text deltas (one word each), `msPerWord` apart. */
interface Rate {
  readonly msPerWord: number;
  readonly words: number;
}

/** One measured answer (see the `commits` op). */
export interface StreamRun {
  readonly msPerWord: number;
  readonly words: number;
  /** The `throttle` passed to useVercelChat; `null`: not passed (its default). */
  readonly throttle: number | null;
  /** React commits from the first delta's arrival to the commit that shows the whole text. */
  readonly commits: number;
  /** Those commits by what changed in the chat's render before each: see {@link Cause}. */
  readonly commitsBy: Record<Cause, number>;
  /** That window, in ms (real clock). */
  readonly streamMs: number;
  readonly commitsPerSec: number;
  /** Most commits in any 1 s of the window (null when the window is shorter). */
  readonly peakCommitsPerSec: number | null;
  /** First to last delta handed to the client by the fake network. */
  readonly producerMs: number;
  /** The rendered answer equals the streamed text. */
  readonly complete: boolean;
  readonly renderedChars: number;
  readonly expectedChars: number;
}

interface Timing {
  firstDeltaAt: number;
  lastDeltaAt: number;
}

/**
 * What changed in a render of the chat, checked in this order: the (throttled) message
 * list, the transport's connection state (its notifications are coalesced per 100 ms), the
 * chat's status, anything else (session status, ...).
 */
type Cause = "messages" | "connection" | "status" | "other";

/** The measurement in progress: every commit's time and when the whole text was first committed. */
interface Probe {
  /** Length of the answer in the last render of the chat. */
  renderedLength: number;
  /** What the last render of the chat saw, and what changed in it. */
  seen: { messages: unknown; connection: unknown; status: unknown } | null;
  cause: Cause;
  readonly expectedLength: number;
  readonly commits: { at: number; cause: Cause }[];
  completeAt: number | null;
}

let probe: Probe | null = null;

const LOREM =
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua".split(
    " ",
  );

const textOf = (message: UIMessage): string =>
  message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");

/** The chat under test: useVercelChat (its default throttle unless `throttle` is given), rendering every text part. */
function ChatView(props: {
  fetch: typeof fetch;
  throttle: number | undefined;
  onChat: (chat: UseVercelChatResult) => void;
}) {
  const chat = useVercelChat({
    sessionId: SESSION,
    baseUrl: "http://bench",
    fetch: props.fetch,
    statusIntervals: { active: 600_000, idle: 600_000 },
    ...(props.throttle === undefined ? {} : { throttle: props.throttle }),
  });
  props.onChat(chat);
  const answer = chat.messages.findLast((message) => message.role === "assistant");
  if (probe) {
    const seen = probe.seen;
    probe.cause =
      seen === null || seen.messages !== chat.messages
        ? "messages"
        : seen.connection !== chat.connection
          ? "connection"
          : seen.status !== chat.status
            ? "status"
            : "other";
    probe.seen = { messages: chat.messages, connection: chat.connection, status: chat.status };
    probe.renderedLength = answer ? textOf(answer).length : -1;
  }
  return createElement(
    "div",
    null,
    chat.messages.map((message) =>
      createElement("p", { key: message.id, "data-role": message.role }, textOf(message)),
    ),
  );
}

/**
 * The chat's network: idle status, empty history, and the turn's events for the POST, the
 * deltas paced by the real clock (delta i is due `(i + 1) * msPerWord` after the head):
 * each read hands over every delta that is due, like a socket read.
 */
function pacedFetch(events: TurnEvents, msPerWord: number, timing: Timing): typeof fetch {
  const encoder = new TextEncoder();
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const json = (value: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(value), { headers: { "content-type": "application/json", ...headers } });
    if (url.endsWith("/status")) {
      return json(
        { turn_status: "idle", curr_run_id: null, prompt: null, prompt_message_id: null, version: 0 },
        { etag: '"bench.0"' },
      );
    }
    if (init?.method === "POST" && url.endsWith("/messages")) {
      let started = Number.NaN;
      let sent = 0;
      let ended = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (Number.isNaN(started)) {
            controller.enqueue(encoder.encode(events.head.join("")));
            started = now();
            return;
          }
          if (sent === events.deltas.length) {
            if (!ended) controller.enqueue(encoder.encode(events.tail.join("")));
            ended = true;
            controller.close();
            return;
          }
          let due = Math.min(events.deltas.length, Math.floor((now() - started) / msPerWord));
          while (due <= sent) {
            await sleep(Math.max(0, started + (sent + 1) * msPerWord - now()));
            due = Math.min(events.deltas.length, Math.floor((now() - started) / msPerWord));
          }
          const at = now();
          if (sent === 0) timing.firstDeltaAt = at;
          if (due === events.deltas.length) timing.lastDeltaAt = at;
          controller.enqueue(encoder.encode(events.deltas.slice(sent, due).join("")));
          sent = due;
        },
      });
      return new Response(body, { headers: SSE_HEADERS });
    }
    return json({ id: SESSION, messages: [] });
  }) as typeof fetch;
}

/** Most of the (sorted) times in any 1,000 ms; null when they span less than that. */
function peakPerSecond(times: readonly number[]): number | null {
  if (times.length === 0 || times.at(-1)! - times[0]! < 1000) return null;
  let peak = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while (times[to]! - times[from]! >= 1000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

serveOps({
  /** CPU to consume the same ~5 MB stream through each transport, alternating, after warm-up. */
  cpu: async (args) => {
    const targetBytes = Number(args.bytes ?? 5_000_000);
    const reps = Number(args.reps ?? 9);
    const perDelta = Buffer.byteLength(turnStream(2000)) / 2000;
    const text = turnStream(Math.round(targetBytes / perDelta));
    const bytes = new TextEncoder().encode(text);
    const fetchImpl = bodyFetch(bytes);
    const ours = () =>
      cpuOf(async () => {
        const transport = createReplayTransport({
          baseUrl: "http://bench",
          sessionId: SESSION,
          fetch: fetchImpl,
        });
        const stream = await transport.sendMessages({
          trigger: "submit-message",
          chatId: SESSION,
          messageId: undefined,
          messages: [userMessage],
          abortSignal: undefined,
        });
        return drain(stream);
      });
    const theirs = () =>
      cpuOf(async () => {
        const transport = new DefaultChatTransport({ api: "http://bench/api/chat", fetch: fetchImpl });
        const stream = await transport.sendMessages({
          trigger: "submit-message",
          chatId: SESSION,
          messageId: undefined,
          messages: [userMessage],
          abortSignal: undefined,
        });
        return drain(stream);
      });
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    let oursChunks = 0;
    let theirsChunks = 0;
    for (let index = 0; index < 2; index++) {
      await ours();
      await theirs();
    }
    for (let index = 0; index < reps; index++) {
      (globalThis as { gc?: () => void }).gc?.();
      const a = index % 2 === 0 ? await ours() : await theirs();
      const b = index % 2 === 0 ? await theirs() : await ours();
      const [o, t] = index % 2 === 0 ? [a, b] : [b, a];
      oursMs.push(o.cpuMs);
      theirsMs.push(t.cpuMs);
      oursChunks = o.chunks;
      theirsChunks = t.chunks;
    }
    return {
      bytes: bytes.length,
      oursMs,
      theirsMs,
      oursChunks,
      theirsChunks,
      ratio: median(oursMs) / median(theirsMs),
    };
  },

  /**
   * React commits per second while useVercelChat streams answers at each of `rates`, with
   * its default throttle and with `throttle: 0`, alternating, `samples` times each.
   */
  commits: async (args) => {
    const rates = args.rates as readonly Rate[];
    const samples = Number(args.samples ?? 3);
    const { JSDOM } = await import("jsdom");
    const dom = new JSDOM("<!doctype html><body></body>", { url: "http://bench/", pretendToBeVisual: true });
    const g = globalThis as Record<string, unknown>;
    g.window = dom.window;
    g.document = dom.window.document;
    g.IS_REACT_ACT_ENVIRONMENT = false;
    const { createRoot } = await import("react-dom/client");
    const { QueryClient, QueryClientProvider } = await import("@tanstack/react-query");
    const document = dom.window.document;

    /** One answer of `words` words, `msPerWord` apart, into a freshly mounted chat. */
    const streamOnce = async (rate: Rate, throttle: number | undefined): Promise<StreamRun> => {
      const words = Array.from({ length: rate.words }, (_, index) => `${LOREM[index % LOREM.length]} `);
      const expected = words.join("");
      const timing: Timing = { firstDeltaAt: Number.NaN, lastDeltaAt: Number.NaN };
      const fetchImpl = pacedFetch(turnEvents(words), rate.msPerWord, timing);
      const current: Probe = {
        renderedLength: -1,
        seen: null,
        cause: "other",
        expectedLength: expected.length,
        commits: [],
        completeAt: null,
      };
      probe = current;
      const chat: { current: UseVercelChatResult | null } = { current: null };
      const container = document.createElement("div");
      document.body.appendChild(container);
      const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
      const root = createRoot(container);
      root.render(
        createElement(
          Profiler,
          {
            id: "chat",
            onRender: () => {
              const at = now();
              current.commits.push({ at, cause: current.cause });
              current.cause = "other";
              if (current.completeAt === null && current.renderedLength === current.expectedLength) {
                current.completeAt = at;
              }
            },
          },
          createElement(
            QueryClientProvider,
            { client: queryClient },
            createElement(ChatView, {
              fetch: fetchImpl,
              throttle,
              onChat: (value) => (chat.current = value),
            }),
          ),
        ),
      );
      try {
        for (let waited = 0; chat.current === null && waited < 200; waited++) await sleep(10);
        // Let the mount's status and history requests settle before the turn starts.
        await sleep(50);
        if (chat.current === null) throw new Error("the chat did not mount");
        await chat.current.sendMessage({ text: "hi" });
        // Until the chat is ready and shows the whole text (a throttled render may still be
        // pending when the stream ends), or half a second after it is ready without it.
        const deadline = now() + 60_000;
        let readyAt = Number.POSITIVE_INFINITY;
        for (;;) {
          if (chat.current.status === "ready") readyAt = Math.min(readyAt, now());
          if (readyAt !== Number.POSITIVE_INFINITY && current.completeAt !== null) break;
          if (now() >= Math.min(deadline, readyAt + 500)) break;
          await sleep(5);
        }
        await sleep(20);
        const bubbles = container.querySelectorAll('p[data-role="assistant"]');
        const rendered = bubbles[bubbles.length - 1]?.textContent ?? "";
        const end = current.completeAt ?? Number.NaN;
        const during = current.commits.filter(({ at }) => at >= timing.firstDeltaAt && at <= end);
        const streamMs = end - timing.firstDeltaAt;
        const commitsBy: Record<Cause, number> = { messages: 0, connection: 0, status: 0, other: 0 };
        for (const { cause } of during) commitsBy[cause]++;
        return {
          msPerWord: rate.msPerWord,
          words: rate.words,
          throttle: throttle ?? null,
          commits: during.length,
          commitsBy,
          streamMs,
          commitsPerSec: during.length / (streamMs / 1000),
          peakCommitsPerSec: peakPerSecond(during.map(({ at }) => at)),
          producerMs: timing.lastDeltaAt - timing.firstDeltaAt,
          complete: rendered === expected,
          renderedChars: rendered.length,
          expectedChars: expected.length,
        };
      } finally {
        root.unmount();
        queryClient.clear();
        container.remove();
        probe = null;
      }
    };

    // Warm-up (unmeasured): both settings, a short fast answer.
    for (const throttle of [undefined, 0]) await streamOnce({ msPerWord: 0.1, words: 500 }, throttle);
    const runs: StreamRun[] = [];
    for (let index = 0; index < samples; index++) {
      for (const [position, rate] of rates.entries()) {
        // Side by side, in alternating order: neither setting always runs first.
        const order = (index + position) % 2 === 0 ? [undefined, 0] : [0, undefined];
        for (const throttle of order) {
          (globalThis as { gc?: () => void }).gc?.();
          runs.push(await streamOnce(rate, throttle));
        }
      }
    }
    return { defaultThrottleMs: DEFAULT_RENDER_THROTTLE_MS, runs };
  },
});
