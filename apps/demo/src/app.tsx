import type { UseVercelChatOptions } from "@chat-replay/react";
import { useEffect, useId, useRef, useState, useSyncExternalStore } from "react";
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

/**
 * The demo as an app shell: a header that stays, the chat list (a drawer on phones), and
 * the open session from the URL hash (so reload returns to it; a share token makes it
 * read-only).
 */
export function App({ registry, fetch, reconnect }: AppProps) {
  const sessions = useSyncExternalStore(registry.subscribe, registry.getSnapshot, registry.getSnapshot);
  const { sessionId, shareToken } = useHashRoute();
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<Error | null>(null);
  const [justCreated, setJustCreated] = useState<string | null>(null);
  const [navOpen, setNavOpen] = useState(false);
  const [left, setLeft] = useState(false);
  const navId = useId();
  const nav = useRef<HTMLElement>(null);
  const navToggle = useRef<HTMLButtonElement>(null);
  // Picking a chat (or any route change) closes the drawer on phones; a focus left on the
  // hidden drawer's link goes back to the drawer's toggle (a new chat has focused its box).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the route is the trigger
  useEffect(() => {
    if (navOpen && nav.current?.contains(document.activeElement)) navToggle.current?.focus();
    setNavOpen(false);
  }, [sessionId, shareToken]);
  const create = () => {
    setCreating(true);
    setCreateError(null);
    createServerSession(fetch ?? globalThis.fetch, `Chat ${sessions.length + 1}`)
      .then((session) => {
        registry.add(session);
        setJustCreated(session.id);
        window.location.hash = sessionHash(session.id);
      })
      .catch((error: unknown) => setCreateError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => setCreating(false));
  };
  const forget = (id: string) => {
    registry.remove(id);
    // Its button goes away with the chat: the welcome screen's start button takes the focus.
    setLeft(true);
    window.location.hash = "";
  };
  const owned = sessions.find((session) => session.id === sessionId);
  const title = owned?.title ?? (shareToken ? "Shared chat" : "Chat");
  return (
    <div className="app" data-nav={navOpen || undefined}>
      <header className="app-header">
        <button
          ref={navToggle}
          type="button"
          className="button nav-toggle"
          aria-expanded={navOpen}
          aria-controls={navId}
          onClick={() => setNavOpen((open) => !open)}
        >
          Chats
        </button>
        <h1>
          chat-replay <span className="muted">demo</span>
        </h1>
      </header>
      <nav className="app-nav" id={navId} aria-label="Chats" ref={nav}>
        <SessionList sessions={sessions} activeId={sessionId} creating={creating} onCreate={create} />
        <TurnError error={createError} />
      </nav>
      <main className="app-main">
        {sessionId ? (
          <ChatWorkspace
            key={`${sessionId}:${shareToken ?? ""}`}
            sessionId={sessionId}
            title={title}
            onForget={forget}
            shareToken={shareToken}
            ownedHere={owned !== undefined}
            autoFocus={justCreated === sessionId}
            {...(fetch ? { fetch } : {})}
            {...(reconnect ? { reconnect } : {})}
          />
        ) : (
          <Welcome creating={creating} onCreate={create} autoFocus={left} />
        )}
      </main>
    </div>
  );
}
