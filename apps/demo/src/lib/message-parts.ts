import { type DynamicToolUIPart, getToolName, isToolUIPart, type ToolUIPart, type UIMessage } from "ai";

/** A tool call as the demo renders it, whatever tool it is. */
export interface ToolCallView {
  readonly toolCallId: string;
  readonly toolName: string;
  /** The AI SDK's tool part state (`input-streaming` … `output-denied`). */
  readonly state: ToolUIPart["state"];
  readonly input: unknown;
  readonly output: unknown;
  readonly errorText: string | undefined;
  /** The human decision, once there is one. */
  readonly approved: boolean | undefined;
}

/** A tool call waiting for Approve or Deny. */
export interface PendingApproval {
  /** What `addToolApprovalResponse({ id })` takes. */
  readonly approvalId: string;
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
}

/** Flattens a static or dynamic tool part into one view shape. */
export function toToolCallView(part: ToolUIPart | DynamicToolUIPart): ToolCallView {
  return {
    toolCallId: part.toolCallId,
    toolName: getToolName(part),
    state: part.state,
    input: part.input,
    output: part.state === "output-available" ? part.output : undefined,
    errorText: part.state === "output-error" ? part.errorText : undefined,
    approved: part.approval && "approved" in part.approval ? part.approval.approved : undefined,
  };
}

/**
 * The tool calls of the last assistant message that await a decision (§7 Continuation):
 * the demo shows one Approve/Deny card for each.
 */
export function pendingApprovals(messages: readonly UIMessage[]): PendingApproval[] {
  const last = messages.at(-1);
  if (last?.role !== "assistant") return [];
  return last.parts.flatMap((part) =>
    isToolUIPart(part) && part.state === "approval-requested"
      ? [
          {
            approvalId: part.approval.id,
            toolCallId: part.toolCallId,
            toolName: getToolName(part),
            input: part.input,
          },
        ]
      : [],
  );
}

/** Pretty JSON for tool input and output; `undefined` shows as an em dash. */
export function formatJson(value: unknown): string {
  if (value === undefined) return "—";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    // Circular or BigInt values cannot be JSON: show their string form instead.
    return String(value);
  }
}

/** Words in a text, as the demo counts them for "words received vs stored". */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}

/** Words of a message's answer text (its text parts; reasoning and tools not counted). */
export function answerWords(message: UIMessage | undefined): number {
  if (!message) return 0;
  return countWords(message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join(""));
}
