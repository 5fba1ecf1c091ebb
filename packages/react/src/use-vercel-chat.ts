import { Chat, type UseChatHelpers, useChat } from "@ai-sdk/react";
import {
  type ConnectionState,
  type Connectivity,
  ReplaySession,
  type ReplayTransport,
  type ReplayTransportOptions,
  type SessionStatusView,
} from "@chat-replay/client";
import type { UseQueryResult } from "@tanstack/react-query";
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
  /** Online/visibility source (tests, previews); the browser's by default. */
  readonly connectivity?: Connectivity;
  readonly statusIntervals?: UseSessionStatusOptions["intervals"];
  /**
   * Re-render at most once per this many ms while a message streams (`useChat`'s
   * `throttle`). Default 50: render cost follows the frame rate, not the token rate;
   * `0` renders every chunk.
   */
  readonly throttle?: number;
}

/** What {@link useVercelChat} returns: `useChat`'s helpers plus the replay state. */
export type UseVercelChatResult = UseChatHelpers<UIMessage> & {
  readonly sessionStatus: UseQueryResult<SessionStatusView>;
  readonly connection: ConnectionState;
  readonly transport: ReplayTransport;
  /** The framework-free controller behind the hook. */
  readonly session: ReplaySession;
  /** Stops the turn on the server (every tab sees it end); `stop()` only detaches this tab. */
  readonly cancel: (reason?: string) => Promise<void>;
  /** Re-attaches now (a "Retry" action); resumes from the held cursor. */
  readonly reconnect: () => Promise<void>;
};

/** Default `throttle`: at most 20 message renders per second while streaming. */
export const DEFAULT_RENDER_THROTTLE_MS = 50;

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
 * `useChat` that survives drops, reloads, second tabs, restarts and long outages (§7):
 * thin bindings over the core's {@link ReplaySession}, which resumes exactly after network
 * drops, attaches observers to live turns (prompt first, then one bubble
 * `<session_id>:<run_id>`), never gives up on a running turn, and adopts the server
 * transcript in place once a turn ends. Status is polled with TanStack Query (needs a
 * `QueryClientProvider`).
 */
export function useVercelChat(options: UseVercelChatOptions): UseVercelChatResult {
  const { sessionId, baseUrl = "", fetch: fetchImpl, headers, credentials } = options;
  const callbacks = useRef(options);
  callbacks.current = options;
  const refetchStatus = useRef<(() => unknown) | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one controller per session and server; headers, reconnect and connectivity are read once
  const session = useMemo(
    () =>
      new ReplaySession({
        sessionId,
        baseUrl,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        ...(headers ? { headers } : {}),
        ...(credentials ? { credentials } : {}),
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
        ...(options.connectivity ? { connectivity: options.connectivity } : {}),
        hasInitialMessages: options.initialMessages !== undefined,
        refreshStatus: () => refetchStatus.current?.(),
      }),
    [sessionId, baseUrl, fetchImpl],
  );
  useDeferredCleanup(() => session.dispose(), session);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one Chat per controller; callbacks are read through a ref
  const chat = useMemo(
    () =>
      new Chat<UIMessage>({
        ...(options.initialMessages ? { messages: options.initialMessages } : {}),
        ...(options.generateId ? { generateId: options.generateId } : {}),
        ...(options.sendAutomaticallyWhen ? { sendAutomaticallyWhen: options.sendAutomaticallyWhen } : {}),
        onToolCall: (arg) => callbacks.current.onToolCall?.(arg),
        onData: (part) => callbacks.current.onData?.(part),
        ...session.chatInit({
          onError: (error) => callbacks.current.onError?.(error),
          onFinish: (event) => callbacks.current.onFinish?.(event),
        }),
      }),
    [session],
  );
  // In an effect, not the memo: StrictMode runs memos twice and keeps one result.
  useEffect(() => session.bindChat(chat), [session, chat]);
  const helpers = useChat<UIMessage>({ chat, throttle: options.throttle ?? DEFAULT_RENDER_THROTTLE_MS });

  const sessionStatus = useSessionStatus({
    sessionId,
    baseUrl,
    client: session.client,
    ...(options.statusIntervals ? { intervals: options.statusIntervals } : {}),
  });
  refetchStatus.current = sessionStatus.refetch;
  const connection = useSyncExternalStore(
    session.transport.subscribe,
    session.transport.getSnapshot,
    session.transport.getSnapshot,
  );

  // This tab's own send started or ended a turn: poll now instead of at the idle interval.
  // Not on an error: after a lost connection the next regular poll is the news that
  // re-attaches (§7), not an echo of this tab's own failure.
  useEffect(() => {
    if (helpers.status === "streaming" || helpers.status === "ready") void refetchStatus.current?.();
  }, [helpers.status]);

  // Every poll's answer, unchanged ones too (each may re-attach a run still active), and
  // every change of the chat's status go to the controller.
  const { data: status, dataUpdatedAt } = sessionStatus;
  const fedAt = useRef(-1);
  // biome-ignore lint/correctness/useExhaustiveDependencies: helpers.status is a trigger
  useEffect(() => {
    if (status && fedAt.current !== dataUpdatedAt) {
      fedAt.current = dataUpdatedAt;
      session.updateStatus(status);
    } else session.sync();
  }, [status, dataUpdatedAt, helpers.status, session]);

  const cancel = useCallback((reason?: string) => session.cancel(reason), [session]);
  const reconnect = useCallback(() => session.reconnect(), [session]);

  return { ...helpers, sessionStatus, connection, transport: session.transport, session, cancel, reconnect };
}
