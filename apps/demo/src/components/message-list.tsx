import type { UIMessage } from "ai";
import { useRef } from "react";
import { useStickToBottom } from "../hooks/use-stick-to-bottom";
import { MessageBubble } from "./message-bubble";

/** Props of {@link MessageList}. */
export interface MessageListProps {
  readonly messages: readonly UIMessage[];
  /** The id of the bubble a live stream is writing into, if any. */
  readonly streamingMessageId: string | null;
  /** Accessible name of the list, e.g. "Conversation" or "Observer conversation". */
  readonly label: string;
}

/**
 * The transcript, following the stream to the bottom unless the reader scrolled up. The
 * text itself is not a live region (it would read every word aloud); the status badge is.
 */
export function MessageList({ messages, streamingMessageId, label }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  // The AI SDK hands out a new array on every streamed update: follow each one.
  useStickToBottom(scroller, messages);
  return (
    <div className="message-scroller" ref={scroller}>
      {messages.length === 0 ? (
        <p className="empty-transcript">No messages yet. Pick a scenario or type a prompt below.</p>
      ) : (
        <ol className="message-list" aria-label={label} aria-busy={streamingMessageId !== null}>
          {messages.map((message) => (
            <MessageBubble key={message.id} message={message} streaming={message.id === streamingMessageId} />
          ))}
        </ol>
      )}
    </div>
  );
}
