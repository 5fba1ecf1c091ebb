import type { UIMessage } from "ai";
import type { ReactNode } from "react";
import { MessagePart } from "./message-part";

/** Props of {@link MessageBubble}. */
export interface MessageBubbleProps {
  readonly message: UIMessage;
  /** This bubble is receiving a live stream right now. */
  readonly streaming: boolean;
  /** Shown after the parts: the connection's state for this bubble. */
  readonly tail?: ReactNode;
}

/** One message: the user's prompt or the assistant's bubble with all its parts. */
export function MessageBubble({ message, streaming, tail }: MessageBubbleProps) {
  const author = message.role === "user" ? "You" : "Assistant";
  return (
    <li
      className="bubble"
      data-role={message.role}
      data-message-id={message.id}
      data-streaming={streaming || undefined}
    >
      <p className="bubble-author">{author}</p>
      {message.parts.map((part, index) => (
        // Parts only ever append or update in place, so the position is a stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <MessagePart key={index} part={part} />
      ))}
      {streaming && <span className="caret" aria-hidden="true" />}
      {tail}
    </li>
  );
}
