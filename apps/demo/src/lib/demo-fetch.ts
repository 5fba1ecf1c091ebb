import { browserConnectivity, type Connectivity } from "@chat-replay/client";
import { createParser } from "eventsource-parser";
import type { FrameRecord } from "./frame-log";

/** Options of {@link createDemoFetch}. */
export interface DemoFetchOptions {
  /** The fetch to wrap; defaults to the global one (read at call time). */
  readonly fetch?: typeof fetch;
  /** Called for every SSE frame a response body delivers, in order. */
  readonly onFrame?: (frame: Omit<FrameRecord, "seq">) => void;
  /** The page's own network and visibility; the browser's by default. */
  readonly connectivity?: Connectivity;
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
  /**
   * Plays a lost network: cuts every open stream, fails every request with a network
   * `TypeError` and reports the page offline (so the transport pauses, as on a real
   * `offline` event) until `durationMs` passes or {@link DemoFetch.goOnline}.
   */
  goOffline(durationMs: number): void;
  /** Ends a played outage now; the transport hears `online` and reconnects at once. */
  goOnline(): void;
  /** The played outage is on (the real network may be down too: see `connectivity`). */
  isOffline(): boolean;
  /** The page's connectivity as the transport should see it: offline during a played outage. */
  readonly connectivity: Connectivity;
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
    for (const listener of [...listeners]) listener();
  };
  const page = options.connectivity ?? browserConnectivity();
  let offlineTimer: ReturnType<typeof setTimeout> | null = null;
  let offline = false;
  const setOffline = (next: boolean) => {
    if (offlineTimer !== null) clearTimeout(offlineTimer);
    offlineTimer = null;
    if (offline === next) return;
    offline = next;
    notify();
  };
  const release = (body: CuttableBody) => {
    if (open.delete(body)) notify();
  };

  const wrapped: typeof fetch = async (input, init) => {
    if (offline) throw new TypeError("Failed to fetch (the demo plays offline)");
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

  const dropConnection = () => {
    const bodies = [...open];
    for (const body of bodies) body.drop();
    return bodies.length;
  };
  return {
    fetch: wrapped,
    dropConnection,
    goOffline: (durationMs) => {
      setOffline(true);
      dropConnection();
      offlineTimer = setTimeout(() => setOffline(false), durationMs);
    },
    goOnline: () => setOffline(false),
    isOffline: () => offline,
    connectivity: {
      isOnline: () => !offline && page.isOnline(),
      isVisible: () => page.isVisible(),
      subscribe: (listener) => {
        const stopPage = page.subscribe(listener);
        let wasOffline = offline;
        const onChange = () => {
          if (offline !== wasOffline) listener();
          wasOffline = offline;
        };
        listeners.add(onChange);
        return () => {
          stopPage();
          listeners.delete(onChange);
        };
      },
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
