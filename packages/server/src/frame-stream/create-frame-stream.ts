import {
  type EventCursor,
  encodeSseChunk,
  encodeSseEvent,
  SSE_FINISH,
  SSE_KEEPALIVE,
  type StoredEntry,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { BufferHub, WaitResult } from "../buffer-hub";
import type { Checkpoint, StreamStore } from "../stream-store";
import { beginRead, foldBase, type ReadStart } from "./begin-read";
import { EntrySource } from "./entry-source";
import { type BatchOrigin, FrameFolder } from "./frame-folder";
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
  /** How the stream ended (a socket that takes it over late ends the same way). */
  let ended: "finish" | "disconnect" | "error" | null = null;
  let endError: unknown;
  const finish = (end: "finish" | "disconnect" | "error", error?: unknown) => {
    if (closed) return;
    closed = true;
    ended = end;
    endError = error;
    stop.abort();
    options.onClose?.();
    observer?.closed(end, error);
  };

  /** Enqueues bytes and closes after the last. */
  const deliver = (bytes: Uint8Array, done: boolean): void => {
    if (bytes.length > 0) body.enqueue(bytes);
    if (done || bytes.length > 0) observer?.firstFrame();
    if (done) {
      body.close();
      finish("finish");
    }
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

  /** Where the bytes go: the body's controller (set at start), or a socket that took it over. */
  let body!: BodySink;
  /** The pump or a push is running: one drives the reader at a time. */
  let driving = false;
  /** A push wait is registered on the tail: its hand-out delivers the next entries. */
  let listening = false;
  /** The stream pulled while the reader was driven (say, from inside an enqueue). */
  let pulled = false;

  /**
   * Folds and sends what the reader got; true when the body may take more right away (the
   * consumer is waiting for it), false when it ended or pushes back.
   */
  const send = (entries: readonly StoredEntry[], origin: BatchOrigin): boolean => {
    const folded = reader!.folder.fold(entries, origin);
    // Told before delivering: delivering the stopping end closes the reader.
    observer?.written(entries);
    deliver(folded.bytes, folded.done);
    return !closed && (body.desiredSize ?? 0) > 0;
  };

  const fail = (error: unknown) => {
    if (closed) return;
    try {
      finish("error", error);
    } finally {
      body.error(error);
    }
  };

  /**
   * Push delivery (§4): at the head, the reader waits on the tail without a promise, and the
   * tail's hand-out folds and enqueues its entries synchronously, then waits again while the
   * consumer keeps up, so a live reader costs no async step per entry. Handles `result` (a
   * tail answer, or null to wait for one) and what follows; returns the first answer that is
   * not entries (idle, behind, an error) for the pump, or null when it is listening, the
   * consumer pushes back (the next pull goes on) or the body ended.
   */
  const follow = (result: WaitResult | null): WaitResult | null => {
    try {
      for (let answer = result; ; answer = null) {
        answer ??= reader!.entries.listen(options.keepaliveMs, stop.signal, pushed);
        if (answer === null) {
          listening = true;
          return null;
        }
        if (answer.kind !== "entries") return answer;
        const entries = reader!.entries.taken(answer) as StoredEntry[];
        if (!send(entries, reader!.entries.origin)) return null;
      }
    } catch (error) {
      fail(error);
      return null;
    }
  };

  /** The tail's hand-out, timeout or abort of a push wait. */
  const pushed = (result: WaitResult) => {
    listening = false;
    if (closed || driving) return;
    driving = true;
    let left: WaitResult | null = null;
    try {
      left = follow(result);
    } finally {
      driving = false;
    }
    if (left !== null) pump(left);
    else goOnIfPulled();
  };

  /**
   * A pull that came while the reader was driven was not answered then; the stream does not
   * pull again until its consumer reads again, so go on now if it still wants more.
   */
  const goOnIfPulled = () => {
    if (!pulled) return;
    pulled = false;
    if (!closed && !listening && (body.desiredSize ?? 0) > 0) pump();
  };

  /**
   * Starts the reader's async steps unless something drives it already: begins the fold,
   * reads the store while behind (with retries), sends keepalives, and hands over to
   * {@link follow} at the head. Runs while the consumer takes more; the next pull restarts it.
   */
  const pump = (first?: WaitResult): void => {
    if (closed) return;
    if (driving) {
      pulled = true;
      return;
    }
    pulled = false;
    driving = true;
    void steps(first);
  };

  const steps = async (first?: WaitResult) => {
    try {
      if (reader === null) {
        const begun = await begin();
        reader = begun.reader;
        if (closed) return;
        const { snapshot, done } = begun.start;
        const sent = snapshot !== null && snapshot.length > 0;
        if (sent) {
          body.enqueue(snapshot);
          observer?.firstFrame();
        }
        // A snapshot that already holds the stopping end marker ends the response (§6 full).
        if (done) deliver(FINISH_BYTES, true);
        // Goes on while the consumer takes more: a taken-over body is not pulled again until it drains.
        if (done || (body.desiredSize ?? 0) <= 0) return;
      }
      const { entries } = reader;
      for (let pending = first ?? null; ; pending = null) {
        if (pending === null && entries.live) {
          pending = follow(null);
          if (pending === null) return;
        }
        // A tail's answer goes through the retries too: a failed tail read counts as a failure.
        let answer = pending;
        const next = await retryTransient(async () => {
          if (answer === null) return entries.next(options.keepaliveMs, stop.signal);
          const taken = answer;
          answer = null;
          return entries.taken(taken);
        }, retry);
        if (closed) return;
        // null: the reader fell behind the tail; it reads the store next.
        if (next === null) continue;
        if (next === "idle") {
          if ((await options.onIdle?.()) === "abort") {
            throw new ReaderGaveUp("the turn ended without an end marker");
          }
          if (closed) return;
          body.enqueue(encoder.encode(SSE_KEEPALIVE));
        } else if (!send(next, entries.origin)) {
          return;
        }
        if ((body.desiredSize ?? 0) <= 0) return;
      }
    } catch (error) {
      fail(error);
    } finally {
      // Synchronously as the steps end: a push may arrive in the very next microtask.
      driving = false;
      goOnIfPulled();
    }
  };

  /** The stream's pull, and a taken-over body's first step and `drain`. */
  const onPull = () => {
    if (!startSent) {
      startSent = true;
      if (options.messageId !== null) {
        const start = encodeSseChunk({ type: "start", messageId: options.messageId });
        const position = options.position === undefined ? "" : encodeSseEvent({ id: options.position });
        body.enqueue(encoder.encode(start + position));
        return;
      }
    }
    // While pushed to, the tail delivers; while driven, the driver goes on.
    if (!listening) pump();
  };

  /** Chunks enqueued before anyone read the stream: a socket that takes it over writes them first. */
  let unread: Uint8Array[] | null = [];
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body = {
          enqueue: (bytes) => {
            if (unread !== null) {
              if (stream.locked) unread = null;
              else unread.push(bytes);
            }
            controller.enqueue(bytes);
          },
          close: () => controller.close(),
          error: (error) => controller.error(error),
          get desiredSize() {
            return controller.desiredSize;
          },
        };
      },
      pull: onPull,
      cancel() {
        finish("disconnect");
      },
    },
    { highWaterMark: 1 },
  );
  const takeOver = (socket: FrameSocket): FrameSocketEvents | null => {
    if (stream.locked || unread === null) return null;
    const early = unread;
    unread = null;
    let writable = true;
    body = {
      enqueue: (bytes) => {
        writable = socket.write(bytes);
      },
      close: () => socket.end(),
      error: (error) => socket.destroy(error),
      get desiredSize() {
        return writable ? 1 : 0;
      },
    };
    for (const bytes of early) body.enqueue(bytes);
    if (closed) {
      // It ended before the socket took over: with `finish` (written above), or with an error.
      if (ended === "finish") socket.end();
      else socket.destroy(endError);
    } else {
      // What the stream's pulls would have done next, now that the socket pulls.
      if (!startSent) onPull();
      if (writable && !listening) pump();
    }
    return {
      drain: () => {
        writable = true;
        onPull();
      },
      close: () => finish("disconnect"),
    };
  };
  Object.defineProperty(stream, TAKE_OVER, { value: takeOver });
  return stream;
}

