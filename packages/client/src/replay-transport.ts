import {
  type EventCursor,
  HEADERS,
  parseEventId,
  type ReplayMode,
  runIdOfBubble,
  sessionPath,
} from "@chat-replay/protocol";
import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from "ai";
import { type Delivery, FrameGroups, isTerminal } from "./frame-groups";
import { ReplayHttpError, StaleCursorError, StreamDisconnectedError } from "./replay-errors";

/** Options of {@link createReplayTransport}. */
export interface ReplayTransportOptions {
  /** Origin and path prefix of the replay server; `""` = same origin. */
  readonly baseUrl?: string;
  /** The session to talk to; defaults to the AI SDK's chat id. */
  readonly sessionId?: string;
  /** A fetch implementation (tests, custom agents). Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Extra headers for every request (e.g. `Authorization`). */
  readonly headers?: Record<string, string>;
  readonly credentials?: RequestCredentials;
  readonly reconnect?: {
    /** Reconnect attempts after a drop before giving up (default 8). */
    readonly maxAttempts?: number;
    /** First backoff delay; the very first reconnect is immediate (default 250 ms). */
    readonly initialDelayMs?: number;
    /** Backoff cap (default 5000 ms). */
    readonly maxDelayMs?: number;
    /**
     * A response that delivers no byte (not even a keepalive) this long is treated as
     * dropped and reconnected (default 25,000 ms: 2.5× the server's 10 s keepalive).
     */
    readonly stallTimeoutMs?: number;
  };
}

/** What a UI can show about the transport's connection. */
export interface ConnectionState {
  /** Id of the last frame the AI SDK pulled, or null. */
  readonly lastEventId: string | null;
  /** Reconnects since the transport was created. */
  readonly reconnects: number;
  readonly phase: "idle" | "streaming" | "reconnecting" | "gave-up";
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

const INITIAL_CONNECTION: ConnectionState = {
  lastEventId: null,
  reconnects: 0,
  phase: "idle",
  bytesReceived: 0,
  staleCursors: 0,
};

/**
 * An AI SDK `ChatTransport` for the replay protocol (§7). It parses the SSE body itself,
 * records the id of the last frame the AI SDK pulled, and when a body ends or fails before
 * `finish`, reconnects with `Last-Event-ID` and keeps feeding the same chunk stream, so the
 * library never sees the drop. Usable without React.
 */
export class ReplayTransport implements ChatTransport<UIMessage> {
  private connection: ConnectionState = INITIAL_CONNECTION;
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  private lastMode: ReplayMode | null = null;
  /** The cursor of a stream that gave up, offered once to the next resume of that session. */
  private interrupted: { sessionId: string; runId: string | null; cursor: string } | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly maxAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stallTimeoutMs: number;
  /**
   * Runs whose stream this transport read to a terminal chunk (`finish`, `error`, `abort`):
   * the turn's outcome is known here, so the hook does not re-attach to them.
   */
  readonly endedRuns = new Set<string>();

