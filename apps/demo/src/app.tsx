import type { UseVercelChatOptions } from "@chat-replay/react";
import { useState, useSyncExternalStore } from "react";
import { ChatWorkspace } from "./components/chat-workspace";
import { SessionList } from "./components/session-list";
import { TurnError } from "./components/turn-error";
import { Welcome } from "./components/welcome";
import { useHashRoute } from "./hooks/use-hash-route";
import { sessionHash } from "./lib/hash-route";
import { createServerSession, type SessionRegistry } from "./lib/session-registry";

/** Props of {@link App}. */
export interface AppProps {
  readonly registry: SessionRegistry;
  /** The network under the demo's fetch wrapper: the global fetch, or MSW in previews. */
  readonly fetch?: typeof fetch;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
}

/** The demo: the session list, and the open session (from the URL hash, so reload returns to it). */
export function App({ registry, fetch, reconnect }: AppProps) {
  const sessions = useSyncExternalStore(registry.subscribe, registry.getSnapshot, registry.getSnapshot);
  const { sessionId } = useHashRoute();
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<Error | null>(null);
  const create = () => {
    setCreating(true);
    setCreateError(null);
    createServerSession(fetch ?? globalThis.fetch, `Chat ${sessions.length + 1}`)
      .then((session) => {
        registry.add(session);
        window.location.hash = sessionHash(session.id);
      })
      .catch((error: unknown) => setCreateError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => setCreating(false));
  };
  const forget = (id: string) => {
    registry.remove(id);
    window.location.hash = "";
  };
  const title = sessions.find((session) => session.id === sessionId)?.title ?? "Chat";
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          chat-replay <span className="muted">demo</span>
        </h1>
      </header>
      <nav className="app-nav" aria-label="Chats">
        <SessionList sessions={sessions} activeId={sessionId} creating={creating} onCreate={create} />
        <TurnError error={createError} />
      </nav>
      <main className="app-main">
        {sessionId ? (
          <ChatWorkspace
            key={sessionId}
            sessionId={sessionId}
            title={title}
            onForget={forget}
            {...(fetch ? { fetch } : {})}
            {...(reconnect ? { reconnect } : {})}
          />
        ) : (
          <Welcome creating={creating} onCreate={create} />
        )}
      </main>
    </div>
  );
}
