import { isToolUIPart, type UIMessage } from "ai";
import { toToolCallView } from "../lib/message-parts";
import { InterruptNotice } from "./interrupt-notice";
import { ReasoningPart } from "./reasoning-part";
import { ToolCallPart } from "./tool-call-part";

/** Props of {@link MessagePart}. */
export interface MessagePartProps {
  readonly part: UIMessage["parts"][number];
}

/** One part of a message: text, reasoning, a tool call, or the interrupt of a stopped turn. */
export function MessagePart({ part }: MessagePartProps) {
  if (part.type === "text") {
    return (
      <p className="text-part" data-testid="text-part">
        {part.text}
      </p>
    );
  }
  if (part.type === "reasoning")
    return <ReasoningPart text={part.text} streaming={part.state === "streaming"} />;
  if (isToolUIPart(part)) return <ToolCallPart view={toToolCallView(part)} />;
  if (part.type === "data-interrupt") return <InterruptNotice reason={interruptReason(part.data)} />;
  // step-start, sources, files and other data parts carry nothing this demo shows.
  return null;
}

function interruptReason(data: unknown): string {
  if (typeof data === "object" && data !== null && "reason" in data && typeof data.reason === "string") {
    return data.reason;
  }
  return "interrupted";
}
