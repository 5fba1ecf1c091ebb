import { useId } from "react";
import type { DemoChat } from "../hooks/use-demo-chat";
import { pendingApprovals } from "../lib/message-parts";
import { PROMPT_PRESETS } from "../lib/prompt-presets";
import { ApprovalCard } from "./approval-card";
import { ChatHeader } from "./chat-header";
import { Composer } from "./composer";
import { MessageList } from "./message-list";
import { PromptPresets } from "./prompt-presets";
import { TurnError } from "./turn-error";

/** Props of {@link ChatPane}. */
export interface ChatPaneProps {
  readonly demoChat: DemoChat;
  readonly title: string;
  /** The main pane can send; an observer only watches (and may still approve). */
  readonly variant: "main" | "observer";
}

const FAILED_TURN = new Error("The last turn failed; its error text ends the answer above.");

/** One chat: status, transcript, approvals, and for the main pane the presets and composer. */
export function ChatPane({ demoChat, title, variant }: ChatPaneProps) {
  const headingId = useId();
  const { chat } = demoChat;
  const status = chat.sessionStatus.data?.turnStatus;
  const last = chat.messages.at(-1);
  const streamingMessageId = chat.status === "streaming" && last?.role === "assistant" ? last.id : null;
  const sendDisabled = demoChat.busy || demoChat.turnActive;
  // After a reload the live error is gone, but the status still says how the turn ended.
  const failed = status === "failed" && !demoChat.busy ? (demoChat.turnError ?? FAILED_TURN) : null;
  const error = chat.error ?? demoChat.actionError ?? failed;
  return (
    <section className="chat-pane" data-variant={variant} aria-labelledby={headingId}>
      <ChatHeader headingId={headingId} title={title} status={status} phase={chat.connection.phase} />
      <MessageList
        messages={chat.messages}
        streamingMessageId={streamingMessageId}
        label={variant === "main" ? "Conversation" : "Observer conversation"}
      />
      <TurnError error={error} />
      <div className="approvals" aria-live="polite">
        {pendingApprovals(chat.messages).map((approval) => (
          <ApprovalCard
            key={approval.approvalId}
            approval={approval}
            pending={demoChat.busy}
            onRespond={demoChat.respond}
          />
        ))}
      </div>
      {variant === "main" && (
        <>
          <PromptPresets presets={PROMPT_PRESETS} disabled={sendDisabled} onPick={demoChat.send} />
          <Composer
            sendDisabled={sendDisabled}
            canStop={demoChat.turnActive}
            onSend={demoChat.send}
            onStop={demoChat.stop}
          />
        </>
      )}
    </section>
  );
}
