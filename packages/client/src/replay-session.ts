import { activeUserMessageId, bubbleId, runIdOfBubble } from "@chat-replay/protocol";
import type { ChatInit, ChatStatus, UIMessage } from "ai";
import { adoptHistory, historyCovers } from "./adopt-history";
import { AttachTracker } from "./attach-tracker";
import { browserConnectivity, type Connectivity } from "./connectivity";
import { ReplayClient, type ReplayClientOptions } from "./replay-client";
import { ReplayHttpError, StreamDisconnectedError } from "./replay-errors";
import { type ConnectionState, ReplayTransport, type ReplayTransportOptions } from "./replay-transport";
import { isActiveStatus, type SessionStatusView } from "./session-status-client";
import { upsertActivePromptMessage } from "./upsert-active-prompt-message";

/** The part of an AI SDK chat the controller drives: `AbstractChat` and its subclasses fit. */
export interface ChatLike {
  messages: UIMessage[];
  readonly status: ChatStatus;
  readonly error: Error | undefined;
  resumeStream(): Promise<void>;
  clearError(): void;
  stop(): Promise<void>;
}

/** Options of {@link ReplaySession}. */
export interface ReplaySessionOptions extends ReplayClientOptions {
  readonly sessionId: string;
  /** Share one HTTP client (and its ETags) with other code; built from the options otherwise. */
  readonly client?: ReplayClient;
  readonly connectivity?: Connectivity;
  readonly reconnect?: ReplayTransportOptions["reconnect"];
  /**
   * Poll status itself (`true`, or intervals): for use without a query library. Off by
   * default; a binding that polls elsewhere (TanStack Query) feeds {@link ReplaySession.updateStatus}.
   */
  readonly pollStatus?: boolean | { readonly active?: number; readonly idle?: number };
  /** Asks the status source for a fresh poll now (a binding's refetch); used on wake-ups and after cancel. */
  readonly refreshStatus?: () => unknown;
  /** The chat starts with messages of its own (server-rendered): history then waits for the turn to end. */
  readonly hasInitialMessages?: boolean;
}

/** What a UI shows about a session, besides the chat's own messages and status. */
export interface ReplaySessionSnapshot {
  readonly status: SessionStatusView | undefined;
  readonly connection: ConnectionState;
  /** The stored-history fetch: `failed` is retried with backoff and on the next status. */
  readonly history: "none" | "loading" | "loaded" | "failed";
}

/**
 * The framework-free controller of one session (§7): it owns the transport, attaches to a
 * live turn exactly once per run (prompt first, then the bubble), re-attaches after a
 * drop, never gives up on a running turn (it keeps the held cursor and re-attaches when
 * the network returns, the tab becomes visible, or a status poll shows the run still
 * active), adopts the stored history once the session is quiescent, and cancels or
 * detaches on request. Any UI subscribes with `subscribe`/`getSnapshot`.
 */
export class ReplaySession {
  readonly sessionId: string;
  readonly client: ReplayClient;
  readonly transport: ReplayTransport;
  private chat: ChatLike | null = null;
  private readonly tracker = new AttachTracker();
  private readonly connectivity: Connectivity;
  private readonly listeners = new Set<() => void>();
  private readonly cleanups: (() => void)[] = [];
  private value: ReplaySessionSnapshot;
  private historyVersion = -1;
  private historyMessages: UIMessage[] | null = null;
  private historyFailures = 0;
  private historyRetry: ReturnType<typeof setTimeout> | null = null;
  private historyAbort: AbortController | null = null;
  private firstLoad: boolean;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  /**
   * An attach ended in a lost connection: the next attempt waits for news (a status
   * answer, the network or tab coming back, a Retry) instead of spinning on stale status.
   */
  private awaitingNews = false;

  constructor(private readonly options: ReplaySessionOptions) {
    this.sessionId = options.sessionId;
    this.client = options.client ?? new ReplayClient(options);
    this.connectivity = options.connectivity ?? browserConnectivity();
    this.transport = new ReplayTransport({
      sessionId: options.sessionId,
      client: this.client,
      connectivity: this.connectivity,
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    });
    this.firstLoad = !options.hasInitialMessages;
    this.value = { status: undefined, connection: this.transport.getSnapshot(), history: "none" };
    // Internal only: listeners on the page (connectivity, polling) start when a chat is
    // bound, so a controller built and dropped (React StrictMode's double memo) leaks nothing.
    this.transport.subscribe(() => this.set({ connection: this.transport.getSnapshot() }));
  }

  /** Subscribe to snapshot changes (fits `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current status, connection and history state (a stable object until it changes). */
  readonly getSnapshot = (): ReplaySessionSnapshot => this.value;

