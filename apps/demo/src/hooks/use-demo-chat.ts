import {
  isActiveStatus,
  ReplayHttpError,
  StaleCursorError,
  StreamDisconnectedError,
  type UseVercelChatOptions,
  type UseVercelChatResult,
  useVercelChat,
} from "@chat-replay/react";
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { createDemoFetch, type DemoFetch } from "../lib/demo-fetch";
import { FrameLog } from "../lib/frame-log";
import { answerWords } from "../lib/message-parts";
import { shownPhase } from "../lib/recovery";
import { type RecoveryState, RecoveryTracker } from "../lib/recovery-tracker";
import type { TurnCheck } from "../lib/turn-check";

/** Options of {@link useDemoChat}. */
export interface UseDemoChatOptions {
  readonly sessionId: string;
  /** The fetch under the demo's cuttable wrapper: the network by default, MSW in previews. */
  readonly fetch?: typeof fetch;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
  readonly statusIntervals?: UseVercelChatOptions["statusIntervals"];
  /** A share link's token: this chat reads the session read-only (`x-chat-replay-share`). */
  readonly shareToken?: string | null;
}

/** One chat of the demo: `useVercelChat` plus the demo's network controls and actions. */
export interface DemoChat {
  readonly chat: UseVercelChatResult;
  /** The transport's connection state as the demo shows it (`shownPhase`: a give-up that is over reads idle). */
  readonly connection: UseVercelChatResult["connection"];
  readonly demoFetch: DemoFetch;
  readonly frameLog: FrameLog;
  /** SSE bodies open right now (the "Drop connection now" button needs one). */
  readonly openStreams: number;
  /** The demo plays offline ("Go offline for 20 s"). */
  readonly playingOffline: boolean;
  /** This tab has a request in flight (`submitted` or `streaming`). */
  readonly busy: boolean;
  /** The server says a turn is running or waiting for approval. */
  readonly turnActive: boolean;
  /** Successful reconnects and the attempts of the current outage. */
  readonly recovery: RecoveryState;
  /** The connection gave up (a finite retry budget ran out) and the turn's end is unknown here. */
  readonly lostConnection: boolean;
  /** This tab stopped following the turn on purpose ("Detach this tab"); the turn goes on. */
  readonly detached: boolean;
  /** A refused request (send, cancel, approval): shown as an alert, once. */
  readonly requestError: Error | null;
  /** Words received vs stored for this tab's last finished turn. */
  readonly turnCheck: TurnCheck | null;
  readonly send: (text: string) => void;
  readonly respond: (approvalId: string, approved: boolean) => void;
  /** Stops the turn on the server for every reader. */
  readonly stop: () => Promise<void>;
  /** Leaves the turn in this tab only. */
  readonly detach: () => Promise<void>;
  /** Follows the turn again after a detach or a give-up, from the held cursor if any. */
  readonly reattach: () => Promise<void>;
}

/**
 * Wires one chat for the demo: a fetch the demo can cut (or play offline) and whose SSE
 * frames feed the event log, `useVercelChat` on top of it, and the user's actions (send,
 * approve or deny then continue, stop for everyone, detach and re-attach). Needs a
 * `QueryClientProvider`.
 */
