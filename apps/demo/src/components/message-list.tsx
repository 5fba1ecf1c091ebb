import type { UIMessage } from "ai";
import { type ReactNode, useRef } from "react";
import { useStickToBottom } from "../hooks/use-stick-to-bottom";
import { MessageBubble } from "./message-bubble";

/** Props of {@link MessageList}. */
export interface MessageListProps {
  readonly messages: readonly UIMessage[];
  /** The id of the bubble a live stream is writing into, if any. */
  readonly streamingMessageId: string | null;
  /** Accessible name of the list, e.g. "Conversation" or "Observer conversation". */
  readonly label: string;
  /** Shown at the end of the last assistant bubble (or as its own bubble): the recovery notice. */
  readonly tail?: ReactNode;
  /** Shown instead of the list while there are no messages. */
  readonly empty?: ReactNode;
}

/**
 * The transcript, scrolling on its own and following the stream to the bottom unless the
 * reader scrolled up (then "Jump to latest" brings them back). The text itself is not a
 * live region (it would read every word aloud); the status badge and notices are.
 */
export function MessageList({ messages, streamingMessageId, label, tail, empty }: MessageListProps) {
  const scroller = useRef<HTMLElement>(null);
  // The AI SDK hands out a new array on every streamed update: follow each one.
  const { following, jumpToLatest } = useStickToBottom(scroller, [messages, tail]);
  const last = messages.at(-1);
  const tailInBubble = last?.role === "assistant";
  return (
    <div className="transcript">
      {/* A focusable region: keyboard users can scroll the transcript (WCAG 2.1.1). */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable */}
      <section className="message-scroller" ref={scroller} tabIndex={0} aria-label={label}>
        {messages.length === 0 && !tail ? (
          (empty ?? <p className="empty-transcript">No messages yet.</p>)
        ) : (
          <ol className="message-list" aria-busy={streamingMessageId !== null}>
            {messages.map((message) => (
              <MessageBubble
                key={message.id}
                message={message}
                streaming={message.id === streamingMessageId}
                tail={tailInBubble && message === last ? tail : undefined}
              />
            ))}
            {tail && !tailInBubble && (
              <li className="bubble" data-role="assistant" data-pending="true">
                <p className="bubble-author">Assistant</p>
                {tail}
              </li>
            )}
          </ol>
        )}
      </section>
      {!following && messages.length > 0 && (
        <button
          type="button"
          className="button jump-to-latest"
          onClick={() => {
            // The button goes away once followed: the focus goes to the transcript it scrolled.
            scroller.current?.focus({ preventScroll: true });
            jumpToLatest();
          }}
        >
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}
