import {
  type EventCursor,
  parseEventId,
  type ReplayMode,
  readAttachHeaders,
  runIdOfBubble,
} from "@chat-replay/protocol";
import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from "ai";
import { anySignal } from "./any-signal";
import { browserConnectivity, type Connectivity } from "./connectivity";
import { type Delivery, FrameGroups, isTerminal } from "./frame-groups";
import { ReplayClient, type ReplayClientOptions } from "./replay-client";
import { ReplayHttpError, StaleCursorError, StreamDisconnectedError } from "./replay-errors";
import { isSendableCursor } from "./send-cursor";

/** Options of {@link createReplayTransport}. */
export interface ReplayTransportOptions extends ReplayClientOptions {
  /** The session to talk to; defaults to the AI SDK's chat id. */
  readonly sessionId?: string;
  /** The HTTP client to use (shares ETags and plumbing with a {@link ReplaySession}); built from the options otherwise. */
  readonly client?: ReplayClient;
  /** Online/visibility source; defaults to the browser's (always online and visible elsewhere). */
  readonly connectivity?: Connectivity;
  readonly reconnect?: {
    /**
     * Reconnect attempts after a drop before the stream ends with
     * {@link StreamDisconnectedError} (default: unlimited, §7 Never give up: a running turn
     * is followed until it ends, however long the outage).
     */
    readonly maxAttempts?: number;
    /** First backoff delay; the very first reconnect is immediate (default 250 ms). */
    readonly initialDelayMs?: number;
    /** Backoff cap (default 5000 ms). */
    readonly maxDelayMs?: number;
    /**
     * A request that gets no response headers, or a response that delivers no byte (not
     * even a keepalive), this long is treated as dropped and retried (default 25,000 ms:
     * 2.5× the server's 10 s keepalive).
     */
    readonly stallTimeoutMs?: number;
  };
}

/** What a UI can show about the transport's connection. */
export interface ConnectionState {
  /** Id of the last event the AI SDK reached, or null. */
  readonly lastEventId: string | null;
  /** Reconnect attempts since the transport was created. */
  readonly reconnects: number;
  /**
   * `reconnecting`: retrying with backoff; `offline`: paused until the network or the tab
   * comes back (then it retries at once); `gave-up`: a finite `maxAttempts` ran out.
   */
  readonly phase: "idle" | "streaming" | "reconnecting" | "offline" | "gave-up";
  /** Body bytes received since the transport was created. */
  readonly bytesReceived: number;
  /** Full replays the server answered to a cursor it could not resume from. */
  readonly staleCursors: number;
}

/** State of one followed turn stream, across its reconnects. */
interface FollowState {
  readonly sessionId: string;
  runId: string | null;
  cursor: EventCursor | null;
  cursorText: string | null;
  startSent: boolean;
  terminal: boolean;
}

/** A response accepted for a stream: where to resume reading it. */
interface Connected {
  readonly response: Response;
  /** Frames at or before this cursor were applied already (a full replay we can skip through). */
  readonly skipUntil: EventCursor | null;
}

/** How often cursor and byte-count changes reach subscribers while streaming. */
const CURSOR_PUBLISH_MS = 250;

const INITIAL_CONNECTION: ConnectionState = {
  lastEventId: null,
  reconnects: 0,
  phase: "idle",
  bytesReceived: 0,
  staleCursors: 0,
};

/**
 * An AI SDK `ChatTransport` for the replay protocol (§7). It parses the SSE body itself,
 * commits the id of every event the AI SDK reaches, and when a body ends or fails before
 * `finish`, reconnects with `Last-Event-ID` and keeps feeding the same chunk stream, so the
 * library never sees the drop. It does not give up while the turn runs: backoff is capped
 * and jittered, pauses while the page is offline or hidden, and {@link wake} retries at
 * once. Usable without React.
 */
