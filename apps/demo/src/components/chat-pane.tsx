import { type ReactNode, type RefObject, useId } from "react";
import type { DemoChat } from "../hooks/use-demo-chat";
import { describeEventId } from "../lib/event-position";
import { answerWords, pendingApprovals } from "../lib/message-parts";
import { PROMPT_PRESETS } from "../lib/prompt-presets";
import { recoveryOf } from "../lib/recovery";
import { ApprovalCard } from "./approval-card";
import { ChatHeader } from "./chat-header";
import { Composer } from "./composer";
import { MessageList } from "./message-list";
import { PromptPresets } from "./prompt-presets";
import { RecoveryNotice } from "./recovery-notice";
import { TurnError } from "./turn-error";

/** Props of {@link ChatPane}. */
export interface ChatPaneProps {
  readonly demoChat: DemoChat;
  readonly title: string;
  /** The main pane can send; an observer only watches (and may still approve). */
  readonly variant: "main" | "observer";
  /** Opened through a share link: the server refuses every write, so the pane only reads. */
  readonly readOnly?: boolean;
  /** The composer's draft, owned above so the break-it panel can add directives. */
  readonly draft?: string;
  readonly onDraftChange?: (text: string) => void;
  /** The message box, focused after actions that remove the focused control. */
  readonly inputRef?: RefObject<HTMLTextAreaElement | null>;
  /** Extra header controls (the tools drawer toggle on phones). */
  readonly headerActions?: ReactNode;
}

/** One chat: status, transcript with its recovery notice, approvals, and the composer. */
export function ChatPane(props: ChatPaneProps) {
  const { demoChat, variant, readOnly = false, inputRef } = props;
  const headingId = useId();
  const { chat } = demoChat;
  const status = chat.sessionStatus.data?.turnStatus;
  const last = chat.messages.at(-1);
  const sendDisabled = demoChat.busy || demoChat.turnActive;
  const canWrite = variant === "main" && !readOnly;
  const lastAssistant = chat.messages.findLast((message) => message.role === "assistant");
  // Actions that remove the control under the focus hand it to the message box (or the
  // transcript when there is none), never to <body>.
  const refocus = () => inputRef?.current?.focus();
  const recovery = recoveryOf({
    phase: demoChat.connection.phase,
    attempts: demoChat.recovery.attempts,
    lostConnection: demoChat.lostConnection,
    detached: demoChat.detached,
    turnActive: demoChat.turnActive,
  });
  // The caret means words are arriving: not while the notice says the connection is away.
  const streamingMessageId =
    chat.status === "streaming" && recovery === null && last?.role === "assistant" ? last.id : null;
  const tail = recovery && (
    <RecoveryNotice
      recovery={recovery}
      words={answerWords(lastAssistant)}
      position={describeEventId(demoChat.connection.lastEventId)}
      onResume={() => {
        refocus();
        void demoChat.reattach();
      }}
    />
  );
  const empty = (
    <div className="empty-transcript">
      <p>No messages yet.{canWrite ? " Pick a scenario or type a prompt below." : ""}</p>
      {canWrite && (
        <PromptPresets
          presets={PROMPT_PRESETS}
          disabled={sendDisabled}
          onPick={(prompt) => {
            // The chips go away with the first message: the focus goes to the message box.
            refocus();
            demoChat.send(prompt);
          }}
        />
      )}
    </div>
  );
  return (
    <section className="chat-pane" data-variant={variant} aria-labelledby={headingId}>
      <ChatHeader
        headingId={headingId}
        title={props.title}
        status={status}
        phase={demoChat.connection.phase}
        actions={props.headerActions}
      />
      <MessageList
        messages={chat.messages}
        streamingMessageId={streamingMessageId}
        label={variant === "main" ? "Conversation" : "Observer conversation"}
        tail={tail}
        empty={empty}
      />
      <TurnError error={demoChat.requestError} />
      {readOnly ? (
        <p className="read-only-note">
          Read-only: you are watching this chat through a share link. Its owner sends, approves and stops.
        </p>
      ) : (
        <div className="approvals" aria-live="polite">
          {pendingApprovals(chat.messages).map((approval) => (
            <ApprovalCard
              key={approval.approvalId}
              approval={approval}
              pending={demoChat.busy}
              onRespond={(id, approved) => {
                refocus();
                demoChat.respond(id, approved);
              }}
            />
          ))}
        </div>
      )}
      {canWrite && (
        <Composer
          text={props.draft ?? ""}
          onTextChange={props.onDraftChange ?? (() => {})}
          sendDisabled={sendDisabled}
          canStop={demoChat.turnActive}
          canDetach={demoChat.busy}
          detached={demoChat.detached && demoChat.turnActive}
          onSend={demoChat.send}
          onStop={() => {
            refocus();
            void demoChat.stop();
          }}
          onDetach={() => void demoChat.detach()}
          onReattach={() => void demoChat.reattach()}
          {...(inputRef ? { inputRef } : {})}
        />
      )}
    </section>
  );
}