  /**
   * The parts of a `ChatInit` the controller needs: its session id, its transport, and
   * `onError`/`onFinish` wrappers that keep the attach bookkeeping (yours run after).
   */
  chatInit(
    callbacks: Pick<ChatInit<UIMessage>, "onError" | "onFinish"> = {},
  ): Pick<ChatInit<UIMessage>, "id" | "transport" | "onError" | "onFinish"> {
    return {
      id: this.sessionId,
      transport: this.transport,
      onError: (error) => {
        this.tracker.failed();
        if (isLostConnection(error)) this.awaitingNews = true;
        this.later();
        callbacks.onError?.(error);
      },
      onFinish: (event) => {
        const runId = runIdOfBubble(event.message.id, this.sessionId);
        // A normal finish, a failed turn's own `error` chunk, or `stop()`: this tab is done
        // with the run (stop detaches; the turn goes on and history is adopted when it
        // ends). Only a broken connection leaves it to the next attach.
        const ended =
          runId !== null && (this.transport.endedRuns.has(runId) || (!event.isError && !event.isDisconnect));
        if (ended) this.tracker.finished(runId);
        else this.tracker.failed();
        this.later();
        callbacks.onFinish?.(event);
      },
    };
  }

  /** Binds the chat built with {@link chatInit}; the controller drives it from now on. */
  bindChat(chat: ChatLike): void {
    if (this.disposed) return;
    const first = this.chat === null;
    this.chat = chat;
    if (chat.messages.length > 0) this.firstLoad = false;
    if (first) {
      this.cleanups.push(this.connectivity.subscribe(() => this.onConnectivity()));
      if (this.options.pollStatus) void this.poll();
    }
    this.sync();
  }

  /** A status poll's answer (every answer, unchanged ones too: each may trigger a re-attach). */
  updateStatus(status: SessionStatusView): void {
    if (this.disposed) return;
    if (status !== this.value.status) this.set({ status });
    this.awaitingNews = false;
    this.sync();
  }

  /**
   * Re-evaluates attach and history from the latest status and the chat's state; call it
   * when the chat's status changes if the chat is not bound through {@link chatInit}.
   */
  sync(): void {
    const chat = this.chat;
    const status = this.value.status;
    if (!chat || !status || this.disposed) return;
    const busy = isBusy(chat.status);
    if (this.awaitingNews) {
      this.syncHistory();
      return;
    }
    const decision = this.tracker.decide(status, busy);
    if (decision.upsertPrompt) {
      const next = upsertActivePromptMessage(chat.messages, {
        sessionId: this.sessionId,
        runId: status.currRunId,
        prompt: status.prompt,
        promptMessageId: status.promptMessageId,
      });
      if (next !== chat.messages) chat.messages = next;
    }
    if (decision.attach) {
      if (chat.status === "error") chat.clearError();
      void chat.resumeStream();
    } else if (isActiveStatus(status)) {
      // The run is still active and the server answers: a reconnect waiting out its
      // backoff goes now.
      this.transport.wake();
    }
    this.syncHistory();
  }

  /** Stops the turn on the server for every reader; `detach()` only leaves it. */
  async cancel(reason = "user_cancel"): Promise<void> {
    await this.client.cancel(this.sessionId, reason);
    await this.refresh();
  }

  /** A manual Retry: re-attaches now from the held cursor, whatever the backoff says. */
  async reconnect(): Promise<void> {
    if (this.transport.wake()) return;
    const chat = this.chat;
    if (!chat || isBusy(chat.status)) return;
    if (chat.status === "error") chat.clearError();
    this.tracker.failed();
    this.awaitingNews = false;
    await chat.resumeStream();
  }

  /** Stops following the turn in this client (the turn goes on; history is adopted when it ends). */
  async detach(): Promise<void> {
    await this.chat?.stop();
  }

  /** Detaches and releases timers and listeners. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    if (this.historyRetry !== null) clearTimeout(this.historyRetry);
    this.historyAbort?.abort();
    void this.chat?.stop();
    this.transport.close();
    this.listeners.clear();
  }

  private set(change: Partial<ReplaySessionSnapshot>): void {
    this.value = { ...this.value, ...change };
    for (const listener of [...this.listeners]) listener();
  }

  /** Runs `sync` after the AI SDK finished updating the chat (its callbacks run mid-update). */
  private later(): void {
    setTimeout(() => this.sync(), 0);
  }

  /** The network or the tab came back: reconnect now, and ask for a fresh status. */
  private onConnectivity(): void {
    if (!this.connectivity.isOnline() || !this.connectivity.isVisible()) return;
    this.transport.wake();
    this.awaitingNews = false;
    this.sync();
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    if (this.options.refreshStatus) await this.options.refreshStatus();
    else if (this.options.pollStatus) await this.poll();
  }

