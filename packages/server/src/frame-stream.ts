import {
  type AdapterState,
  adapt,
  compareEntryIds,
  type EventCursor,
  INITIAL_ADAPTER_STATE,
  type StoredEntry,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { BufferHub } from "./buffer-hub";
import type { CheckpointCache } from "./checkpoint-cache";
import { encodeChunk, encodeFrame, SSE_DONE, SSE_KEEPALIVE } from "./sse";
import type { StreamStore } from "./stream-store";

/** Options of {@link createFrameStream}. */
export interface FrameStreamOptions {
  readonly store: StreamStore;
  readonly hub: BufferHub;
  readonly key: string;
  /** Bubble id for the `start` frame; `null` omits `start` (§5: never synthesize one). */
  readonly messageId: string | null;
  /** Frames at or before this position are folded silently (§6 resume). */
  readonly cursor: EventCursor | null;
  /** Entries at or before this id are folded silently and never sent (continuations, §3). */
  readonly after?: string;
  /**
   * An id-only event sent right after `start`: the position before this response's first
   * frame, so a client that drops before any frame still holds a cursor for this turn.
   */
  readonly position?: string;
  /** Stop at the first end marker with phase >= this, or at a `final` end (§5 Stopping). */
  readonly stopPhase: number;
  readonly keepaliveMs: number;
  /** Transient store errors are retried this many times before the connection is aborted. */
  readonly maxRetries?: number;
  readonly retryDelayMs?: number;
  /** Fold states to start from instead of the buffer's first entry (flat resume cost). */
  readonly checkpoints?: CheckpointCache;
  /**
   * Called when a keepalive is due (no entries for `keepaliveMs`): `"abort"` drops the
   * connection without `finish` (the client reconnects with its cursor). Used to notice a
   * turn that ended or lost its runner without its end marker ever arriving.
   */
  readonly onIdle?: () => Promise<"continue" | "abort">;
  /** Called once when the stream ends for any reason. */
  readonly onClose?: () => void;
}

const encoder = new TextEncoder();
const BATCH = 1024;

class ReaderGaveUp extends Error {
  override name = "ReaderGaveUp";
}

/**
 * The SSE body of one reader (§5, §6): folds the buffer from its first entry, suppresses
 * everything at or before the cursor, streams the rest live, and ends with `finish` and
 * `[DONE]` after the stopping end marker. Pull-based, so a slow client holds at most a
 * batch in memory. Never writes to the buffer. If the store keeps failing it errors the
 * body (no `finish`), which aborts the connection so the client resumes with its cursor.
 */
export function createFrameStream(options: FrameStreamOptions): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  const maxRetries = options.maxRetries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 100;
  let state: AdapterState = INITIAL_ADAPTER_STATE;
  let position = ZERO_ENTRY_ID;
  let sinceCheckpoint = 0;
  // Everything at or before the cursor (or `after`) is folded silently: start from the
  // nearest checkpoint before it instead of the first entry.
  const silentUntil = options.cursor?.entryId ?? options.after;
  const checkpoint = silentUntil ? options.checkpoints?.before(options.key, silentUntil) : null;
  if (checkpoint) {
    state = checkpoint.state;
    position = checkpoint.entryId;
  }
  let started = false;
  let atHead = false;
  /** Set once the fold passed the cursor and `after`: no more id comparisons per entry. */
  let pastSilent = !options.cursor && options.after === undefined;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    stop.abort();
    options.onClose?.();
  };

  /** A checkpoint older than the oldest retained entry would leave a gap: fold from the start. */
  let checkpointVerified = !checkpoint;
  async function verifyCheckpoint(): Promise<void> {
    checkpointVerified = true;
    const oldest = await options.store.oldestId(options.key);
    if (checkpoint && oldest !== null && compareEntryIds(oldest, checkpoint.entryId) > 0) {
      state = INITIAL_ADAPTER_STATE;
      position = ZERO_ENTRY_ID;
    }
  }

  /** Next entries after `position`: a direct read while behind, the shared tail when at the head. */
  async function nextEntries(): Promise<StoredEntry[] | "idle"> {
    if (!checkpointVerified) await verifyCheckpoint();
    for (let failures = 0; ; ) {
      try {
        // Behind: read the store directly, in big batches. At the head: wait on the shared
        // tail, which costs no store command per reader (§4 fan-out); it answers "behind"
        // if entries arrived in between.
        if (!atHead) {
          const entries = await options.store.read(options.key, position, { count: BATCH, block: 0 });
          atHead = entries.length < BATCH;
          if (entries.length > 0) {
            await checkForGap(entries[0]!);
            return entries;
          }
        }
        const waited = await options.hub.waitForEntries(
          options.key,
          position,
          options.keepaliveMs,
          stop.signal,
        );
        if (waited.kind === "entries") return waited.entries;
        if (waited.kind === "idle") return "idle";
        if (waited.kind === "behind") atHead = false;
        if (waited.kind === "error") throw waited.error;
      } catch (error) {
        atHead = false;
        if (error instanceof ReaderGaveUp || ++failures > maxRetries || stop.signal.aborted) throw error;
        await delay(retryDelayMs * 2 ** (failures - 1), stop.signal);
      }
    }
  }

  /** Entries trimmed from under a reader that was mid-stream would be a silent gap. */
  async function checkForGap(first: StoredEntry): Promise<void> {
    if (position === ZERO_ENTRY_ID) return;
    const oldest = await options.store.oldestId(options.key);
    if (oldest !== null && compareEntryIds(oldest, position) > 0 && oldest === first.id) {
      throw new ReaderGaveUp("entries after the reader's position were trimmed");
    }
  }

  function fold(entries: StoredEntry[]): { text: string; done: boolean } {
    let text = "";
    for (const stored of entries) {
      const result = adapt(state, stored);
      state = result.state;
      position = stored.id;
      if (options.checkpoints && ++sinceCheckpoint >= options.checkpoints.every) {
        options.checkpoints.record(options.key, stored.id, state);
        sinceCheckpoint = 0;
      }
      if (pastSilent) {
        for (const frame of result.frames) text += encodeFrame(frame);
      } else {
        const silent = options.after !== undefined && compareEntryIds(stored.id, options.after) <= 0;
        if (!silent) text += encodeVisible(stored.id, result.frames);
        pastSilent =
          (options.after === undefined || compareEntryIds(stored.id, options.after) > 0) &&
          (!options.cursor || compareEntryIds(stored.id, options.cursor.entryId) > 0);
      }
      const entry = stored.entry;
      if (entry.type === "end" && (entry.reason === "final" || entry.phase >= options.stopPhase)) {
        return { text: text + encodeChunk({ type: "finish" }) + SSE_DONE, done: true };
      }
    }
    return { text, done: false };
  }

  function encodeVisible(entryId: string, frames: ReturnType<typeof adapt>["frames"]): string {
    const cursor = options.cursor;
    const order = cursor ? compareEntryIds(entryId, cursor.entryId) : 1;
    if (order < 0) return "";
    let text = "";
    let index = 0;
    for (const frame of frames) {
      if (order > 0 || index > cursor!.frame) text += encodeFrame(frame);
      if (frame.id !== null) index++;
    }
    return text;
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          if (options.messageId !== null) {
            const start = encodeChunk({ type: "start", messageId: options.messageId });
            const position = options.position === undefined ? "" : `id: ${options.position}\n\n`;
            controller.enqueue(encoder.encode(start + position));
            return;
          }
        }
        try {
          for (;;) {
            const entries = await nextEntries();
            if (closed) return;
            if (entries === "idle") {
              if ((await options.onIdle?.()) === "abort")
                throw new ReaderGaveUp("the turn ended without an end marker");
              controller.enqueue(encoder.encode(SSE_KEEPALIVE));
              return;
            }
            const { text, done } = fold(entries);
            if (text) controller.enqueue(encoder.encode(text));
            if (done) {
              controller.close();
              finish();
              return;
            }
            if (text) return;
          }
        } catch (error) {
          finish();
          controller.error(error);
        }
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 1 },
  );
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
