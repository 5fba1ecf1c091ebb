/**
 * The subset of the AI SDK's UI message stream chunks (protocol v1) that the adapter
 * emits. Declared here so the protocol package stays dependency-free; the shapes match
 * `UIMessageChunk` from `ai` and tests check them against its validator.
 */
export type UIMessageChunk =
  | { type: "start"; messageId?: string }
  | { type: "finish" }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "reasoning-start"; id: string }
  | { type: "reasoning-delta"; id: string; delta: string }
  | { type: "reasoning-end"; id: string }
  | { type: "tool-input-start"; toolCallId: string; toolName: string }
  | { type: "tool-input-delta"; toolCallId: string; inputTextDelta: string }
  | { type: "tool-input-available"; toolCallId: string; toolName: string; input: unknown }
  | { type: "tool-output-available"; toolCallId: string; output: unknown }
  | { type: "tool-output-error"; toolCallId: string; errorText: string }
  | { type: "tool-output-denied"; toolCallId: string }
  | { type: "tool-approval-request"; approvalId: string; toolCallId: string }
  | { type: "tool-approval-response"; approvalId: string; approved: boolean; reason?: string }
  | { type: `data-${string}`; id: string; data: unknown }
  | { type: "error"; errorText: string };

/** One SSE frame: a chunk and, for frames derived from a buffer entry, its event id. */
export interface Frame {
  /** `<entry-id>:<k>`; `null` for `start`, `finish` and synthesized part openings (§5). */
  readonly id: string | null;
  readonly chunk: UIMessageChunk;
}
