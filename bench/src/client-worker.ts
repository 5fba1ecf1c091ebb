// Row 6, in its own process (a clean heap, and jsdom's globals stay out of the other rows):
// client CPU of createReplayTransport vs the AI SDK's DefaultChatTransport on the same
// 5 MB UI message stream, and React commits per 1,000 deltas in useVercelChat.

import { createReplayTransport } from "@chat-replay/client";
import { INITIAL_ADAPTER_STATE, replayFrames, type StoredEntry } from "@chat-replay/protocol";
import { useVercelChat } from "@chat-replay/react";
import { DefaultChatTransport, type UIMessage, type UIMessageChunk } from "ai";
import { createElement, Profiler } from "react";
import { DELTA_TEXT } from "./context";
import { serveOps } from "./ipc";
import { median, sleep } from "./stats";

const SESSION = "bench-session";
const RUN = "bench-run";

/** Our server's bytes for a turn of `deltas` text deltas (same framing as the server's sse.ts). */
function turnStream(deltas: number): string {
  const entries: StoredEntry[] = [{ id: "1700000000000-0", entry: { type: "text-start", part: 0 } }];
  for (let index = 1; index <= deltas; index++) {
    entries.push({
      id: `${1700000000000 + Math.floor(index / 4096)}-${index % 4096}`,
      entry: { type: "text-delta", part: 0, text: DELTA_TEXT },
    });
  }
  entries.push({ id: "1800000000000-0", entry: { type: "end", reason: "final", phase: 0 } });
  let text = `data: ${JSON.stringify({ type: "start", messageId: `${SESSION}:${RUN}` })}\n\nid: 0-0\n\n`;
  const parts: string[] = [text];
  for (const frame of replayFrames(entries, { state: INITIAL_ADAPTER_STATE })) {
    const data = `data: ${JSON.stringify(frame.chunk)}\n\n`;
    parts.push(frame.id === null ? data : `id: ${frame.id}\n${data}`);
  }
  parts.push(`data: ${JSON.stringify({ type: "finish" })}\n\n`, "data: [DONE]\n\n");
  text = parts.join("");
  return text;
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

let chatFetch: typeof fetch = globalThis.fetch;
let latest: ReturnType<typeof useVercelChat> | null = null;

/** The chat under test: useVercelChat with its defaults (no throttle), rendering every text part. */
function ChatView() {
  latest = useVercelChat({
    sessionId: SESSION,
    baseUrl: "http://bench",
    fetch: chatFetch,
    statusIntervals: { active: 600_000, idle: 600_000 },
  });
  return createElement(
    "div",
    null,
    latest.messages.map((message) =>
      createElement(
        "p",
        { key: message.id },
        message.parts.map((part) => (part.type === "text" ? part.text : "")).join(""),
      ),
    ),
  );
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

  /** React commits while useVercelChat (default throttle) receives `deltas` deltas, 1 ms apart. */
  commits: async (args) => {
    const deltas = Number(args.deltas ?? 1000);
    const { JSDOM } = await import("jsdom");
    const dom = new JSDOM('<!doctype html><div id="root"></div>', { url: "http://bench/" });
    const g = globalThis as Record<string, unknown>;
    g.window = dom.window;
    g.document = dom.window.document;
    g.IS_REACT_ACT_ENVIRONMENT = false;
    const { createRoot } = await import("react-dom/client");
    const { QueryClient, QueryClientProvider } = await import("@tanstack/react-query");

    const encoder = new TextEncoder();
    const frames = turnStream(deltas).split(/(?<=\n\n)/);
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
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
        let index = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (index >= frames.length) {
              controller.close();
              return;
            }
            // One frame per network read, about a millisecond apart: a fast live turn.
            if (frames[index]!.includes('"text-delta"')) await sleep(1);
            controller.enqueue(encoder.encode(frames[index++]!));
          },
        });
        return new Response(body, { headers: SSE_HEADERS });
      }
      return json({ id: SESSION, messages: [] });
    }) as typeof fetch;

    let commits = 0;
    chatFetch = fakeFetch;
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const root = createRoot(dom.window.document.getElementById("root")!);
    root.render(
      createElement(
        Profiler,
        { id: "chat", onRender: () => commits++ },
        createElement(QueryClientProvider, { client: queryClient }, createElement(ChatView)),
      ),
    );
    for (let waited = 0; latest === null && waited < 200; waited++) await sleep(10);
    await sleep(100);
    const chat = latest as unknown as ReturnType<typeof useVercelChat>;
    const before = commits;
    const started = performance.now();
    const sending = chat.sendMessage({ text: "hi" });
    await sending;
    for (let waited = 0; waited < 500; waited++) {
      const current = latest as unknown as ReturnType<typeof useVercelChat>;
      if (current.status === "ready") break;
      await sleep(10);
    }
    const during = commits - before;
    const ms = performance.now() - started;
    const final = latest as unknown as ReturnType<typeof useVercelChat>;
    const text =
      final.messages
        .at(-1)
        ?.parts.map((part) => (part.type === "text" ? part.text : ""))
        .join("") ?? "";
    root.unmount();
    return {
      deltas,
      commits: during,
      ms,
      renderedChars: text.length,
      expectedChars: deltas * DELTA_TEXT.length,
    };
  },
});