export class ReplayTransport implements ChatTransport<UIMessage> {
  /** The live state; moves with every frame. */
  private connection: ConnectionState = INITIAL_CONNECTION;
  /** What subscribers were last told: `getSnapshot` returns this, so reading it never re-renders more than notifications do. */
  private published: ConnectionState = INITIAL_CONNECTION;
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly wakers = new Set<() => void>();
  private lastMode: ReplayMode | null = null;
  /** The cursor of a stream that gave up, offered once to the next resume of that session. */
  private interrupted: { sessionId: string; runId: string | null; cursor: string } | null = null;
  /** The HTTP client every request goes through. */
  readonly client: ReplayClient;
  private readonly connectivity: Connectivity;
  private readonly maxAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stallTimeoutMs: number;
  /**
   * Runs whose stream this transport read to a terminal chunk (`finish`, `error`, `abort`):
   * the turn's outcome is known here, so the controller does not re-attach to them.
   */
  readonly endedRuns = new Set<string>();

  constructor(private readonly options: ReplayTransportOptions = {}) {
    this.client = options.client ?? new ReplayClient(options);
    this.connectivity = options.connectivity ?? browserConnectivity();
    this.maxAttempts = options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.initialDelayMs = options.reconnect?.initialDelayMs ?? 250;
    this.maxDelayMs = options.reconnect?.maxDelayMs ?? 5000;
    this.stallTimeoutMs = options.reconnect?.stallTimeoutMs ?? 25_000;
  }

  /** AI SDK 7 reads this after `reconnectToStream` resolves: replay unless the server resumed. */
  get resumeStreamIsReplay(): boolean {
    return this.lastMode !== "resume";
  }

  /** Subscribe to connection changes (fits `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current connection state (a stable object until it changes). */
  readonly getSnapshot = (): ConnectionState => this.published;

  /**
   * Ends a reconnect's backoff wait now (a status poll saw the run still active, the user
   * pressed Retry). True if a reconnect was waiting. A page that is offline or hidden still
   * waits for the network and the tab.
   */
  wake(): boolean {
    const waiting = this.wakers.size > 0;
    for (const wake of [...this.wakers]) wake();
    return waiting;
  }

  /** The id of the last event the AI SDK reached, live (snapshots publish it at most 4 times a second). */
  get lastEventId(): string | null {
    return this.connection.lastEventId;
  }

  /** Whether a reconnect is waiting (backoff, offline or hidden). */
  get waiting(): boolean {
    return this.wakers.size > 0;
  }

  private update(change: Partial<ConnectionState>): void {
    this.connection = { ...this.connection, ...change };
    // Phase, reconnect and stale-cursor changes are news; the cursor and byte counters move
    // with every frame, so they are published at most 4 times a second, keeping a UI that
    // shows them from re-rendering per token (the snapshot changes only when published).
    if (change.phase !== undefined || change.reconnects !== undefined || change.staleCursors !== undefined) {
      this.notify();
    } else if (this.notifyTimer === null) {
      this.notifyTimer = setTimeout(() => this.notify(), CURSOR_PUBLISH_MS);
    }
  }

  private setPhase(phase: ConnectionState["phase"]): void {
    if (this.connection.phase !== phase) this.update({ phase });
  }

  private notify(): void {
    if (this.notifyTimer !== null) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.published = this.connection;
    for (const listener of this.listeners) listener();
  }

  async sendMessages(
    options: {
      trigger: "submit-message" | "regenerate-message";
      chatId: string;
      messageId: string | undefined;
      messages: UIMessage[];
      abortSignal: AbortSignal | undefined;
    } & ChatRequestOptions,
  ): Promise<ReadableStream<UIMessageChunk>> {
    const sessionId = this.options.sessionId ?? options.chatId;
    const last = options.messages.at(-1);
    this.interrupted = null;
    const continuation = last?.role === "assistant" ? approvalDecisions(last) : [];
    const extras = {
      signal: options.abortSignal ?? null,
      ...(options.headers ? { headers: options.headers } : {}),
    };
    // A POST starts or continues a turn: never repeated on a failure (it is not idempotent).
    const response =
      continuation.length > 0
        ? await this.client.continueTurn(sessionId, continuation, extras)
        : await this.client.sendMessage(sessionId, lastUserMessage(options.messages), extras);
    if (!response.ok) throw await ReplayHttpError.from(response);
    return this.follow({ response, skipUntil: null }, newFollowState(sessionId, null), options.abortSignal);
  }

