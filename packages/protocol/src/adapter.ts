import type { ApprovalItem, BufferEntry, StoredEntry } from "./buffer-entry";
import { formatEventId } from "./event-id";
import type { Frame, UIMessageChunk } from "./ui-message-chunk";

/**
 * The adapter (§5): a pure, deterministic fold from buffer entries to UI message stream
 * frames. Its state depends only on the entries folded so far, so every reader, on any
 * server, after any restart, produces the same bytes with the same ids and part ids.
 */

/** A part opened by an entry and not yet closed. */
export type OpenPart =
  | { readonly kind: "text" | "reasoning"; readonly index: number; readonly id: string }
  | {
      readonly kind: "tool";
      readonly index: number;
      readonly toolCallId: string;
      readonly toolName: string;
    };

/** What the adapter remembers about a tool call. */
export interface ToolCallState {
  readonly toolName: string;
  /** `tool-input-available` has been emitted for this call. */
  readonly inputEmitted: boolean;
  /** Input learned from an approval request, used if the call completes without one. */
  readonly cachedInput?: unknown;
}

/** Immutable adapter state; a fold step returns the same object when nothing changed. */
export interface AdapterState {
  /** Open parts in opening order. */
  readonly openParts: readonly OpenPart[];
  readonly toolCalls: Readonly<Record<string, ToolCallState>>;
}

/** The state before the first entry of a turn. */
export const INITIAL_ADAPTER_STATE: AdapterState = /* @__PURE__ */ Object.freeze({
  openParts: /* @__PURE__ */ Object.freeze([]) as readonly OpenPart[],
  toolCalls: /* @__PURE__ */ Object.freeze({}),
});

/** Result of folding one entry. */
export interface AdaptResult {
  readonly state: AdapterState;
  /** Frames in order; the k-th id-bearing frame has id `<entry-id>:k`. */
  readonly frames: readonly Frame[];
}

/** Collects one entry's frames and the evolving state; ids are assigned as chunks arrive. */
class Step {
  readonly frames: Frame[] = [];
  private nextIndex = 0;
  constructor(
    readonly entryId: string,
    public state: AdapterState,
  ) {}

  /** The id the next id-bearing frame will get, used as a part id (§5 "Part ids"). */
  peekId(): string {
    return formatEventId({ entryId: this.entryId, frame: this.nextIndex });
  }

  emit(chunk: UIMessageChunk): void {
    const id = formatEventId({ entryId: this.entryId, frame: this.nextIndex++ });
    this.frames.push({ id, chunk });
  }

  /** A part opening synthesized for a part whose start was trimmed: no id, no index (§6). */
  emitUnnumbered(chunk: UIMessageChunk): void {
    this.frames.push({ id: null, chunk });
  }

  findOpen(index: number): OpenPart | undefined {
    return this.state.openParts.find((part) => part.index === index);
  }

  findOpenTool(toolCallId: string): OpenPart | undefined {
    return this.state.openParts.find((part) => part.kind === "tool" && part.toolCallId === toolCallId);
  }

  addOpen(part: OpenPart): void {
    this.state = { ...this.state, openParts: [...this.state.openParts, part] };
  }

  removeOpen(part: OpenPart): void {
    this.state = { ...this.state, openParts: this.state.openParts.filter((open) => open !== part) };
  }

  setTool(toolCallId: string, tool: ToolCallState): void {
    this.state = { ...this.state, toolCalls: { ...this.state.toolCalls, [toolCallId]: tool } };
  }

  /** Closes an open part with its kind's closing chunk. */
  close(part: OpenPart, input?: unknown): void {
    this.removeOpen(part);
    if (part.kind === "tool") {
      this.emitToolInputAvailable(part.toolCallId, part.toolName, input);
    } else {
      this.emit({ type: `${part.kind}-end`, id: part.id });
    }
  }

  /** `tool-input-available` unless already emitted; falls back to cached input, then `{}`. */
  emitToolInputAvailable(toolCallId: string, toolName: string, input?: unknown): void {
    const known = this.state.toolCalls[toolCallId];
    if (known?.inputEmitted) return;
    const resolved = input ?? known?.cachedInput ?? {};
    this.emit({ type: "tool-input-available", toolCallId, toolName, input: resolved });
    this.setTool(toolCallId, { toolName, inputEmitted: true, cachedInput: known?.cachedInput });
  }
}

function textStart(step: Step, kind: "text" | "reasoning", index: number, text?: string): void {
  const open = step.findOpen(index);
  if (open) step.close(open);
  const id = step.peekId();
  step.emit({ type: `${kind}-start`, id });
  step.addOpen({ kind, index, id });
  if (text) step.emit({ type: `${kind}-delta`, id, delta: text });
}

function textDelta(step: Step, kind: "text" | "reasoning", index: number, text: string): void {
  if (text.length === 0) return;
  const open = step.findOpen(index);
  if (open?.kind !== kind) {
    // §6: a part whose start was trimmed is opened on its first delta, without an id,
    // so frame indices do not depend on how much of the buffer is retained.
    if (open) step.close(open);
    const id = `${step.entryId}:p${index}`;
    step.emitUnnumbered({ type: `${kind}-start`, id });
    step.addOpen({ kind, index, id });
    step.emit({ type: `${kind}-delta`, id, delta: text });
    return;
  }
  step.emit({ type: `${kind}-delta`, id: open.id, delta: text });
}

function textEnd(step: Step, kind: "text" | "reasoning", index: number): void {
  const open = step.findOpen(index);
  if (open?.kind === kind) step.close(open);
}

