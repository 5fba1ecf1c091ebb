import { activeUserMessageId, bubbleId } from "@chat-replay/protocol";
import type { UIMessage } from "ai";

/** The active turn as the status endpoint describes it. */
export interface ActivePrompt {
  readonly sessionId: string;
  readonly runId: string | null | undefined;
  readonly prompt: string | null | undefined;
  readonly promptMessageId?: string | null | undefined;
}

/** The plain text of a message: its text parts joined by newlines (as the server stores prompts). */
export function messageText(message: UIMessage): string {
  return message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}

function isPromptCopy(message: UIMessage | undefined, prompt: string): boolean {
  return message?.role === "user" && messageText(message) === prompt;
}

/**
 * Makes sure an observer shows the active turn's prompt (§7 Prompt upsert): inserts it just
 * before the run's bubble `<session_id>:<run_id>`, or appends it, unless it is already
 * there (by id, or as the sender's own optimistic copy). Pure and idempotent: returns the
 * same array instance when nothing changes.
 */
export function upsertActivePromptMessage(messages: UIMessage[], active: ActivePrompt): UIMessage[] {
  const { sessionId, runId, prompt, promptMessageId } = active;
  if (!runId || !prompt || prompt.trim() === "") return messages;
  const syntheticId = activeUserMessageId(sessionId, runId);
  if (
    messages.some(
      (message) => message.id === syntheticId || (promptMessageId && message.id === promptMessageId),
    )
  ) {
    return messages;
  }
  const bubbleIndex = messages.findIndex((message) => message.id === bubbleId(sessionId, runId));
  if (bubbleIndex > 0 && isPromptCopy(messages[bubbleIndex - 1], prompt)) return messages;
  if (bubbleIndex < 0 && isPromptCopy(messages.at(-1), prompt)) return messages;
  const promptMessage: UIMessage = {
    id: promptMessageId ?? syntheticId,
    role: "user",
    parts: [{ type: "text", text: prompt }],
  };
  if (bubbleIndex < 0) return [...messages, promptMessage];
  return [...messages.slice(0, bubbleIndex), promptMessage, ...messages.slice(bubbleIndex)];
}