  async reconnectToStream(
    options: { chatId: string; abortSignal?: AbortSignal } & ChatRequestOptions,
  ): Promise<ReadableStream<UIMessageChunk> | null> {
    const sessionId = this.options.sessionId ?? options.chatId;
    // §7: send a cursor only if this transport holds the interrupted stream's cursor.
    const held = this.interrupted?.sessionId === sessionId ? this.interrupted : null;
    this.interrupted = null;
    const state = newFollowState(sessionId, held);
    const signal = options.abortSignal ?? new AbortController().signal;
    const connected = await this.connect(state, signal, { initial: true, headers: options.headers });
    if (connected === null) return null;
    return this.follow(connected, state, options.abortSignal, this.resumeStreamIsReplay);
  }

  /** Releases listeners; in-flight streams end with their abort signals. */
  close(): void {
    if (this.notifyTimer !== null) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.listeners.clear();
  }

  /**
   * Turns one response (and every reconnect after it) into the chunk stream the AI SDK
   * consumes. Pull-based with no internal buffer beyond the parser, so "pulled" means
   * "the AI SDK read it": only then does the cursor move (§7 Cursor). Unnumbered content
   * frames wait for the numbered frame that follows them ({@link FrameGroups}); everything
   * parsed is handed over before a reconnect, so a drop never splits such a group.
   */
  private follow(
    first: Connected,
    state: FollowState,
    signal: AbortSignal | undefined,
    holdStart = false,
  ): ReadableStream<UIMessageChunk> {
    let reader = first.response.body?.getReader() ?? null;
    let frames = new FrameGroups(first.skipUntil);
    // Cancelling the returned stream (the consumer is gone) stops everything, reconnects included.
    const cancelled = new AbortController();
    const requestSignal = signal ? anySignal([signal, cancelled.signal]) : cancelled.signal;
    this.setPhase("streaming");

    const nextChunk = async (): Promise<UIMessageChunk | null> => {
      for (;;) {
        const delivery = frames.shift();
        if (delivery) {
          const chunk = this.deliver(delivery, state);
          if (chunk === null) continue;
          return chunk;
        }
        if (state.terminal) {
          // Done: release the connection instead of leaving the body half-read.
          await reader?.cancel().catch(() => {});
          return null;
        }
        const read = reader ? await this.readOrStall(reader) : { done: true as const };
        if ("error" in read || read.done) {
          if (signal?.aborted) throw signal.reason ?? new DOMException("Aborted", "AbortError");
          if (cancelled.signal.aborted || state.terminal) return null;
          const next = await this.connect(state, requestSignal, { initial: false });
          if (next === null || cancelled.signal.aborted) return null;
          reader = next.response.body?.getReader() ?? null;
          // A group still held from the dropped body is discarded here: the new response
          // starts from the cursor before it and delivers it again.
          frames = new FrameGroups(next.skipUntil);
          this.setPhase("streaming");
          continue;
        }
        this.update({ bytesReceived: this.connection.bytesReceived + read.value.byteLength });
        frames.feed(read.value);
      }
    };

    // A replay the AI SDK resets on (§7 replay rebuild): `start` empties the bubble, so it
    // waits for the first chunk after it and both go over in one turn of the event loop,
    // and the page never renders the emptied bubble while the replay's content is on its way.
    let heldStart: UIMessageChunk | null = null;
    let after: { chunk: UIMessageChunk | null } | null = null;
    const nextWithStart = async (): Promise<UIMessageChunk | null> => {
      if (after) {
        const { chunk } = after;
        after = null;
        return chunk;
      }
      for (;;) {
        const chunk = await nextChunk();
        if (holdStart && chunk?.type === "start") {
          holdStart = false;
          heldStart = chunk;
          continue;
        }
        if (heldStart === null) return chunk;
        const start = heldStart;
        heldStart = null;
        after = { chunk };
        return start;
      }
    };

    return new ReadableStream<UIMessageChunk>(
      {
        pull: async (controller) => {
          try {
            const chunk = await nextWithStart();
            if (chunk) controller.enqueue(chunk);
            else {
              this.setPhase("idle");
              controller.close();
            }
          } catch (error) {
            this.setPhase(error instanceof StreamDisconnectedError ? "gave-up" : "idle");
            if (error instanceof StreamDisconnectedError && state.cursorText) {
              this.interrupted = { sessionId: state.sessionId, runId: state.runId, cursor: state.cursorText };
            }
            controller.error(error);
          }
        },
        cancel: async () => {
          cancelled.abort();
          this.setPhase("idle");
          await reader?.cancel().catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Reads the body; a stalled socket (no bytes within the stall timeout) counts as a drop. */
  private async readOrStall(
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<ReadableStreamReadResult<Uint8Array> | { error: unknown }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<{ error: unknown }>((resolve) => {
      timer = setTimeout(() => {
        void reader.cancel().catch(() => {});
        resolve({ error: new TypeError("network error: the stream stalled") });
      }, this.stallTimeoutMs);
    });
    try {
      return await Promise.race([reader.read().catch((error: unknown) => ({ error })), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Hands one delivery to the AI SDK, which is pulling now: commits the id it carries and
   * returns its chunk, or `null` when there is nothing to hand over.
   */
  private deliver(delivery: Delivery, state: FollowState): UIMessageChunk | null {
    if (delivery.id !== undefined) this.commitCursor(state, delivery.id);
    const chunk = delivery.chunk;
    if (chunk === null) return null;
    if (chunk.type === "start") {
      state.runId = runIdOfBubble(chunk.messageId, state.sessionId) ?? state.runId;
      // One `start` per stream: after a reconnect the AI SDK already has the bubble.
      if (state.startSent) return null;
      state.startSent = true;
      return chunk;
    }
    if (isTerminal(chunk)) {
      state.terminal = true;
      if (state.runId) this.endedRuns.add(state.runId);
    }
    return chunk;
  }

  private commitCursor(state: FollowState, id: string): void {
    // An empty id resets the cursor: no Last-Event-ID is sent after it.
    state.cursorText = id === "" ? null : id;
    state.cursor = id === "" ? null : parseEventId(id);
    this.update({ lastEventId: state.cursorText });
  }

  /**
   * Gets a stream response for `state` (§7): the first attach of `reconnectToStream`, or a
   * reconnect after a drop (at once, then capped exponential backoff with jitter). Network
   * failures, stalls and 5xx/429 answers are retried, without limit unless `maxAttempts`
   * says otherwise; other 4xx answers end the stream. `null`: nothing to attach (204).
   */
  private async connect(
    state: FollowState,
    signal: AbortSignal,
    options: { initial: boolean; headers?: Record<string, string> | Headers | undefined },
  ): Promise<Connected | null> {
    let lastError: unknown;
    for (let failures = 0; ; failures++) {
      const reconnecting = !options.initial || failures > 0;
      if (reconnecting) {
        if (failures >= this.maxAttempts)
          throw new StreamDisconnectedError(this.maxAttempts, { cause: lastError });
        await this.pause(failures, signal);
        this.update({ reconnects: this.connection.reconnects + 1 });
      }
      if (signal.aborted) throw signal.reason ?? new DOMException("Aborted", "AbortError");
      try {
        const response = await this.requestStream(state, signal, options.headers);
        if (response.status === 204) {
          this.lastMode = null;
          return null; // nothing to attach: end cleanly
        }
        if (!response.ok) {
          const error = await ReplayHttpError.from(response);
          if (!isRetriable(response.status)) throw error;
          lastError = error;
          continue;
        }
        return await this.accept(response, state, options.initial);
      } catch (error) {
        if (signal.aborted || error instanceof ReplayHttpError || error instanceof StaleCursorError)
          throw error;
        lastError = error;
      }
    }
  }

  /** `GET /stream` with the cursor; a request that gets no headers within the stall timeout is aborted. */
  private async requestStream(
    state: FollowState,
    signal: AbortSignal,
    headers: Record<string, string> | Headers | undefined,
  ): Promise<Response> {
    const attempt = new AbortController();
    const timer = setTimeout(
      () => attempt.abort(new TypeError("network error: no response")),
      this.stallTimeoutMs,
    );
    try {
      return await this.client.stream(state.sessionId, {
        cursor: state.cursorText,
        runId: state.runId,
        signal: anySignal([signal, attempt.signal]),
        ...(headers ? { headers } : {}),
      });
    } catch (error) {
      throw attempt.signal.aborted && !signal.aborted ? attempt.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads the server's verdict from its headers (§6: `x-chat-replay-mode`,
   * `x-chat-replay-cursor`) and decides how to continue the chunk stream.
   */
  private async accept(response: Response, state: FollowState, initial: boolean): Promise<Connected> {
    const stated = readAttachHeaders(response.headers);
    // An older server without the header answers full replays and resumes alike: read it
    // as full, which never duplicates (the bubble is rebuilt or skipped through by id).
    const mode: ReplayMode = stated.mode === null || stated.mode === "no-content" ? "full" : stated.mode;
    const verdict = stated.cursor;
    const stale = verdict === "stale";
    this.lastMode = mode;
    if (stale) this.update({ staleCursors: this.connection.staleCursors + 1 });
    // A resume continues after our cursor; a finish-only answer (§6: the turn ended) closes
    // the stream normally; a first attach is a replay the AI SDK rebuilds from.
    if (mode === "resume" || mode === "finish-only" || initial) return { response, skipUntil: null };
    // A full replay mid-stream: skip what we applied (same ids) if our cursor can say where
    // that ends. A stale, ignored, unparseable or unsent cursor cannot: the bubble must be
    // rebuilt from a clean replay, now, not when the turn ends (the body runs live).
    const comparable =
      state.cursorText === null ||
      (state.cursor !== null && !stale && verdict !== "ignored" && isSendableCursor(state.cursorText));
    if (!comparable) {
      await response.body?.cancel().catch(() => {});
      throw new StaleCursorError(state.runId);
    }
    return { response, skipUntil: state.cursor };
  }

  /**
   * Waits before reconnect attempt `failures + 1`: capped exponential backoff with jitter
   * (the first reconnect is immediate), cut short by {@link wake}; while the page is
   * offline or hidden it waits for it to come back instead of spending attempts.
   */
  private async pause(failures: number, signal: AbortSignal): Promise<void> {
    let delay =
      failures === 0 ? 0 : jittered(Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (failures - 1)));
    for (;;) {
      if (signal.aborted) return;
      if (!this.connectivity.isOnline() || !this.connectivity.isVisible()) {
        this.setPhase("offline");
        await this.waitForWake(Number.POSITIVE_INFINITY, signal, true);
        delay = 0;
        continue;
      }
      this.setPhase("reconnecting");
      if (delay <= 0) return;
      await this.waitForWake(delay, signal, false);
      delay = 0;
    }
  }

  /** Resolves after `ms`, on {@link wake}, on abort, and (when asked) on a connectivity change. */
  private waitForWake(ms: number, signal: AbortSignal, onConnectivity: boolean): Promise<void> {
    return new Promise((resolve) => {
      let unsubscribe = () => {};
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        this.wakers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
      if (onConnectivity) unsubscribe = this.connectivity.subscribe(done);
    });
  }
}

function newFollowState(
  sessionId: string,
  held: { runId: string | null; cursor: string } | null,
): FollowState {
  return {
    sessionId,
    runId: held?.runId ?? null,
    cursor: held ? parseEventId(held.cursor) : null,
    cursorText: held?.cursor ?? null,
    startSent: false,
    terminal: false,
  };
}

/** 5xx, 408 and 429 are passing conditions worth retrying; other 4xx answers will not change. */
function isRetriable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** A delay between half and all of `base`, so many clients never retry in step. */
function jittered(base: number): number {
  return base / 2 + Math.random() * (base / 2);
}

/** The decisions of an assistant message whose approvals were answered (§7 Continuation). */
function approvalDecisions(message: UIMessage): { approvalId: string; approved: boolean; reason?: string }[] {
  return message.parts.flatMap((part) => {
    if (!("state" in part) || part.state !== "approval-responded" || !("approval" in part)) return [];
    const approval = part.approval as { id: string; approved: boolean; reason?: string };
    return [
      {
        approvalId: approval.id,
        approved: approval.approved,
        ...(approval.reason ? { reason: approval.reason } : {}),
      },
    ];
  });
}

function lastUserMessage(messages: UIMessage[]): UIMessage | undefined {
  return messages.findLast((message) => message.role === "user");
}

/**
 * Creates an AI SDK `ChatTransport` that resumes exactly where a dropped stream stopped.
 * @example
 * const transport = createReplayTransport({ sessionId });
 * const chat = new Chat({ id: sessionId, transport });
 */
export function createReplayTransport(options: ReplayTransportOptions = {}): ReplayTransport {
  return new ReplayTransport(options);
}
