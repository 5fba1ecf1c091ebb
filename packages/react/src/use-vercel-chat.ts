import { Chat, type UseChatHelpers, useChat } from "@ai-sdk/react";
import {
  AttachTracker,
  adoptHistory,
  type ConnectionState,
  createReplayTransport,
  isActiveStatus,
  ReplayHttpError,
  type ReplayTransport,
  type ReplayTransportOptions,
  type SessionStatusView,
  upsertActivePromptMessage,
} from "@chat-replay/client";
import { runIdOfBubble, sessionPath } from "@chat-replay/protocol";
import { type UseQueryResult, useQuery } from "@tanstack/react-query";
import type { ChatInit, UIMessage } from "ai";
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import { type UseSessionStatusOptions, useSessionStatus } from "./use-session-status";

/** Options of {@link useVercelChat}: the session, the server, and `useChat`'s own callbacks. */
export interface UseVercelChatOptions
  extends Pick<
    ChatInit<UIMessage>,
    "onError" | "onFinish" | "onToolCall" | "onData" | "sendAutomaticallyWhen" | "generateId"
  > {
  readonly sessionId: string;
  /** Origin and path prefix of the replay server; `""` = same origin. */
  readonly baseUrl?: string;
  /** Messages to show before history loads (e.g. server-rendered). */
  readonly initialMessages?: UIMessage[];
  readonly fetch?: typeof fetch;
  readonly headers?: Record<string, string>;
  readonly credentials?: RequestCredentials;
  readonly reconnect?: ReplayTransportOptions["reconnect"];
  readonly statusIntervals?: UseSessionStatusOptions["intervals"];
  /** Throttle message re-renders (ms), as `useChat`'s `throttle`. */
  readonly throttle?: number;
}

/** What {@link useVercelChat} returns: `useChat`'s helpers plus the replay state. */
export type UseVercelChatResult = UseChatHelpers<UIMessage> & {
  readonly sessionStatus: UseQueryResult<SessionStatusView>;
  readonly connection: ConnectionState;
  readonly transport: ReplayTransport;
  /** Stops the turn on the server (every tab sees it end); `stop()` only detaches this tab. */
  readonly cancel: (reason?: string) => Promise<void>;
  /** Re-attaches after the transport gave up (a "Retry" action); resumes from the held cursor. */
  readonly reconnect: () => Promise<void>;
};

/**
 * Runs `cleanup` when `resource` is really gone: React StrictMode's simulated unmount is
 * followed by a remount in the same tick, which cancels the cleanup, so dev double-mounts
 * never abort an attach or close the transport in use.
 */
function useDeferredCleanup(cleanup: () => void, resource: unknown): void {
  const mountedResource = useRef<unknown>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the resource only
  useEffect(() => {
    mountedResource.current = resource;
    return () => {
      mountedResource.current = null;
      setTimeout(() => {
        if (mountedResource.current !== resource) cleanup();
      }, 0);
    };
  }, [resource]);
}

/**
 * `useChat` that survives drops, reloads, second tabs and restarts (§7): the replay
 * transport resumes exactly after network drops, status polling attaches observers to live
 * turns (prompt first, then one bubble `<session_id>:<run_id>`), and the server transcript
 * is adopted in place once a turn ends. Needs a `QueryClientProvider`.
 */
