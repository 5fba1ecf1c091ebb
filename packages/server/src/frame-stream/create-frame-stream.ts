import {
  type EventCursor,
  encodeSseChunk,
  encodeSseEvent,
  SSE_FINISH,
  SSE_KEEPALIVE,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { BufferHub } from "../buffer-hub";
import type { Checkpoint, StreamStore } from "../stream-store";
import { beginRead, foldBase, type ReadStart } from "./begin-read";
import { EntrySource } from "./entry-source";
import { FrameFolder } from "./frame-folder";
import type { ReaderObserver } from "./reader-observer";
import { ReaderGaveUp, type RetryPolicy, retryTransient } from "./retry-transient";

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
  /** Without a cursor: entries at or before this id are folded silently and never sent (continuations, §3). */
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
  /** Told what the reader does (metrics, traces); absent: nothing is measured. */
  readonly observer?: ReaderObserver;
}

const encoder = new TextEncoder();
const FINISH_BYTES = encoder.encode(SSE_FINISH);

/** A reader past its start: the fold and the entries it reads. */
interface Reader {
  readonly folder: FrameFolder;
  readonly entries: EntrySource;
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
  const retry: RetryPolicy = {
    maxRetries: options.maxRetries ?? 5,
    retryDelayMs: options.retryDelayMs ?? 100,
    signal: stop.signal,
  };
  // `0-0` names the position before the first frame: nothing to suppress (§5 position event).
  const cursor = options.cursor?.entryId === ZERO_ENTRY_ID ? null : options.cursor;
  const after = options.after;
  let startSent = false;
  let reader: Reader | null = null;
  let closed = false;

  const observer = options.observer;
  const finish = (end: "finish" | "disconnect" | "error", error?: unknown) => {
    if (closed) return;
    closed = true;
    stop.abort();
    options.onClose?.();
    observer?.closed(end, error);
  };

  /** Enqueues bytes and closes after the last; true when this pull delivered or ended. */
  const deliver = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    bytes: Uint8Array,
    done: boolean,
  ): boolean => {
    if (bytes.length > 0) controller.enqueue(bytes);
    if (done || bytes.length > 0) observer?.firstFrame();
    if (done) {
      controller.close();
      finish("finish");
    }
    return done || bytes.length > 0;
  };

  /** Begins the fold (§6): where it starts, and the snapshot replay to send first, if any. */
  const begin = async (): Promise<{ reader: Reader; start: ReadStart }> => {
    const start = await retryTransient(
      () =>
        beginRead({
          store: options.store,
          key: options.key,
          silentUntil: cursor ? foldBase(cursor) : after,
          checkpoint: cursor ? options.checkpoint : undefined,
          stopPhase: options.stopPhase,
        }),
      retry,
    );
    observer?.begun(start.snapshot !== null);
    const suppressThrough =
      cursor ?? (after === undefined ? null : { entryId: after, frame: Number.POSITIVE_INFINITY });
    const reader = {
      folder: new FrameFolder(start.state, start.stopPhase, suppressThrough, {
        entries: options.hub.encoded,
        batches: options.hub.batches,
        key: options.key,
      }),
      entries: new EntrySource(
        options.store,
        options.hub,
        options.key,
        start.position,
        observer && (() => observer.firstFrame()),
      ),
    };
    return { reader, start };
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!startSent) {
          startSent = true;
          if (options.messageId !== null) {
            const start = encodeSseChunk({ type: "start", messageId: options.messageId });
            const position = options.position === undefined ? "" : encodeSseEvent({ id: options.position });
            controller.enqueue(encoder.encode(start + position));
            return;
          }
        }
        try {
          if (reader === null) {
            const begun = await begin();
            reader = begun.reader;
            if (closed) return;
            const { snapshot, done } = begun.start;
            const sent = snapshot !== null && snapshot.length > 0;
            if (sent) {
              controller.enqueue(snapshot);
              observer?.firstFrame();
            }
            // A snapshot that already holds the stopping end marker ends the response (§6 full).
            if (done) deliver(controller, FINISH_BYTES, true);
            if (sent || done) return;
          }
          const { folder, entries } = reader;
          for (;;) {
            const next = await retryTransient(() => entries.next(options.keepaliveMs, stop.signal), retry);
            if (closed) return;
            if (next === "idle") {
              if ((await options.onIdle?.()) === "abort") {
                throw new ReaderGaveUp("the turn ended without an end marker");
              }
              controller.enqueue(encoder.encode(SSE_KEEPALIVE));
              return;
            }
            const folded = folder.fold(next, entries.origin);
            // Told before delivering: delivering the stopping end closes the reader.
            observer?.written(next);
            if (deliver(controller, folded.bytes, folded.done)) return;
          }
        } catch (error) {
          finish("error", error);
          controller.error(error);
        }
      },
      cancel() {
        finish("disconnect");
      },
    },
    { highWaterMark: 1 },
  );
}