  /** §7 History adoption: once quiescent (no active turn, nothing in flight), or on first load. */
  private syncHistory(): void {
    const chat = this.chat;
    const status = this.value.status;
    if (!chat || !status) return;
    const quiescent = !isActiveStatus(status) && !isBusy(chat.status);
    if (!quiescent && !this.firstLoad) return;
    if (this.historyVersion !== status.version) {
      this.historyVersion = status.version;
      this.historyMessages = null;
      this.historyFailures = 0;
      void this.fetchHistory(status.version);
      return;
    }
    if (this.historyMessages) this.adopt(this.historyMessages);
  }

  private async fetchHistory(version: number): Promise<void> {
    if (this.historyRetry !== null) clearTimeout(this.historyRetry);
    this.historyRetry = null;
    this.historyAbort?.abort();
    const abort = new AbortController();
    this.historyAbort = abort;
    this.set({ history: "loading" });
    try {
      const messages = await this.client.history(this.sessionId, abort.signal);
      if (abort.signal.aborted || version !== this.historyVersion) return;
      this.historyMessages = messages;
      this.set({ history: "loaded" });
      this.adopt(messages);
    } catch (error) {
      if (abort.signal.aborted || version !== this.historyVersion || this.disposed) return;
      this.set({ history: "failed" });
      // A 404 will not change; anything else is retried with capped backoff.
      if (error instanceof ReplayHttpError && error.status === 404) return;
      const delay = Math.min(30_000, 500 * 2 ** this.historyFailures++);
      this.historyRetry = setTimeout(() => void this.fetchHistory(version), delay);
    }
  }

  private adopt(messages: UIMessage[]): void {
    const chat = this.chat;
    const status = this.value.status;
    if (!chat || !status) return;
    if (!isActiveStatus(status)) {
      if (isBusy(chat.status)) return;
      // Only a snapshot that holds every live message is the complete content (one fetched
      // before this tab's own turn, or from a lagging status, is not).
      const complete = historyCovers(chat.messages, messages);
      const next = adoptHistory(chat.messages, messages);
      if (next !== chat.messages) chat.messages = next;
      this.firstLoad = false;
      // The content is complete: an error left by a lost connection is stale now.
      if (complete && chat.status === "error" && isConnectionError(chat.error)) chat.clearError();
      return;
    }
    if (!this.firstLoad) return;
    // First load while a turn runs: the stored history (the server hides the active run's
    // rows) goes in front of the live run, so a late reader sees the earlier turns now,
    // not when this one ends.
    this.firstLoad = false;
    const next = prependEarlierTurns(chat.messages, messages, this.sessionId, status);
    if (next) chat.messages = next;
  }

  /** The built-in poller (`pollStatus`): fast while a turn is active, slow otherwise, paused while hidden. */
  private async poll(): Promise<void> {
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (this.disposed) return;
    const intervals = typeof this.options.pollStatus === "object" ? this.options.pollStatus : {};
    let status: SessionStatusView | undefined;
    try {
      if (this.connectivity.isVisible()) status = await this.client.status(this.sessionId, this.value.status);
    } catch {
      // A failed poll changes nothing; the next one tries again.
    }
    try {
      if (status) this.updateStatus(status);
    } finally {
      if (!this.disposed) {
        const next = isActiveStatus(this.value.status)
          ? (intervals.active ?? 1000)
          : (intervals.idle ?? 3000);
        this.pollTimer = setTimeout(() => void this.poll(), next);
      }
    }
  }
}

/**
 * `[...earlier, ...live]` when every live message belongs to the active run (its prompt,
 * the synthetic prompt, its bubble) and the stored history adds messages; else null.
 */
function prependEarlierTurns(
  live: UIMessage[],
  stored: UIMessage[],
  sessionId: string,
  status: SessionStatusView,
): UIMessage[] | null {
  const runId = status.currRunId;
  if (runId === null) return null;
  const runIds = new Set([activeUserMessageId(sessionId, runId), bubbleId(sessionId, runId)]);
  if (status.promptMessageId) runIds.add(status.promptMessageId);
  if (!live.every((message) => runIds.has(message.id))) return null;
  const liveIds = new Set(live.map((message) => message.id));
  const earlier = stored.filter((message) => !liveIds.has(message.id));
  return earlier.length > 0 ? [...earlier, ...live] : null;
}

function isBusy(status: ChatStatus): boolean {
  return status === "submitted" || status === "streaming";
}

/** The network is gone (the AI SDK's disconnect test): retrying before news would spin. */
function isLostConnection(error: Error): boolean {
  return error instanceof StreamDisconnectedError || error instanceof TypeError;
}

/** Errors a lost connection leaves behind (as opposed to the turn's own failure). */
function isConnectionError(error: Error | undefined): boolean {
  if (!error) return false;
  if (error instanceof StreamDisconnectedError) return true;
  if (error instanceof ReplayHttpError) return error.status >= 500 || error.status === 429;
  return error instanceof TypeError || error.name === "StaleCursorError";
}