function toolCallIdOf(step: Step, index: number, toolCallId: string | undefined): string {
  if (toolCallId) return toolCallId;
  const open = step.findOpen(index);
  return open?.kind === "tool" ? open.toolCallId : `call:${step.entryId}`;
}

function approvalRequest(step: Step, items: readonly ApprovalItem[]): void {
  for (const item of items) {
    const known = step.state.toolCalls[item.toolCallId];
    step.setTool(item.toolCallId, {
      toolName: item.toolName,
      inputEmitted: known?.inputEmitted ?? false,
      cachedInput: item.input,
    });
    const open = step.findOpenTool(item.toolCallId);
    if (open) step.close(open, item.input);
    else step.emitToolInputAvailable(item.toolCallId, item.toolName, item.input);
    step.emit({ type: "tool-approval-request", approvalId: item.toolCallId, toolCallId: item.toolCallId });
  }
}

function toolOutput(step: Step, entry: Extract<BufferEntry, { type: "tool-output" }>): void {
  const known = step.state.toolCalls[entry.toolCallId];
  const toolName = known?.toolName ?? entry.toolName;
  if (!toolName) return; // §5: unknown call and no tool name → nothing
  const open = step.findOpenTool(entry.toolCallId);
  if (open) step.close(open);
  else step.emitToolInputAvailable(entry.toolCallId, toolName);
  const toolCallId = entry.toolCallId;
  if (entry.denied) step.emit({ type: "tool-output-denied", toolCallId });
  else if (entry.errorText !== undefined) {
    step.emit({ type: "tool-output-error", toolCallId, errorText: entry.errorText });
  } else step.emit({ type: "tool-output-available", toolCallId, output: entry.output ?? null });
}

function foldInto(step: Step, entry: BufferEntry): void {
  switch (entry.type) {
    case "text-start":
    case "reasoning-start":
      textStart(step, entry.type === "text-start" ? "text" : "reasoning", entry.part, entry.text);
      break;
    case "text-delta":
    case "reasoning-delta":
      textDelta(step, entry.type === "text-delta" ? "text" : "reasoning", entry.part, entry.text);
      break;
    case "text-end":
    case "reasoning-end":
      textEnd(step, entry.type === "text-end" ? "text" : "reasoning", entry.part);
      break;
    case "tool-input-start": {
      const open = step.findOpen(entry.part);
      if (open) step.close(open);
      const toolCallId = entry.toolCallId ?? `call:${step.entryId}`;
      step.emit({ type: "tool-input-start", toolCallId, toolName: entry.toolName });
      step.addOpen({ kind: "tool", index: entry.part, toolCallId, toolName: entry.toolName });
      step.setTool(toolCallId, { toolName: entry.toolName, inputEmitted: false });
      return;
    }
    case "tool-input-delta": {
      if (entry.delta.length === 0) return;
      const toolCallId = toolCallIdOf(step, entry.part, entry.toolCallId);
      const toolName = step.state.toolCalls[toolCallId]?.toolName;
      if (!toolName) return; // a delta whose start was trimmed cannot name its tool
      if (!step.findOpenTool(toolCallId)) {
        step.emitUnnumbered({ type: "tool-input-start", toolCallId, toolName });
        step.addOpen({ kind: "tool", index: entry.part, toolCallId, toolName });
      }
      step.emit({ type: "tool-input-delta", toolCallId, inputTextDelta: entry.delta });
      return;
    }
    case "tool-input-available": {
      const toolCallId = toolCallIdOf(step, entry.part, entry.toolCallId);
      const toolName = step.state.toolCalls[toolCallId]?.toolName ?? entry.toolName;
      if (!toolName) return;
      const open = step.findOpenTool(toolCallId);
      if (open) step.close(open, entry.input);
      else step.emitToolInputAvailable(toolCallId, toolName, entry.input);
      return;
    }
    case "tool-output":
      toolOutput(step, entry);
      break;
    case "approval-request":
      approvalRequest(step, entry.items);
      break;
    case "approval-response":
      for (const item of entry.items) {
        step.emit({
          type: "tool-approval-response",
          approvalId: item.toolCallId,
          approved: item.approved,
          ...(item.reason === undefined ? {} : { reason: item.reason }),
        });
      }
      return;
    case "message":
      if (entry.approvalRequest) approvalRequest(step, entry.approvalRequest);
      return;
    case "compaction":
    case "artifact":
      step.emit({ type: `data-${entry.type}`, id: step.peekId(), data: entry.data });
      return;
    case "interrupt":
      step.emit({ type: "data-interrupt", id: step.peekId(), data: { reason: entry.reason } });
      return;
    case "runner-error":
      step.emit({ type: "error", errorText: entry.errorText });
      return;
    case "lifecycle":
      return;
    case "error": {
      const id = step.peekId();
      step.emit({ type: "text-start", id });
      step.emit({ type: "text-delta", id, delta: entry.message });
      step.emit({ type: "text-end", id });
      step.emit({ type: "error", errorText: entry.message });
      return;
    }
    case "end":
      // §5: closing frames belong to the end entry, in opening order.
      for (const part of step.state.openParts) step.close(part);
      return;
  }
}

/**
 * Folds one stored entry: returns the next state and the entry's frames. Pure: the
 * input state is never mutated, and the same (state, entry) always gives the same frames.
 */
export function adapt(state: AdapterState, stored: StoredEntry): AdaptResult {
  const step = new Step(stored.id, state);
  foldInto(step, stored.entry);
  return { state: step.state, frames: step.frames };
}
