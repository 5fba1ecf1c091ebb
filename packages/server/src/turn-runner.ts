import { type ApprovalItem, type BufferEntry, bubbleId } from "@chat-replay/protocol";
import type { Span, SpanContext } from "@opentelemetry/api";
import { convertToModelMessages, stepCountIs, streamText, type UIMessage } from "ai";
import { describeError, type ReplayLogger } from "./observability/replay-logger";
import type { ReplayContext } from "./replay-options";
import { endTurn, pauseTurn, storePartialAnswer, type TurnRef } from "./turn-lifecycle";
import { TurnSnapshotter } from "./turn-snapshotter";

/** A human decision on one pending tool call (§3 continue). */
export interface ApprovalDecision {
  /** The tool call id (the protocol's approval id). */
  readonly approvalId: string;
  readonly approved: boolean;
  readonly reason?: string;
}

/** Why a local run was aborted; decides how the turn ends. */
type AbortCause = { kind: "cancel"; reason: string } | { kind: "shutdown" } | { kind: "lease-lost" };

interface LocalRun {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** Where a turn phase came from, for its span and its log lines. */
export interface TurnOrigin {
  /** The span of the connection (send, continue) that started the phase. */
  readonly connection?: SpanContext;
  readonly requestId?: string;
}

/** A model or tool failure: what clients see, and the cause operators read in the log. */
interface Failure {
  readonly message: string;
  readonly cause: string;
}

/**
 * Appends without a round trip per token: the first entry goes out at once, and entries
 * that arrive while a write is in flight are sent together as one `appendMany` when it
 * returns, in order. A slow store then costs one round trip per batch, never per token,
 * and an idle one adds no latency.
 */
class AppendPipeline {
  private queue: BufferEntry[] = [];
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    private readonly appendMany: (entries: readonly BufferEntry[]) => Promise<unknown>,
    /** Queue length at which the producer waits for the store (backpressure). */
    private readonly highWater = 4096,
  ) {}

  async push(entry: BufferEntry): Promise<void> {
    if (this.failure !== null) throw this.failure;
    this.queue.push(entry);
    this.inflight ??= this.drain();
    if (this.queue.length >= this.highWater) await this.inflight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === null) {
        const batch = this.queue;
        this.queue = [];
        await this.appendMany(batch);
      }
    } catch (error) {
      this.failure ??= error;
    } finally {
      this.inflight = null;
    }
  }

  async flush(): Promise<void> {
    while (this.inflight) await this.inflight;
    if (this.failure !== null) throw this.failure;
  }
}

/** Maps the SDK's per-step part ids to the turn's part indices (§4 entries carry `part`). */
class PartIndexer {
  private readonly indices = new Map<string, number>();
  private next = 0;
  index(key: string): number {
    let index = this.indices.get(key);
    if (index === undefined) {
      index = this.next++;
      this.indices.set(key, index);
    }
    return index;
  }
}

/**
 * A model failure with a short error id: what clients (and history) may see is a generic
 * sentence with that id, never the raw error text, which can carry URLs, keys or internal
 * details; the cause goes to the turn's one `turn failed` log line.
 */
function modelFailure(error: unknown): Failure {
  const errorId = crypto.randomUUID().slice(0, 8);
  return {
    message: `The assistant failed (error ${errorId}).`,
    cause: `model error ${errorId}: ${describeError(error)}`,
  };
}

/**
 * A tool failure: the turn goes on (the model sees the error), so it is a warning of its
 * own, with the id that clients see in the tool's output.
 */
function toolFailure(logger: ReplayLogger, turn: TurnRef, toolName: string, error: unknown): string {
  const errorId = crypto.randomUUID().slice(0, 8);
  logger.log("warn", "tool failed", {
    session_id: turn.sessionId,
    run_id: turn.runId,
    tool: toolName,
    error_id: errorId,
    cause: describeError(error),
  });
  return `The tool failed (error ${errorId}).`;
}

/**
 * Executes turns and owns their lifecycle (§2): runs the model with the AI SDK's
 * `streamText`, appends agent events to the turn's buffer, heartbeats the turn lease,
 * pauses for approvals and ends the turn (idle, stopped or failed) exactly once. It gets
 * the run and stream ids as inputs and never re-reads them, so a newer turn can never
 * redirect an older runner's writes.
 */
export class TurnRunner {
  private readonly runs = new Map<string, LocalRun>();

  constructor(private readonly ctx: ReplayContext) {}

