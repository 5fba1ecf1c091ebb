import { ReplayHttpError, type UseVercelChatOptions } from "@chat-replay/react";
import { useEffect, useId, useRef, useState } from "react";
import { useDemoChat } from "../hooks/use-demo-chat";
import { useFrameLog } from "../hooks/use-frame-log";
import { sessionHash } from "../lib/hash-route";
import { answerWords } from "../lib/message-parts";
import { withDirective } from "../lib/prompt-presets";
import { currentTurnCheck } from "../lib/turn-check";
import { BreakItPanel, OFFLINE_PLAY_MS } from "./break-it-panel";
import { ChatPane } from "./chat-pane";
import { ConnectionPanel } from "./connection-panel";
import { EventLog } from "./event-log";
import { IsolatedQueryClient } from "./isolated-query-client";
import { ObserverPane } from "./observer-pane";
import { SessionGone } from "./session-gone";
import { SharePanel } from "./share-panel";

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
  /** A share link's token: read-only, without the break-it tools. */
  readonly shareToken?: string | null;
  /** This browser created the session (it is in its list); decides what a 404 means. */
  readonly ownedHere?: boolean;
  /** Focus the message box on mount (the user just created this chat). */
  readonly autoFocus?: boolean;
  /** Where share links point; defaults to this page. */
  readonly pageUrl?: string;
}

/** The open session: the main chat, an optional in-page observer, and the tools side panel. */
export function ChatWorkspace(props: ChatWorkspaceProps) {
  const { sessionId, fetch, reconnect, shareToken = null } = props;
  const readOnly = shareToken !== null;
  const demoChat = useDemoChat({
    sessionId,
    shareToken,
    ...(fetch ? { fetch } : {}),
    ...(reconnect ? { reconnect } : {}),
  });
  const frames = useFrameLog(demoChat.frameLog);
  const [observerOpen, setObserverOpen] = useState(props.initialObserverOpen ?? false);
  const [logOpen, setLogOpen] = useState(props.initialLogOpen ?? false);
  const [toolsOpen, setToolsOpen] = useState(false);
  const [draft, setDraft] = useState("");
  const [shareRequests, setShareRequests] = useState(0);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const toolsToggle = useRef<HTMLButtonElement>(null);
  const toolsId = useId();
  // biome-ignore lint/correctness/useExhaustiveDependencies: only on mount
  useEffect(() => {
    if (props.autoFocus) inputRef.current?.focus();
  }, []);
  const statusError = demoChat.chat.sessionStatus.error;
  const gone = statusError instanceof ReplayHttpError && statusError.status === 404;
  const closeTools = () => {
    setToolsOpen(false);
    toolsToggle.current?.focus();
  };
  const toolsButton = readOnly ? null : (
    <button
      ref={toolsToggle}
      type="button"
      className="button tools-toggle"
      aria-expanded={toolsOpen}
      aria-controls={toolsId}
      onClick={() => setToolsOpen((open) => !open)}
    >
      Break it
    </button>
  );
  const lastAssistant = demoChat.chat.messages.findLast((message) => message.role === "assistant");
  const turnOver = !demoChat.busy && !demoChat.turnActive;
  return (
    <div
      className="workspace"
      data-observer={observerOpen || undefined}
      data-tools={toolsOpen || undefined}
      data-read-only={readOnly || undefined}
    >
      {gone ? (
        <SessionGone
          ownedHere={props.ownedHere ?? true}
          shared={readOnly}
          onForget={() => props.onForget(sessionId)}
        />
      ) : (
        <ChatPane
          demoChat={demoChat}
          title={props.title}
          variant="main"
          readOnly={readOnly}
          draft={draft}
          onDraftChange={setDraft}
          inputRef={inputRef}
          headerActions={toolsButton}
        />
      )}
      {observerOpen && (
        <IsolatedQueryClient>
          <ObserverPane
            sessionId={sessionId}
            {...(fetch ? { fetch } : {})}
            {...(reconnect ? { reconnect } : {})}
            onClose={() => {
              setObserverOpen(false);
              inputRef.current?.focus();
            }}
          />
        </IsolatedQueryClient>
      )}
      {!readOnly && !gone && (
        <aside className="inspector" id={toolsId} aria-label="Break it and inspect">
          <div className="drawer-bar">
            <button type="button" className="button" onClick={closeTools}>
              Close
            </button>
          </div>
          <BreakItPanel
            sendDisabled={demoChat.busy || demoChat.turnActive}
            canDrop={demoChat.openStreams > 0 && demoChat.connection.phase === "streaming"}
            playingOffline={demoChat.playingOffline}
            liveWords={answerWords(lastAssistant)}
            turnCheck={currentTurnCheck(demoChat.turnCheck, lastAssistant?.id, turnOver)}
            turnOver={turnOver}
            onPickScenario={(prompt) => {
              // The chips disable while the turn runs; on phones the drawer makes way for it.
              setToolsOpen(false);
              inputRef.current?.focus();
              demoChat.send(prompt);
            }}
            onAddDirective={(directive) => {
              setDraft((text) => withDirective(text, directive));
              inputRef.current?.focus();
            }}
            onDrop={() => demoChat.demoFetch.dropConnection()}
            onGoOffline={() => demoChat.demoFetch.goOffline(OFFLINE_PLAY_MS)}
            onGoOnline={() => demoChat.demoFetch.goOnline()}
            onReload={props.onReload ?? (() => window.location.reload())}
            onShare={() => setShareRequests((count) => count + 1)}
          />
          <ConnectionPanel
            connection={demoChat.connection}
            recovery={demoChat.recovery}
            observerOpen={observerOpen}
            onToggleObserver={() => setObserverOpen((open) => !open)}
            observerHref={sessionHash(sessionId)}
          />
          <SharePanel
            sessionId={sessionId}
            client={demoChat.chat.session.client}
            pageUrl={props.pageUrl ?? `${window.location.origin}${window.location.pathname}`}
            requests={shareRequests}
          />
          <EventLog
            frames={frames}
            total={demoChat.frameLog.getTotal()}
            expanded={logOpen}
            onToggle={() => setLogOpen((open) => !open)}
            onClear={() => demoChat.frameLog.clear()}
          />
        </aside>
      )}
    </div>
  );
}
