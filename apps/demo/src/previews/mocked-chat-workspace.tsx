import type { UseVercelChatOptions } from "@chat-replay/react";
import { useEffect, useState } from "react";
import { ChatWorkspace } from "../components/chat-workspace";
import { IsolatedQueryClient } from "../components/isolated-query-client";
import { createMockFetch } from "./mock-fetch";
import { MockReplayBackend, type MockSessionSeed } from "./mock-replay-backend";

/** Props of {@link MockedChatWorkspace}. */
export interface MockedChatWorkspaceProps {
  readonly seed: MockSessionSeed;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
  readonly initialObserverOpen?: boolean;
  readonly initialLogOpen?: boolean;
  /** Open as a share link's holder (read-only). */
  readonly shareToken?: string;
  /** Whether this browser's list has the session (decides what a 404 means). */
  readonly ownedHere?: boolean;
}

/**
 * The real `ChatWorkspace` (hooks, transport, status polling) against a fresh
 * {@link MockReplayBackend} behind MSW handlers: one per preview, so every state is live.
 */
export function MockedChatWorkspace({
  seed,
  reconnect,
  initialObserverOpen,
  initialLogOpen,
  shareToken,
  ownedHere,
}: MockedChatWorkspaceProps) {
  const [backend] = useState(() => new MockReplayBackend(seed));
  const [fetch] = useState(() => createMockFetch(backend.handlers));
  useEffect(() => () => backend.dispose(), [backend]);
  return (
    <IsolatedQueryClient>
      <ChatWorkspace
        sessionId={seed.sessionId}
        title={seed.title ?? "Preview chat"}
        fetch={fetch}
        {...(reconnect ? { reconnect } : {})}
        onForget={() => {}}
        onReload={() => {}}
        initialObserverOpen={initialObserverOpen ?? false}
        initialLogOpen={initialLogOpen ?? false}
        shareToken={shareToken ?? null}
        ownedHere={ownedHere ?? true}
        pageUrl="https://demo.example"
      />
    </IsolatedQueryClient>
  );
}
