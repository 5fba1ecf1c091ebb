import type { UseVercelChatOptions } from "@chat-replay/react";
import { useDemoChat } from "../hooks/use-demo-chat";
import { ChatPane } from "./chat-pane";
import { ConnectionStats } from "./connection-stats";

/** Props of {@link ObserverPane}. */
export interface ObserverPaneProps {
  readonly sessionId: string;
  readonly fetch?: typeof fetch;
  readonly reconnect?: UseVercelChatOptions["reconnect"];
  readonly onClose: () => void;
}

/**
 * A second reader of the same session in the same page, with its own chat, transport and
 * (inside an `IsolatedQueryClient`) its own status polling: it attaches to a live turn the
 * way another tab does, prompt first, then the live bubble.
 */
export function ObserverPane({ sessionId, fetch, reconnect, onClose }: ObserverPaneProps) {
  const demoChat = useDemoChat({
    sessionId,
    ...(fetch ? { fetch } : {}),
    ...(reconnect ? { reconnect } : {}),
  });
  return (
    <div className="observer-pane" data-testid="observer-pane">
      <ChatPane demoChat={demoChat} title="Observer" variant="observer" />
      <details className="panel observer-connection">
        <summary>Observer connection</summary>
        <ConnectionStats connection={demoChat.connection} recovery={demoChat.recovery} />
        <div className="button-row">
          <button
            type="button"
            className="button"
            disabled={demoChat.openStreams === 0 || demoChat.connection.phase !== "streaming"}
            onClick={() => demoChat.demoFetch.dropConnection()}
          >
            Drop observer connection
          </button>
        </div>
      </details>
      <button type="button" className="button" onClick={onClose}>
        Close observer
      </button>
    </div>
  );
}
