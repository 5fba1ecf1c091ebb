import { createParser } from "eventsource-parser";
import type { FrameRecord } from "./frame-log";

/** Options of {@link createDemoFetch}. */
export interface DemoFetchOptions {
  /** The fetch to wrap; defaults to the global one (read at call time). */
  readonly fetch?: typeof fetch;
  /** Called for every SSE frame a response body delivers, in order. */
  readonly onFrame?: (frame: Omit<FrameRecord, "seq">) => void;
}

/** A fetch for `useVercelChat` that the demo can cut on demand and that reports SSE frames. */
export interface DemoFetch {
  readonly fetch: typeof fetch;
  /**
   * Fails every open SSE response body with a network `TypeError` and closes the
   * underlying connection, exactly as a dropped connection looks to the transport.
   * Returns how many bodies were cut.
   */
  dropConnection(): number;
  /** Subscribe to changes of {@link DemoFetch.getOpenStreams} (fits `useSyncExternalStore`). */
  subscribe(listener: () => void): () => void;
  /** How many SSE bodies are open right now. */
  getOpenStreams(): number;
}

/** An SSE body we can cut: the consumer sees `drop`'s error on its pending or next read. */
interface CuttableBody {
  readonly body: ReadableStream<Uint8Array>;
  drop(): void;
}

/**
 * Wraps fetch for the demo: SSE responses get a body that tees its bytes through
 * eventsource-parser (for the event log) and that {@link DemoFetch.dropConnection} can fail
 * mid-stream. Everything else passes through untouched.
 * @example
 * const demo = createDemoFetch({ onFrame: (frame) => log.push(frame) });
 * useVercelChat({ sessionId, fetch: demo.fetch });
 * demo.dropConnection(); // the transport reconnects with Last-Event-ID
 */
export function createDemoFetch(options: DemoFetchOptions = {}): DemoFetch {
  const open = new Set<CuttableBody>();
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  const release = (body: CuttableBody) => {
    if (open.delete(body)) notify();
  };

  const wrapped: typeof fetch = async (input, init) => {
    const response = await (options.fetch ?? globalThis.fetch)(input, init);
    const isSse = response.headers.get("content-type")?.startsWith("text/event-stream") ?? false;
    if (!isSse || !response.body) return response;
    const source = describeRequest(input, init);
    const cuttable = cuttableBody(response.body, {
      onText: frameReader(source, options.onFrame),
      onClose: () => release(cuttable),
    });
    open.add(cuttable);
    notify();
    return new Response(cuttable.body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  return {
    fetch: wrapped,
    dropConnection: () => {
      const bodies = [...open];
      for (const body of bodies) body.drop();
      return bodies.length;
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getOpenStreams: () => open.size,
  };
}

function cuttableBody(
  source: ReadableStream<Uint8Array>,
  hooks: { onText: (text: string) => void; onClose: () => void },
): CuttableBody {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  let finished = false;
  const finish = () => {
    finished = true;
    hooks.onClose();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start: (started) => {
        controller = started;
      },
      pull: async (pulling) => {
        const read = await reader.read().catch((error: unknown) => ({ error }));
        // Cut while this read was pending: the consumer already has the drop's error.
        if (finished) return;
        if ("error" in read) {
          finish();
          pulling.error(read.error);
        } else if (read.done) {
          finish();
          pulling.close();
        } else {
          hooks.onText(decoder.decode(read.value, { stream: true }));
          pulling.enqueue(read.value);
        }
      },
      cancel: async (reason) => {
        finish();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    body,
    drop: () => {
      if (finished) return;
      finish();
      controller?.error(new TypeError("network error: connection dropped by the demo"));
      // Closing our side aborts the HTTP request, so the server sees the client leave.
      reader.cancel().catch(() => {
        // The body may already have failed on its own; either way it is closed now.
      });
    },
  };
}

/** Feeds decoded text through an SSE parser and reports each dispatched event. */
function frameReader(source: string, onFrame: DemoFetchOptions["onFrame"]): (text: string) => void {
  if (!onFrame) return () => {};
  const parser = createParser({
    onEvent: (event) => onFrame({ id: event.id ?? null, type: chunkType(event.data), source }),
  });
  return (text) => parser.feed(text);
}

/** The `type` of a UI message chunk's JSON, `[DONE]`, or `?`. */
export function chunkType(data: string): string {
  if (data === "[DONE]") return data;
  try {
    const value = JSON.parse(data) as unknown;
    if (typeof value === "object" && value !== null && "type" in value && typeof value.type === "string") {
      return value.type;
    }
  } catch {
    // Not JSON: shown as "?" in the log rather than failing the stream.
  }
  return "?";
}

/** `POST messages`, `GET stream`, … from a fetch call's arguments. */
function describeRequest(input: RequestInfo | URL, init: RequestInit | undefined): string {
  const method = init?.method ?? (input instanceof Request ? input.method : "GET");
  const url = input instanceof Request ? input.url : String(input);
  const path = url.split("?")[0] ?? url;
  return `${method.toUpperCase()} ${path.slice(path.lastIndexOf("/") + 1)}`;
}