export function useVercelChat(options: UseVercelChatOptions): UseVercelChatResult {
  const { sessionId, baseUrl = "", fetch: fetchImpl, headers, credentials } = options;
  const callbacks = useRef(options);
  callbacks.current = options;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one tracker per session by design
  const tracker = useMemo(() => new AttachTracker(), [sessionId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one transport per session and server; headers and reconnect options are read once
  const transport = useMemo(
    () =>
      createReplayTransport({
        baseUrl,
        sessionId,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        ...(headers ? { headers } : {}),
        ...(credentials ? { credentials } : {}),
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      }),
    // A transport per session and server; option objects are read when created.
    [sessionId, baseUrl, fetchImpl],
  );
  useDeferredCleanup(() => transport.close(), transport);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one Chat per transport; callbacks are read through a ref
  const chat = useMemo(
    () =>
      new Chat<UIMessage>({
        id: sessionId,
        transport,
        ...(options.initialMessages ? { messages: options.initialMessages } : {}),
        ...(options.generateId ? { generateId: options.generateId } : {}),
        ...(options.sendAutomaticallyWhen ? { sendAutomaticallyWhen: options.sendAutomaticallyWhen } : {}),
        onToolCall: (arg) => callbacks.current.onToolCall?.(arg),
        onData: (part) => callbacks.current.onData?.(part),
        onError: (error) => {
          tracker.failed();
          callbacks.current.onError?.(error);
        },
        onFinish: (event) => {
          const runId = runIdOfBubble(event.message.id, sessionId);
          // A normal finish, a failed turn's own `error` chunk, or `stop()`: this tab is done
          // with the run (stop detaches; the turn goes on and history is adopted when it
          // ends). Only a broken connection leaves it to the next attach.
          const ended =
            runId !== null && (transport.endedRuns.has(runId) || (!event.isError && !event.isDisconnect));
          if (ended) tracker.finished(runId);
          else tracker.failed();
          callbacks.current.onFinish?.(event);
        },
      }),
    [sessionId, transport, tracker],
  );
  useDeferredCleanup(() => void chat.stop(), chat);
  const helpers = useChat<UIMessage>({ chat, ...(options.throttle ? { throttle: options.throttle } : {}) });

  const sessionStatus = useSessionStatus({
    sessionId,
    baseUrl,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(headers ? { headers } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.statusIntervals ? { intervals: options.statusIntervals } : {}),
  });
  const connection = useSyncExternalStore(transport.subscribe, transport.getSnapshot, transport.getSnapshot);
  const status = sessionStatus.data;
  const busy = helpers.status === "submitted" || helpers.status === "streaming";

  // This tab's own send started or ended a turn: poll now instead of at the idle interval.
  const refetchStatus = sessionStatus.refetch;
  useEffect(() => {
    if (helpers.status !== "submitted") void refetchStatus();
  }, [helpers.status, refetchStatus]);

  // §7 Attach: upsert the prompt, then attach, driven by status and the chat's idleness.
  useEffect(() => {
    const decision = tracker.decide(status, busy);
    if (decision.upsertPrompt && status) {
      const next = upsertActivePromptMessage(chat.messages, {
        sessionId,
        runId: status.currRunId,
        prompt: status.prompt,
        promptMessageId: status.promptMessageId,
      });
      if (next !== chat.messages) chat.messages = next;
    }
    if (decision.attach) {
      if (chat.status === "error") chat.clearError();
      void chat.resumeStream();
    }
  }, [status, busy, chat, tracker, sessionId]);

  // §7 History adoption: once quiescent (no active turn, nothing in flight), or on first load.
  const firstLoad = chat.messages.length === 0 && !options.initialMessages;
  const quiescent = status !== undefined && !isActiveStatus(status) && !busy;
  const history = useQuery({
    queryKey: ["chat-replay", "history", baseUrl, sessionId, status?.version ?? -1],
    queryFn: async ({ signal }) => {
      const response = await (fetchImpl ?? globalThis.fetch)(
        `${baseUrl}${sessionPath("session", sessionId)}`,
        {
          signal,
          ...(headers ? { headers } : {}),
          ...(credentials ? { credentials } : {}),
        },
      );
      if (!response.ok) throw await ReplayHttpError.from(response);
      return ((await response.json()) as { messages: UIMessage[] }).messages;
    },
    enabled: status !== undefined && (quiescent || firstLoad),
    staleTime: Number.POSITIVE_INFINITY,
  });
  useEffect(() => {
    if (!history.data || busy) return;
    if (!quiescent && !(firstLoad && chat.messages.length === 0)) return;
    const next = adoptHistory(chat.messages, history.data);
    if (next !== chat.messages) chat.messages = next;
  }, [history.data, quiescent, busy, chat, firstLoad]);

  const cancel = useCallback(
    async (reason = "user_cancel") => {
      const requestHeaders = new Headers(headers);
      requestHeaders.set("content-type", "application/json");
      const response = await (fetchImpl ?? globalThis.fetch)(
        `${baseUrl}${sessionPath("cancel", sessionId)}`,
        {
          method: "POST",
          headers: requestHeaders,
          body: JSON.stringify({ reason }),
          ...(credentials ? { credentials } : {}),
        },
      );
      if (!response.ok && response.status !== 409) throw await ReplayHttpError.from(response);
      await sessionStatus.refetch();
    },
    [baseUrl, sessionId, fetchImpl, headers, credentials, sessionStatus.refetch],
  );

  const reconnect = useCallback(async () => {
    if (chat.status === "error") chat.clearError();
    await chat.resumeStream();
  }, [chat]);

  return { ...helpers, sessionStatus, connection, transport, cancel, reconnect };
}