  /**
   * Prepares a phase (history → model messages) and starts it in the background.
   * Rejects if the turn cannot start; the caller then runs the startup-failure path.
   */
  async start(
    turn: TurnRef,
    decisions: readonly ApprovalDecision[] = [],
    origin: TurnOrigin = {},
  ): Promise<void> {
    const { ctx } = this;
    ctx.waitingTurns.left(turn.sessionId, turn.runId);
    let messages = (await ctx.sessionStore.getHistory(turn.sessionId)).map((row) => row.message);
    if (decisions.length > 0) {
      messages = await this.applyDecisions(turn, messages, decisions);
      // Every reader (observers, replays, history) sees the decisions, not just the sender.
      await ctx.streamStore.append(ctx.streamKey(turn.sessionId, turn.streamId), {
        type: "approval-response",
        items: decisions.map((decision) => ({
          toolCallId: decision.approvalId,
          approved: decision.approved,
          ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        })),
      });
    }
    const modelMessages = await convertToModelMessages(messages, {
      tools: ctx.tools,
      ignoreIncompleteToolCalls: true,
    });
    const abort = new AbortController();
    const result = streamText({
      model: ctx.model,
      ...(ctx.system === undefined ? {} : { system: ctx.system }),
      messages: modelMessages,
      tools: ctx.tools,
      toolApproval: ctx.toolApproval,
      stopWhen: stepCountIs(ctx.maxSteps),
      abortSignal: abort.signal,
      onError: () => {
        // Surfaced as an `error` part in the stream, handled in consume().
      },
    });
    const span = ctx.tracing.startTurn(turn, origin);
    const done = this.consume(turn, result.stream, abort, span, origin.requestId).finally(() =>
      this.runs.delete(turn.runId),
    );
    this.runs.set(turn.runId, { abort, done });
  }

  /** Records the decisions on the paused assistant message (§7 Continuation). */
  private async applyDecisions(
    turn: TurnRef,
    messages: UIMessage[],
    decisions: readonly ApprovalDecision[],
  ): Promise<UIMessage[]> {
    const id = bubbleId(turn.sessionId, turn.runId);
    const byCall = new Map(decisions.map((decision) => [decision.approvalId, decision]));
    const updated = messages.map((message) => {
      if (message.id !== id) return message;
      const parts = message.parts.map((part) => {
        if (!("toolCallId" in part) || part.state !== "approval-requested") return part;
        const decision = byCall.get(part.toolCallId);
        if (!decision) return part;
        return {
          ...part,
          state: "approval-responded" as const,
          approval: {
            id: part.approval.id,
            approved: decision.approved,
            ...(decision.reason === undefined ? {} : { reason: decision.reason }),
          },
        };
      });
      return { ...message, parts } as UIMessage;
    });
    const paused = updated.find((message) => message.id === id);
    if (paused)
      await this.ctx.sessionStore.upsertHistory(turn.sessionId, [{ message: paused, runId: turn.runId }]);
    return updated;
  }

  private async consume(
    turn: TurnRef,
    stream: AsyncIterable<{ type: string } & Record<string, unknown>>,
    abort: AbortController,
    span: Span,
    requestId: string | undefined,
  ): Promise<void> {
    const { ctx } = this;
    const key = ctx.streamKey(turn.sessionId, turn.streamId);
    // §4: the snapshot follows the appends, so trimming never outruns the fold.
    const snapshotter = new TurnSnapshotter(ctx.streamStore, key, ctx.snapshotEvery);
    const partialEvery = ctx.sessionStore.partialHistoryEveryMs;
    let nextPartialAt = partialEvery === undefined ? Number.POSITIVE_INFINITY : Date.now() + partialEvery;
    const pipeline = new AppendPipeline(async (entries) => {
      await ctx.streamStore.appendMany(key, entries);
      await snapshotter.appended(entries.length);
      if (Date.now() >= nextPartialAt) {
        nextPartialAt = Date.now() + (partialEvery ?? 0);
        await storePartialAnswer(ctx, turn);
      }
    });
    const append = (entry: BufferEntry) => pipeline.push(entry);
    const heartbeat = setInterval(
      () => {
        ctx.sessionStore.renewLease(turn.sessionId, turn.runId, ctx.leaseMs).then(
          (stillOurs) => {
            if (!stillOurs) abort.abort({ kind: "lease-lost" } satisfies AbortCause);
          },
          () => {
            // A store hiccup: the next beat retries; the lease covers several beats.
          },
        );
      },
      Math.max(50, Math.floor(ctx.leaseMs / 3)),
    );
    const parts = new PartIndexer();
    const approvals: ApprovalItem[] = [];
    let failure: Failure | null = null;
    const onToolError = (toolName: string, error: unknown) => toolFailure(ctx.logger, turn, toolName, error);
    try {
      for await (const part of stream) {
        if (abort.signal.aborted) break;
        const entry = toEntry(part, parts, onToolError);
        if (entry) await append(entry);
        if (part.type === "tool-approval-request" && !part.isAutomatic) {
          const call = part.toolCall as { toolCallId: string; toolName: string; input: unknown };
          const item = { toolCallId: call.toolCallId, toolName: call.toolName, input: toJson(call.input) };
          approvals.push(item);
          await append({ type: "approval-request", items: [item] });
        }
        if (part.type === "error") failure ??= modelFailure(part.error);
      }
      await pipeline.flush();
    } catch (error) {
      if (!abort.signal.aborted) failure ??= modelFailure(error);
    } finally {
      clearInterval(heartbeat);
    }
    let outcome = "unknown";
    try {
      // Every event must be in the buffer before the end marker (§4: the end is last).
      await pipeline.flush().catch((error: unknown) => {
        failure ??= modelFailure(error);
      });
      outcome = await this.finishPhase(turn, abort.signal, failure, approvals, requestId);
    } catch (error) {
      // The store failed while ending the turn; the lease will expire and the next
      // request failure-finalizes it (§2), so nothing hangs.
      outcome = "end_failed";
      ctx.logger.log("error", "could not end the turn; its lease will expire and fail it", {
        request_id: requestId,
        session_id: turn.sessionId,
        run_id: turn.runId,
        cause: describeError(error),
      });
    } finally {
      ctx.tracing.endTurn(span, outcome, (failure as Failure | null)?.cause);
    }
  }

