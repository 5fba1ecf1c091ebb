import {
  type AdapterState,
  adapt,
  compareEntryIds,
  type EventCursor,
  INITIAL_ADAPTER_STATE,
  previousEntryId,
  type StoredEntry,
  snapshotFrames,
  type TurnSnapshot,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { BufferHub } from "./buffer-hub";
import { encodeChunk, encodeFrame, SSE_DONE, SSE_KEEPALIVE } from "./sse";
import type { Checkpoint, StreamStore } from "./stream-store";

/** Options of {@link createFrameStream}. */
export interface FrameStreamOptions {
  readonly store: StreamStore;
  readonly hub: BufferHub;
  readonly key: string;
  /** Bubble id for the `start` frame; `null` omits `start` (§5: never synthesize one). */
  readonly messageId: string | null;
  /** Frames at or before this position are folded silently (§6 resume). */
  readonly cursor: EventCursor | null;
  /** The fold state to resume from, when the caller already looked it up (saves a store call). */
  readonly checkpoint?: Checkpoint;
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

/** What one step of a reader produced: frames (text, or bytes already encoded), and whether it ended. */
interface Step {
  readonly text: string | Uint8Array;
  readonly done: boolean;
  /** Sent after `text` (the `finish` of a snapshot that already holds the stopping end). */
  readonly tail?: string;
}

/**
 * Encoded snapshot frames per snapshot object. Snapshots are immutable and stores hand out
 * the same object until it changes, so every full replay of one snapshot after the first
 * costs a copy, not a JSON encoding of the whole answer.
 */
const encodedSnapshots = new WeakMap<TurnSnapshot, Uint8Array>();

function encodeSnapshot(snapshot: TurnSnapshot): Uint8Array {
  let bytes = encodedSnapshots.get(snapshot);
  if (!bytes) {
    let text = "";
    for (const frame of snapshotFrames(snapshot)) text += encodeFrame(frame);
    bytes = encoder.encode(text);
    encodedSnapshots.set(snapshot, bytes);
  }
  return bytes;
}

class ReaderGaveUp extends Error {
  override name = "ReaderGaveUp";
}

/**
 * The SSE body of one reader (§5, §6). A resume folds silently from the newest checkpoint
 * at or before its cursor and sends what follows the cursor; a full replay sends the turn's
 * snapshot as a few frames, then every entry after it. Either way it streams on live and
 * ends with `finish` and `[DONE]` after the stopping end marker, and its cost does not grow
 * with the turn's length. Pull-based, so a slow client holds at most a batch in memory.
 * Never writes to the buffer. If the store keeps failing it errors the body (no `finish`),
 * which aborts the connection so the client resumes with its cursor.
 */
export function createFrameStream(options: FrameStreamOptions): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  const maxRetries = options.maxRetries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 100;
  let state: AdapterState = INITIAL_ADAPTER_STATE;
  let position = ZERO_ENTRY_ID;
  let stopPhase = options.stopPhase;
  // `0-0` names the position before the first frame: nothing to suppress (§5 position event).
  const cursor = options.cursor?.entryId === ZERO_ENTRY_ID ? null : options.cursor;
  let started = false;
  let begun = false;
  let atHead = false;
  /** Set once the fold passed the cursor and `after`: no more id comparisons per entry. */
  let pastSilent = !cursor && options.after === undefined;
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    stop.abort();
    options.onClose?.();
  };

  /**
   * Where the fold starts (§6). Everything at or before the cursor (or `after`) is folded
   * silently, from the newest checkpoint before it. Without either, the reader sends the
   * snapshot (§6 snapshot replay) and folds on from its entry. Returns the snapshot's frames
   * and whether the snapshot already holds the stopping end marker.
   */
  async function begin(): Promise<Step> {
    const silentUntil = cursor ? foldBase(cursor) : options.after;
    if (silentUntil !== undefined) {
      const checkpoint =
        (cursor && options.checkpoint) || (await options.store.checkpoint(options.key, silentUntil));
      if (!checkpoint) throw new ReaderGaveUp("the entries after the cursor were trimmed");
      state = checkpoint.state;
      position = checkpoint.entryId;
      return { text: "", done: false };
    }
    const snapshot = await options.store.readSnapshot(options.key);
    if (!snapshot) return { text: "", done: false };
    state = snapshot.state;
    position = snapshot.entryId;
    // A snapshot past a pause end the reader would have stopped at: the turn moved on since
    // the reader's phase was read, so read it as a reader that started a moment later.
    stopPhase = Math.max(stopPhase, snapshot.phase);
    const frames = encodeSnapshot(snapshot);
    const end = snapshot.end;
    const done = end !== null && (end.reason === "final" || end.phase >= stopPhase);
    return done
      ? { text: frames, done, tail: encodeChunk({ type: "finish" }) + SSE_DONE }
      : { text: frames, done };
  }

  /** Runs a store step with the reader's retry policy for transient failures (§6). */
  async function retrying<T>(step: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; ) {
      try {
        return await step();
      } catch (error) {
        if (error instanceof ReaderGaveUp || ++failures > maxRetries || stop.signal.aborted) throw error;
        await delay(retryDelayMs * 2 ** (failures - 1), stop.signal);
      }
    }
  }

  /** Next entries after `position`: a direct read while behind, the shared tail when at the head. */
  async function nextEntries(): Promise<StoredEntry[] | "idle"> {
    for (let failures = 0; ; ) {
      try {
        // Behind: read the store directly, in big batches. At the head: wait on the shared
        // tail, which costs no store command per reader (§4 fan-out); it answers "behind"
        // if entries arrived in between.
        if (!atHead) {
          const entries = await options.store.read(options.key, position, { count: BATCH, block: 0 });
          atHead = entries.length < BATCH;
          if (entries.length > 0) {
            await checkForGap();
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

  /**
   * Entries trimmed from under a reader (after its position, before it read them) would be
   * a silent gap: give up, and the client's reconnect gets a stale-cursor full replay.
   */
  async function checkForGap(): Promise<void> {
    const trimmed = await options.store.trimmedThrough(options.key);
    if (trimmed !== null && compareEntryIds(trimmed, position) > 0) {
      throw new ReaderGaveUp("entries after the reader's position were trimmed");
    }
  }

  function fold(entries: StoredEntry[]): Step {
    let text = "";
    for (const stored of entries) {
      const result = adapt(state, stored);
      state = result.state;
      position = stored.id;
      if (pastSilent) {
        for (const frame of result.frames) text += encodeFrame(frame);
      } else {
        const silent = options.after !== undefined && compareEntryIds(stored.id, options.after) <= 0;
        if (!silent) text += encodeVisible(stored.id, result.frames);
        pastSilent =
          (options.after === undefined || compareEntryIds(stored.id, options.after) > 0) &&
          (!cursor || compareEntryIds(stored.id, cursor.entryId) > 0);
      }
      const entry = stored.entry;
      if (entry.type === "end" && (entry.reason === "final" || entry.phase >= stopPhase)) {
        return { text: text + encodeChunk({ type: "finish" }) + SSE_DONE, done: true };
      }
    }
    return { text, done: false };
  }

  function encodeVisible(entryId: string, frames: ReturnType<typeof adapt>["frames"]): string {
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

  /** Enqueues a step's frames and closes after the last; true when this pull is done. */
  function deliver(
    controller: ReadableStreamDefaultController<Uint8Array>,
    { text, done, tail }: Step,
  ): boolean {
    if (text.length > 0) controller.enqueue(typeof text === "string" ? encoder.encode(text) : text);
    if (tail) controller.enqueue(encoder.encode(tail));
    if (done) {
      controller.close();
      finish();
    }
    return done || text.length > 0;
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
          if (!begun) {
            begun = true;
            const first = await retrying(begin);
            if (closed || deliver(controller, first)) return;
          }
          for (;;) {
            const entries = await nextEntries();
            if (closed) return;
            if (entries === "idle") {
              if ((await options.onIdle?.()) === "abort")
                throw new ReaderGaveUp("the turn ended without an end marker");
              controller.enqueue(encoder.encode(SSE_KEEPALIVE));
              return;
            }
            if (deliver(controller, fold(entries))) return;
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

/**
 * The last entry whose whole fold the cursor implies: the cursor's entry for a bare `E`,
 * else the one before it (frames of `E` up to k must be produced to be suppressed).
 */
export function foldBase(cursor: EventCursor): string {
  return cursor.frame === Number.POSITIVE_INFINITY ? cursor.entryId : previousEntryId(cursor.entryId);
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