export function useDemoChat(options: UseDemoChatOptions): DemoChat {
  // One wrapper and log per mounted chat: the hook's transport is keyed on the fetch identity.
  const [{ demoFetch, frameLog, tracker }] = useState(() => {
    const log = new FrameLog();
    const wrapped = createDemoFetch({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onFrame: (frame) => log.push(frame),
    });
    return { demoFetch: wrapped, frameLog: log, tracker: new RecoveryTracker() };
  });
  const [turnCheck, setTurnCheck] = useState<TurnCheck | null>(null);
  const chat = useVercelChat({
    sessionId: options.sessionId,
    fetch: demoFetch.fetch,
    connectivity: demoFetch.connectivity,
    ...(options.shareToken ? { headers: { "x-chat-replay-share": options.shareToken } } : {}),
    onFinish: ({ message, isAbort, isDisconnect }) => {
      // A detach or a lost connection did not receive the whole turn: nothing to compare.
      if (isAbort || isDisconnect || message.role !== "assistant") return;
      setTurnCheck({ messageId: message.id, received: answerWords(message), stored: null });
    },
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    ...(options.statusIntervals ? { statusIntervals: options.statusIntervals } : {}),
  });
  const { transport } = chat;
  useEffect(() => tracker.follow(transport), [tracker, transport]);
  const recovery = useSyncExternalStore(tracker.subscribe, tracker.getSnapshot, tracker.getSnapshot);
  const openStreams = useSyncExternalStore(
    demoFetch.subscribe,
    demoFetch.getOpenStreams,
    demoFetch.getOpenStreams,
  );
  const playingOffline = useSyncExternalStore(demoFetch.subscribe, demoFetch.isOffline, demoFetch.isOffline);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [detached, setDetached] = useState(false);
  const fail = useCallback((error: unknown) => {
    setActionError(error instanceof Error ? error : new Error(String(error)));
  }, []);
  const { sendMessage, addToolApprovalResponse, cancel, session } = chat;
  const busy = chat.status === "submitted" || chat.status === "streaming";
  const turnActive = isActiveStatus(chat.sessionStatus.data);
  // Status polls slowly while idle (3 s), so a turn this tab starts or finishes would show a
  // stale badge for a while; each change of this tab's request state asks for a fresh one.
  const { refetch: refetchStatus } = chat.sessionStatus;
  useEffect(() => {
    if (chat.status !== "submitted") void refetchStatus();
  }, [chat.status, refetchStatus]);
  // A detached tab has nothing to re-attach to once the turn is over.
  useEffect(() => {
    if (!turnActive) setDetached(false);
  }, [turnActive]);

  // The live check: once the turn is over on the server, read what it stored for the bubble.
  const pendingCheck = turnCheck !== null && turnCheck.stored === null ? turnCheck.messageId : null;
  useEffect(() => {
    if (pendingCheck === null || turnActive || busy) return;
    const abort = new AbortController();
    session.client
      .history(options.sessionId, abort.signal)
      .then((messages) => {
        const stored = messages.find((message) => message.id === pendingCheck);
        setTurnCheck((check) =>
          check?.messageId === pendingCheck ? { ...check, stored: answerWords(stored) } : check,
        );
      })
      .catch(() => {
        // Aborted, or the history read failed: the check stays pending until the next change.
      });
    return () => abort.abort();
  }, [pendingCheck, turnActive, busy, session, options.sessionId]);

  const send = useCallback(
    (text: string) => {
      setActionError(null);
      setDetached(false);
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
    return cancel().catch(fail);
  }, [cancel, fail]);
  const detach = useCallback(() => {
    setDetached(true);
    return session.detach().catch(fail);
  }, [session, fail]);
  const reattach = useCallback(() => {
    setDetached(false);
    return session.reconnect().catch(fail);
  }, [session, fail]);

  const chatError = chat.status === "error" ? chat.error : undefined;
  const lostConnection = isConnectionError(chatError);
  const phase = shownPhase(chat.connection.phase, { lostConnection, turnActive });
  const connection = useMemo(
    () => (phase === chat.connection.phase ? chat.connection : { ...chat.connection, phase }),
    [chat.connection, phase],
  );
  return {
    chat,
    connection,
    demoFetch,
    frameLog,
    openStreams,
    playingOffline,
    busy,
    turnActive,
    recovery,
    lostConnection,
    detached,
    // A turn's own failure is in its bubble (the error text ends the answer), and a lost
    // connection in the recovery notice: only refused requests are alerts.
    requestError: actionError ?? (chatError instanceof ReplayHttpError ? chatError : null),
    turnCheck,
    send,
    respond,
    stop,
    detach,
    reattach,
  };
}

/** Errors a lost connection leaves behind, as opposed to the turn's own failure. */
function isConnectionError(error: Error | undefined): boolean {
  return (
    error instanceof StreamDisconnectedError ||
    error instanceof TypeError ||
    error instanceof StaleCursorError
  );
}
