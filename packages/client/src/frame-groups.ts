import { compareEventCursors, type EventCursor, parseEventId } from "@chat-replay/protocol";
import type { UIMessageChunk } from "ai";
import { parseChunk, type QueuedItem, SseFrameQueue } from "./sse-frame-queue";

/** One step for the AI SDK: a chunk to hand over, and the id to commit when it is pulled. */
export interface Delivery {
  /** The chunk to hand over; `null` when the step only moves the cursor (an id-only event). */
  readonly chunk: UIMessageChunk | null;
  /** The event id to commit once `chunk` is pulled; `""` resets the cursor, `undefined` keeps it. */
  readonly id: string | undefined;
}

/**
 * One response's SSE events as deliveries, grouped by the §7 rule "unnumbered content
 * frames travel with the numbered frame that follows them". A content chunk without an id
 * (a turn snapshot's leading frames, a synthesized part opening) is held until the next
 * id-bearing event of this response has been parsed, then released with it, that event's
 * id riding on the group's last chunk. If the body ends first, the held chunks are dropped
 * with this object, and the reconnect, whose cursor precedes the group, delivers them
 * again. So the AI SDK applies all of a group or none of it. `start` passes at once; a
 * terminal chunk releases the held ones before it (the response was complete).
 *
 * With `skipUntil` (a full replay of frames already applied, §7 Transparent reconnect), a
 * group whose id-bearing event is at or before that cursor is dropped whole, until the
 * replay passes it.
 */
export class FrameGroups {
  private readonly queue = new SseFrameQueue();
  private readonly ready: Delivery[] = [];
  private held: UIMessageChunk[] = [];

  constructor(private skipUntil: EventCursor | null = null) {}

  /** Feeds raw bytes from the response body. */
  feed(bytes: Uint8Array): void {
    this.queue.feed(bytes);
    for (let item = this.queue.shift(); item; item = this.queue.shift()) this.group(item);
  }

  /** The next delivery whose group is complete, if any. */
  shift(): Delivery | undefined {
    return this.ready.shift();
  }

  private group(item: QueuedItem): void {
    const chunk = item.kind === "event" ? parseChunk(item.data) : null;
    if (chunk?.type === "start") {
      // Passes at once; an id it carries is committed with it (WHATWG: every dispatched
      // event's id), unless a full replay is still skipping frames the client applied.
      const id = item.id !== undefined && !this.alreadyApplied(item.id) ? item.id : undefined;
      this.ready.push({ chunk, id });
    } else if (chunk && isTerminal(chunk)) {
      this.endResponse(chunk, item.id);
    } else if (item.id !== undefined) {
      // An event whose data is no chunk still sets the id at dispatch (WHATWG), so it closes
      // the group like an id-only event.
      this.release(chunk, item.id);
    } else if (chunk) {
      this.held.push(chunk);
    }
  }

  /** The group's id-bearing event arrived: hand the group over, or drop it while skipping. */
  private release(last: UIMessageChunk | null, id: string): void {
    const group = last ? [...this.held, last] : this.held;
    this.held = [];
    if (this.alreadyApplied(id)) return;
    this.skipUntil = null;
    if (group.length === 0) {
      this.ready.push({ chunk: null, id });
      return;
    }
    group.forEach((chunk, index) => {
      this.ready.push({ chunk, id: index === group.length - 1 ? id : undefined });
    });
  }

  /** `finish`, `abort`, `error`: the response is complete, so held chunks go first. */
  private endResponse(chunk: UIMessageChunk, id: string | undefined): void {
    // While still skipping, the held chunks precede frames the client applied already.
    const held = this.skipUntil ? [] : this.held;
    this.held = [];
    for (const heldChunk of held) this.ready.push({ chunk: heldChunk, id: undefined });
    this.ready.push({ chunk, id });
  }

  private alreadyApplied(id: string): boolean {
    if (!this.skipUntil) return false;
    const position = parseEventId(id);
    return !position || compareEventCursors(position, this.skipUntil) <= 0;
  }
}

/** `finish`, `abort` and `error` end a turn stream: no reconnect after them (§7). */
export function isTerminal(chunk: UIMessageChunk): boolean {
  return chunk.type === "finish" || chunk.type === "abort" || chunk.type === "error";
}