  /** Ends or pauses the phase; returns its outcome for the turn's span. */
  private async finishPhase(
    turn: TurnRef,
    signal: AbortSignal,
    failure: Failure | null,
    approvals: readonly ApprovalItem[],
    requestId: string | undefined,
  ): Promise<string> {
    const from = requestId === undefined ? {} : { requestId };
    if (signal.aborted) {
      const cause = signal.reason as AbortCause;
      if (cause.kind === "cancel") {
        await endTurn(this.ctx, turn, "stopped", [{ type: "interrupt", reason: cause.reason }], from);
        return "stopped";
      }
      if (cause.kind === "shutdown") {
        await endTurn(
          this.ctx,
          turn,
          "failed",
          [{ type: "error", message: "The server shut down during this turn." }],
          { ...from, cause: "the server shut down during the turn" },
        );
        return "failed";
      }
      return "lease_lost"; // whoever failed the turn has already ended it
    }
    if (failure !== null) {
      await endTurn(this.ctx, turn, "failed", [{ type: "error", message: failure.message }], {
        ...from,
        cause: failure.cause,
      });
      return "failed";
    }
    if (approvals.length > 0) {
      await pauseTurn(this.ctx, turn, approvals);
      return "paused";
    }
    await endTurn(this.ctx, turn, "idle", [], from);
    return "finished";
  }

  /** Cancels a run executing in this process; false if it is not running here. */
  async cancel(runId: string, reason: string): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run) return false;
    run.abort.abort({ kind: "cancel", reason } satisfies AbortCause);
    await run.done;
    return true;
  }

  /** Runs executing in this process (the `running` active turns). */
  get runningCount(): number {
    return this.runs.size;
  }

  /** Whether a run is executing in this process. */
  isRunning(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Ends every local run as failed ("server shut down") and waits for them. */
  async close(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) run.abort.abort({ kind: "shutdown" } satisfies AbortCause);
    await Promise.allSettled(runs.map((run) => run.done));
  }
}

type JsonValue = ApprovalItem["input"];

/** Tool inputs and outputs are stored as JSON; this drops what JSON cannot hold. */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

/** Maps one `streamText` part to the buffer entry that records it, if any (§4). */
function toEntry(
  part: { type: string } & Record<string, unknown>,
  parts: PartIndexer,
  onToolError: (toolName: string, error: unknown) => string,
): BufferEntry | null {
  const id = String(part.id ?? "");
  switch (part.type) {
    case "text-start":
    case "reasoning-start":
      return { type: part.type, part: parts.index(`${part.type.split("-")[0]}:${id}`) };
    case "text-delta":
    case "reasoning-delta": {
      const text = String(part.text ?? "");
      return text ? { type: part.type, part: parts.index(`${part.type.split("-")[0]}:${id}`), text } : null;
    }
    case "text-end":
    case "reasoning-end":
      return { type: part.type, part: parts.index(`${part.type.split("-")[0]}:${id}`) };
    case "tool-input-start":
      return {
        type: "tool-input-start",
        part: parts.index(`tool:${id}`),
        toolCallId: id,
        toolName: String(part.toolName),
      };
    case "tool-input-delta":
      return {
        type: "tool-input-delta",
        part: parts.index(`tool:${id}`),
        toolCallId: id,
        delta: String(part.delta ?? ""),
      };
    case "tool-call": {
      const toolCallId = String(part.toolCallId);
      return {
        type: "tool-input-available",
        part: parts.index(`tool:${toolCallId}`),
        toolCallId,
        toolName: String(part.toolName),
        input: toJson(part.input),
      };
    }
    case "tool-result":
      if (part.preliminary) return null;
      return {
        type: "tool-output",
        toolCallId: String(part.toolCallId),
        toolName: String(part.toolName),
        output: toJson(part.output),
      };
    case "tool-error":
      return {
        type: "tool-output",
        toolCallId: String(part.toolCallId),
        toolName: String(part.toolName),
        errorText: onToolError(String(part.toolName), part.error),
      };
    case "tool-output-denied":
      return {
        type: "tool-output",
        toolCallId: String(part.toolCallId),
        toolName: String(part.toolName),
        denied: true,
      };
    default:
      return null;
  }
}
