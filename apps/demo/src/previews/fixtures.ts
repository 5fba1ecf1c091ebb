import type { UIMessage } from "ai";

/** The session id every preview uses. */
export const PREVIEW_SESSION = "preview-session";

const VOCABULARY =
  "resume stream cursor frame buffer replay turn bubble observer status reconnect exact tail part id signal harbor lantern meadow".split(
    " ",
  );

/** `count` deterministic filler words (so previews look the same on every build). */
export function fillerWords(count: number, seed = 1): string[] {
  return Array.from(
    { length: count },
    (_, index) => VOCABULARY[(index * 7 + seed * 3) % VOCABULARY.length] ?? "word",
  );
}

/** A sentence-ish text of `count` words. */
export function fillerText(count: number, seed = 1): string {
  const text = fillerWords(count, seed).join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** A user message with one text part. */
export function userMessage(id: string, text: string): UIMessage {
  return { id, role: "user", parts: [{ type: "text", text }] };
}

/** An assistant message with the given parts. */
export function assistantMessage(id: string, parts: UIMessage["parts"]): UIMessage {
  return { id, role: "assistant", parts };
}

type Part = UIMessage["parts"][number];

/** Preview parts in every state the demo renders. */
export const PARTS = {
  text: { type: "text", text: fillerText(40), state: "done" },
  streamingText: { type: "text", text: fillerText(18), state: "streaming" },
  reasoning: { type: "reasoning", text: fillerText(24, 2), state: "done" },
  streamingReasoning: { type: "reasoning", text: fillerText(9, 2), state: "streaming" },
  toolInputStreaming: {
    type: "tool-search",
    toolCallId: "call-1",
    state: "input-streaming",
    input: { query: "exa" },
  },
  toolRunning: {
    type: "tool-search",
    toolCallId: "call-1",
    state: "input-available",
    input: { query: "exact resume" },
  },
  toolDone: {
    type: "tool-search",
    toolCallId: "call-1",
    state: "output-available",
    input: { query: "exact resume" },
    output: { results: ["exact resume: resumable streams", "exact resume with Last-Event-ID"] },
  },
  toolError: {
    type: "tool-fail",
    toolCallId: "call-2",
    state: "output-error",
    input: { query: "break" },
    errorText: "The fail tool always fails (break).",
  },
  toolApprovalRequested: {
    type: "tool-deploy",
    toolCallId: "call-3",
    state: "approval-requested",
    input: { query: "Deploy the demo app" },
    approval: { id: "call-3" },
  },
  toolDenied: {
    type: "tool-deploy",
    toolCallId: "call-3",
    state: "output-denied",
    input: { query: "Deploy the demo app" },
    approval: { id: "call-3", approved: false },
  },
  interrupt: { type: "data-interrupt", id: "interrupt-1", data: { reason: "user_cancel" } },
  failureText: { type: "text", text: "Scripted failure after 40 chunks", state: "done" },
} satisfies Record<string, Part>;

/** A long finished conversation: ten turns of mixed parts. */
export function longTranscript(): UIMessage[] {
  return Array.from({ length: 10 }, (_, turn) => [
    userMessage(`u-${turn}`, `Question ${turn + 1}: ${fillerText(8, turn)}`),
    assistantMessage(`${PREVIEW_SESSION}:run-${turn}`, [
      ...(turn % 3 === 0 ? [PARTS.reasoning] : []),
      ...(turn % 4 === 1 ? [PARTS.toolDone] : []),
      { type: "text", text: fillerText(30 + turn * 6, turn), state: "done" },
    ]),
  ]).flat();
}