  constructor(private readonly options: ReplayTransportOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxAttempts = options.reconnect?.maxAttempts ?? 8;
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
  readonly getSnapshot = (): ConnectionState => this.connection;

  private update(change: Partial<ConnectionState>): void {
    this.connection = { ...this.connection, ...change };
    // Phase, reconnect and stale-cursor changes are news; the cursor and byte counters move
    // with every frame, so their notifications are coalesced (at most one per 100 ms) to
    // keep a UI showing them from re-rendering per token. The snapshot is always current.
    if (change.phase !== undefined || change.reconnects !== undefined || change.staleCursors !== undefined) {
      this.notify();
    } else if (this.notifyTimer === null) {
      this.notifyTimer = setTimeout(() => this.notify(), 100);
    }
  }

  private notify(): void {
    if (this.notifyTimer !== null) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
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
    const response =
      continuation.length > 0
        ? await this.post(sessionPath("continue", sessionId), { decisions: continuation }, options)
        : await this.post(
            sessionPath("messages", sessionId),
            { message: lastUserMessage(options.messages) },
            options,
          );
    if (!response.ok) throw await ReplayHttpError.from(response);
    return this.follow(response, sessionId, options.abortSignal);
  }

  async reconnectToStream(
    options: { chatId: string; abortSignal?: AbortSignal } & ChatRequestOptions,
  ): Promise<ReadableStream<UIMessageChunk> | null> {
    const sessionId = this.options.sessionId ?? options.chatId;
    // §7: send a cursor only if this transport holds the interrupted stream's cursor.
    const held = this.interrupted?.sessionId === sessionId ? this.interrupted : null;
    this.interrupted = null;
    const response = await this.get(
      sessionId,
      held?.cursor ?? null,
      options.abortSignal,
      options.headers,
      held?.runId,
    );
    this.lastMode = response.headers.get(HEADERS.replayMode) === "resume" ? "resume" : "full";
    if (response.status === 204) return null;
    if (!response.ok) throw await ReplayHttpError.from(response);
    return this.follow(response, sessionId, options.abortSignal, held);
  }

  /** Releases listeners; in-flight streams end with their abort signals. */
  close(): void {
    if (this.notifyTimer !== null) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.listeners.clear();
  }

  private headers(extra?: Record<string, string> | Headers): Headers {
    const headers = new Headers(this.options.headers);
    for (const [key, value] of new Headers(extra)) headers.set(key, value);
    return headers;
  }

  private post(
    path: string,
    body: unknown,
    options: ChatRequestOptions & { abortSignal: AbortSignal | undefined },
  ) {
    const headers = this.headers(options.headers);
    headers.set("content-type", "application/json");
    return this.fetchImpl(`${this.options.baseUrl ?? ""}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: options.abortSignal ?? null,
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
  }

  /** `GET /stream`; with the run id when known, so a cursor can never resume another turn. */
  private get(
    sessionId: string,
    cursor: string | null,
    signal?: AbortSignal,
    extra?: Record<string, string> | Headers,
    runId?: string | null,
  ) {
    const headers = this.headers(extra);
    if (cursor) headers.set("last-event-id", cursor);
    const query = runId ? `?run_id=${encodeURIComponent(runId)}` : "";
    return this.fetchImpl(`${this.options.baseUrl ?? ""}${sessionPath("stream", sessionId)}${query}`, {
      headers,
      signal: signal ?? null,
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
  }

  /**
   * Turns one response (and every reconnect after it) into the chunk stream the AI SDK
   * consumes. Pull-based with no internal buffer beyond the parser, so "pulled" means
   * "the AI SDK read it": only then does the cursor move (§7 Cursor). Unnumbered content
   * frames wait for the numbered frame that follows them ({@link FrameGroups}); everything
   * parsed is handed over before a reconnect, so a drop never splits such a group.
   */
  private follow(
    first: Response,
    sessionId: string,
    signal: AbortSignal | undefined,
    held: { runId: string | null; cursor: string } | null = null,
  ): ReadableStream<UIMessageChunk> {
    const state: FollowState = {
      sessionId,
      runId: held?.runId ?? null,
      cursor: held ? parseEventId(held.cursor) : null,
      cursorText: held?.cursor ?? null,
      startSent: false,
      terminal: false,
    };
    let reader = first.body?.getReader() ?? null;
    let frames = new FrameGroups();
    // Cancelling the returned stream (the consumer is gone) stops everything, reconnects included.
    const cancelled = new AbortController();
    const requestSignal = signal ? AbortSignal.any([signal, cancelled.signal]) : cancelled.signal;
    this.update({ phase: "streaming" });

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
          const next = await this.reconnect(state, requestSignal);
          if (next === null || cancelled.signal.aborted) return null;
          reader = next.response.body?.getReader() ?? null;
          // A group still held from the dropped body is discarded here: the new response
          // starts from the cursor before it and delivers it again.
          frames = new FrameGroups(next.skipUntil);
          continue;
        }
        this.update({ bytesReceived: this.connection.bytesReceived + read.value.byteLength });
        frames.feed(read.value);
      }
    };

    return new ReadableStream<UIMessageChunk>(
      {
        pull: async (controller) => {
          try {
            const chunk = await nextChunk();
            if (chunk) controller.enqueue(chunk);
            else {
              this.update({ phase: "idle" });
              controller.close();
            }
          } catch (error) {
            this.update({ phase: error instanceof StreamDisconnectedError ? "gave-up" : "idle" });
            if (error instanceof StreamDisconnectedError && state.cursorText) {
              this.interrupted = { sessionId, runId: state.runId, cursor: state.cursorText };
            }
            controller.error(error);
          }
        },
        cancel: async () => {
          cancelled.abort();
          this.update({ phase: "idle" });
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
    return this.terminalCheck(chunk, state);
  }

  private terminalCheck(chunk: UIMessageChunk, state: FollowState): UIMessageChunk {
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

  /** Reconnects with the cursor: at once, then exponential backoff with jitter (§7). */
  private async reconnect(
    state: FollowState,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Response; skipUntil: EventCursor | null } | null> {
    this.update({ phase: "reconnecting" });
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1, signal);
      if (signal?.aborted) throw signal.reason ?? new DOMException("Aborted", "AbortError");
      this.update({ reconnects: this.connection.reconnects + 1 });
      try {
        const response = await this.get(state.sessionId, state.cursorText, signal, undefined, state.runId);
        if (response.status === 204) return null; // nothing to attach: end cleanly
        if (response.status === 404) throw await ReplayHttpError.from(response);
        if (!response.ok) {
          lastError = await ReplayHttpError.from(response);
          continue;
        }
        this.update({ phase: "streaming" });
        return this.acceptReconnect(response, state);
      } catch (error) {
        if (signal?.aborted || error instanceof ReplayHttpError || error instanceof StaleCursorError)
          throw error;
        lastError = error;
      }
    }
    throw new StreamDisconnectedError(this.maxAttempts, { cause: lastError });
  }

  private async acceptReconnect(
    response: Response,
    state: FollowState,
  ): Promise<{ response: Response; skipUntil: EventCursor | null }> {
    const mode = response.headers.get(HEADERS.replayMode);
    const stale = response.headers.get(HEADERS.cursor) === "stale";
    if (mode === "resume") return { response, skipUntil: null };
    if (stale) this.update({ staleCursors: this.connection.staleCursors + 1 });
    // §6: a finish-only answer means the turn ended: let it close the stream normally.
    if (mode === "finish-only") return { response, skipUntil: null };
    if (stale) {
      // Never wait for the body: a stale full replay of a running turn ends only with the
      // turn, and the rebuild must happen now, not then.
      await response.body?.cancel().catch(() => {});
      throw new StaleCursorError(state.runId);
    }
    // A full replay we did not ask to be stale: skip the frames we already applied (same ids).
    return { response, skipUntil: state.cursor };
  }

  private backoff(failures: number, signal: AbortSignal | undefined): Promise<void> {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (failures - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
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
