import { ReplayHttpError, type UseVercelChatOptions } from "@chat-replay/react";
import { useState } from "react";
import { useDemoChat } from "../hooks/use-demo-chat";
import { useFrameLog } from "../hooks/use-frame-log";
import { sessionHash } from "../lib/hash-route";
import { ChatPane } from "./chat-pane";
import { ConnectionPanel } from "./connection-panel";
import { EventLog } from "./event-log";
import { IsolatedQueryClient } from "./isolated-query-client";
import { ObserverPane } from "./observer-pane";
import { SessionGone } from "./session-gone";

/** Props of {@link ChatWorkspace}. */
export interface ChatWorkspaceProps {
  readonly sessionId: string;
  readonly title: string;
  /** The network under the demo's fetch wrapper: the global fetch, or MSW in previews. */
  readonly fetch?: typeof fetch;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
  readonly onForget: (sessionId: string) => void;
  /** Defaults to reloading the page. */
  readonly onReload?: () => void;
  readonly initialObserverOpen?: boolean;
  readonly initialLogOpen?: boolean;
}

/** The open session: the main chat, an optional in-page observer, and the protocol inspector. */
export function ChatWorkspace(props: ChatWorkspaceProps) {
  const { sessionId, fetch, reconnect } = props;
  const demoChat = useDemoChat({
    sessionId,
    ...(fetch ? { fetch } : {}),
    ...(reconnect ? { reconnect } : {}),
  });
  const frames = useFrameLog(demoChat.frameLog);
  const [observerOpen, setObserverOpen] = useState(props.initialObserverOpen ?? false);
  const [logOpen, setLogOpen] = useState(props.initialLogOpen ?? false);
  const statusError = demoChat.chat.sessionStatus.error;
  const gone = statusError instanceof ReplayHttpError && statusError.status === 404;
  return (
    <div className="workspace" data-observer={observerOpen || undefined}>
      {gone ? (
        <SessionGone onForget={() => props.onForget(sessionId)} />
      ) : (
        <ChatPane demoChat={demoChat} title={props.title} variant="main" />
      )}
      {observerOpen && (
        <IsolatedQueryClient>
          <ObserverPane
            sessionId={sessionId}
            {...(fetch ? { fetch } : {})}
            {...(reconnect ? { reconnect } : {})}
            onClose={() => setObserverOpen(false)}
          />
        </IsolatedQueryClient>
      )}
      <aside className="inspector" aria-label="Protocol inspector">
        <ConnectionPanel
          connection={demoChat.chat.connection}
          openStreams={demoChat.openStreams}
          onDrop={() => demoChat.demoFetch.dropConnection()}
          onReload={props.onReload ?? (() => window.location.reload())}
          observerOpen={observerOpen}
          onToggleObserver={() => setObserverOpen((open) => !open)}
          observerHref={sessionHash(sessionId)}
        />
        <EventLog
          frames={frames}
          expanded={logOpen}
          onToggle={() => setLogOpen((open) => !open)}
          onClear={() => demoChat.frameLog.clear()}
        />
      </aside>
    </div>
  );
}
