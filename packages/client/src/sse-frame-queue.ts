import type { UIMessageChunk } from "ai";
import { createParser } from "eventsource-parser";

/** One dispatched SSE event, in arrival order. */
export type QueuedItem =
  /** An event with data; `id` is the id it set (`undefined`: none, `""`: reset). */
  | { readonly kind: "event"; readonly data: string; readonly id: string | undefined }
  /** An event that only set an id (no data); the cursor moves when it is reached. */
  | { readonly kind: "id"; readonly id: string };

/**
 * Parses an SSE byte stream into dispatched events, following the WHATWG EventSource rules
 * through eventsource-parser: CR, LF and CRLF line ends, one optional space after the
 * colon, an id containing NUL ignored, an empty id resets, and an event only counts once
 * its blank line arrived. Bytes may be split anywhere, even inside a UTF-8 sequence (a
 * streaming TextDecoder reassembles them and drops a leading BOM).
 */
export class SseFrameQueue {
  private readonly items: QueuedItem[] = [];
  private readonly decoder = new TextDecoder();
  private readonly parser = createParser({
    onId: (id) => {
      this.items.push({ kind: "id", id });
    },
    onEvent: (event) => {
      // eventsource-parser calls onId right before onEvent for the same event: pair them,
      // so the id is committed only when this event's chunk is pulled.
      const last = this.items.at(-1);
      if (event.id !== undefined && last?.kind === "id" && last.id === event.id) this.items.pop();
      this.items.push({ kind: "event", data: event.data, id: event.id });
    },
  });

  /** Feeds raw bytes from the response body. */
  feed(bytes: Uint8Array): void {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** The next dispatched item, if any. */
  shift(): QueuedItem | undefined {
    return this.items.shift();
  }

  get size(): number {
    return this.items.length;
  }
}

/** Parses an event's data into a UI message chunk; `[DONE]` and non-JSON give `null`. */
export function parseChunk(data: string): UIMessageChunk | null {
  if (data === "[DONE]") return null;
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === "object" && value !== null && "type" in value ? (value as UIMessageChunk) : null;
  } catch {
    return null;
  }
}
