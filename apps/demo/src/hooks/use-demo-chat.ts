import {
  isActiveStatus,
  StaleCursorError,
  type UseVercelChatOptions,
  type UseVercelChatResult,
  useVercelChat,
} from "@chat-replay/react";
import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { createDemoFetch, type DemoFetch } from "../lib/demo-fetch";
import { FrameLog } from "../lib/frame-log";

/** Options of {@link useDemoChat}. */
export interface UseDemoChatOptions {
  readonly sessionId: string;
  /** The fetch under the demo's cuttable wrapper: the network by default, MSW in previews. */
  readonly fetch?: typeof fetch;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
  readonly statusIntervals?: UseVercelChatOptions["statusIntervals"];
}

/** One chat of the demo: `useVercelChat` plus the demo's network controls and actions. */
export interface DemoChat {
  readonly chat: UseVercelChatResult;
  readonly demoFetch: DemoFetch;
  readonly frameLog: FrameLog;
  /** SSE bodies open right now (the "Drop connection now" button needs one). */
  readonly openStreams: number;
  /** This tab has a request in flight (`submitted` or `streaming`). */
  readonly busy: boolean;
  /** The server says a turn is running or waiting for approval. */
  readonly turnActive: boolean;
  /** The last failed cancel or approval request, shown next to the chat's own error. */
  readonly actionError: Error | null;
  /**
   * The error the last turn of this tab ended with (an `error` chunk), kept after the hook
   * re-attaches and clears `chat.error`; cleared when this tab sends again.
   */
  readonly turnError: Error | null;
  readonly send: (text: string) => void;
  readonly respond: (approvalId: string, approved: boolean) => void;
  readonly stop: () => void;
}

/**
 * Wires one chat for the demo: a fetch the connection panel can cut and whose SSE frames
 * feed the event log, `useVercelChat` on top of it, and the user's actions (send, approve
 * or deny then continue, stop the turn on the server). Needs a `QueryClientProvider`.
 */
export function useDemoChat(options: UseDemoChatOptions): DemoChat {
  // One wrapper and log per mounted chat: the hook's transport is keyed on the fetch identity.
  const [{ demoFetch, frameLog }] = useState(() => {
    const log = new FrameLog();
    const wrapped = createDemoFetch({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onFrame: (frame) => log.push(frame),
    });
    return { demoFetch: wrapped, frameLog: log };
  });
  const [turnError, setTurnError] = useState<Error | null>(null);
  const chat = useVercelChat({
    sessionId: options.sessionId,
    fetch: demoFetch.fetch,
    // Disconnects are the transport's business (it reconnects, the hook re-attaches); only
    // a turn's own failure is worth keeping on screen.
    onError: (error) => {
      if (!(error instanceof TypeError) && !(error instanceof StaleCursorError)) setTurnError(error);
    },
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    ...(options.statusIntervals ? { statusIntervals: options.statusIntervals } : {}),
  });
  const openStreams = useSyncExternalStore(
    demoFetch.subscribe,
    demoFetch.getOpenStreams,
    demoFetch.getOpenStreams,
  );
  const [actionError, setActionError] = useState<Error | null>(null);
  const fail = useCallback((error: unknown) => {
    setActionError(error instanceof Error ? error : new Error(String(error)));
  }, []);
  const { sendMessage, addToolApprovalResponse, cancel } = chat;
  // Status polls slowly while idle (3 s), so a turn this tab starts or finishes would show a
  // stale badge for a while; each change of this tab's request state asks for a fresh one.
  const { refetch: refetchStatus } = chat.sessionStatus;
  useEffect(() => {
    if (chat.status !== "submitted") void refetchStatus();
  }, [chat.status, refetchStatus]);

  const send = useCallback(
    (text: string) => {
      setActionError(null);
      setTurnError(null);
      // sendMessage reports request failures through chat.error; this catch is for the rest.
      sendMessage({ text }).catch(fail);
    },
    [sendMessage, fail],
  );
  const respond = useCallback(
    (approvalId: string, approved: boolean) => {
      setActionError(null);
      // §7 Continuation: record the decision, then continue the paused bubble (no new message).
      Promise.resolve(addToolApprovalResponse({ id: approvalId, approved }))
        .then(() => sendMessage())
        .catch(fail);
    },
    [addToolApprovalResponse, sendMessage, fail],
  );
  const stop = useCallback(() => {
    setActionError(null);
    cancel().catch(fail);
  }, [cancel, fail]);

  return {
    chat,
    demoFetch,
    frameLog,
    openStreams,
    busy: chat.status === "submitted" || chat.status === "streaming",
    turnActive: isActiveStatus(chat.sessionStatus.data),
    actionError,
    turnError,
    send,
    respond,
    stop,
  };
}