/** Where a reader's bytes go (a body controller's shape). */
interface BodySink {
  enqueue(bytes: Uint8Array): void;
  close(): void;
  error(error: unknown): void;
  readonly desiredSize: number | null;
}

/** A socket a frame stream can write to directly; see {@link takeOverFrameStream}. */
export interface FrameSocket {
  /** Writes bytes; false when its buffer is full (the stream waits for `drain`). */
  write(bytes: Uint8Array): boolean;
  end(): void;
  destroy(error?: unknown): void;
}

/** What the socket's owner tells a taken-over frame stream. */
export interface FrameSocketEvents {
  /** The socket drained: the stream writes again. */
  drain(): void;
  /** The socket closed (the client went away, or the response ended). */
  close(): void;
}

/**
 * A frame stream's takeover, as a registered symbol: the Node entry may be bundled apart
 * from the module that made the stream, and still finds it.
 */
const TAKE_OVER = Symbol.for("chat-replay.frame-stream.take-over");

type TakeOver = (socket: FrameSocket) => FrameSocketEvents | null;

function takeOverOf(body: ReadableStream<Uint8Array>): TakeOver | undefined {
  const takeOver: unknown = (body as unknown as Record<symbol, unknown>)[TAKE_OVER];
  return typeof takeOver === "function" ? (takeOver as TakeOver) : undefined;
}

/**
 * Lets a Node response write a frame stream's bytes itself (`@chat-replay/server/node`):
 * the stream then writes to `socket` directly, with no web-stream read and promise per
 * chunk, as the same bytes in the same order (what it enqueued before is written first).
 * Returns null, and nothing changes, when `body` is not a frame stream or someone has
 * started reading it.
 */
export function takeOverFrameStream(
  body: ReadableStream<Uint8Array>,
  socket: FrameSocket,
): FrameSocketEvents | null {
  return takeOverOf(body)?.(socket) ?? null;
}

/** Whether `body` is a frame stream nobody has started reading (see {@link takeOverFrameStream}). */
export function canTakeOver(body: ReadableStream<Uint8Array>): boolean {
  return takeOverOf(body) !== undefined && !body.locked;
}
