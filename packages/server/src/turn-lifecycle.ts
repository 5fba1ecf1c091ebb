import {
  type ApprovalItem,
  type BufferEntry,
  bubbleId,
  type EndEntry,
  replayFrames,
  type TurnStatus,
  type UIMessageChunk,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import { readUIMessageStream, type UIMessage } from "ai";
import { type RetryPolicy, retryTransient } from "./frame-stream/retry-transient";
import { describeError } from "./observability/replay-logger";
import type { TurnOutcome } from "./observability/replay-metrics";
import type { ReplayContext } from "./replay-options";
import type { SessionRecord } from "./session-store";
import { readAfter, TurnSnapshotter } from "./turn-snapshotter";

/** Identifies one turn and its buffer. */
export interface TurnRef {
  readonly sessionId: string;
  readonly runId: string;
  readonly streamId: string;
  readonly phase: number;
}

/**
 * Builds the turn's assistant message from its snapshot plus the entries after it (§3
 * History), with the AI SDK's own reader, so history carries exactly the live ids (bubble
 * id, part ids) and adoption is an in-place upsert. The snapshot is brought up to date
 * first, so this costs the tail since the last refresh, whatever the turn's length, and a
 * trimmed buffer never loses the head of the answer.
 */
export async function assembleTurnMessage(
  ctx: ReplayContext,
  turn: TurnRef,
  closing?: EndEntry,
): Promise<UIMessage | null> {
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  const snapshot = await new TurnSnapshotter(ctx.streamStore, key, ctx.snapshotEvery).refresh();
  const tail = await readAfter(ctx.streamStore, key, snapshot?.entryId ?? ZERO_ENTRY_ID);
  // The end marker about to be appended closes the open parts; its id is irrelevant to the
  // message (closing frames carry the ids of the parts they close).
  const all = closing ? [...tail, { id: CLOSING_ENTRY_ID, entry: closing }] : tail;
  const chunks: UIMessageChunk[] = [{ type: "start", messageId: bubbleId(turn.sessionId, turn.runId) }];
  if (snapshot) chunks.push(...snapshot.chunks);
  for (const frame of replayFrames(all, snapshot ? { state: snapshot.state } : {})) chunks.push(frame.chunk);
  if (chunks.length === 1) return null;
  chunks.push({ type: "finish" });
  const stream = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let message: UIMessage | null = null;
  // `error` chunks are part of a failed turn's content, not a reason to stop assembling.
  for await (const snapshot of readUIMessageStream<UIMessage>({
    stream: stream as never,
    onError: () => {},
  })) {
    message = snapshot;
  }
  return message;
}

/** Sorts after every real entry id. */
const CLOSING_ENTRY_ID = "18446744073709551615-18446744073709551615";

/**
 * Stores a running turn's answer so far as its (hidden) history row, for stores that outlive
 * the buffers (`partialHistoryEveryMs`). Best effort: a failure is logged and the turn goes
 * on, since the row written when the turn ends is the one that counts.
 */
export async function storePartialAnswer(ctx: ReplayContext, turn: TurnRef): Promise<void> {
  try {
    const message = await assembleTurnMessage(ctx, turn);
    if (message) await ctx.sessionStore.upsertHistory(turn.sessionId, [{ message, runId: turn.runId }]);
  } catch (error) {
    ctx.logger.log("warn", "could not store the partial answer", {
      session_id: turn.sessionId,
      run_id: turn.runId,
      cause: describeError(error),
    });
  }
}

/**
 * The answer stored before the turn's buffer was lost (Redis flushed while the turn ran), to
 * put in front of what the new buffer holds; null when the buffer is there.
 */
async function answerBeforeLostBuffer(
  ctx: ReplayContext,
  turn: TurnRef,
  key: string,
): Promise<UIMessage | null> {
  if (ctx.sessionStore.partialHistoryEveryMs === undefined) return null;
  if ((await ctx.streamStore.newestId(key)) !== null) return null;
  const id = bubbleId(turn.sessionId, turn.runId);
  const stored = (await ctx.sessionStore.getHistory(turn.sessionId)).find((row) => row.message.id === id);
  if (!stored) return null;
  // Its open parts end here: nothing will stream into them any more.
  const parts = stored.message.parts.map((part) =>
    (part.type === "text" || part.type === "reasoning") && part.state === "streaming"
      ? { ...part, state: "done" as const }
      : part,
  );
  return { ...stored.message, parts };
}

/** Attempts to persist a turn's message before giving up (and keeping its buffer). */
const HISTORY_ATTEMPTS = 4;

/**
 * Stores the turn's assistant message, retrying with backoff: `stored`, or `finalized` when
 * `finalStatus` is given and the store ends the turn in the same transaction
 * (`finalizeTurnWithHistory`, e.g. Postgres). `failed` (after logging) if every attempt
 * failed: the caller then keeps the buffer, the only copy left.
 */
async function storeTurnMessage(
  ctx: ReplayContext,
  turn: TurnRef,
  closing: EndEntry,
  finalStatus?: TurnStatus,
  earlier: UIMessage | null = null,
): Promise<"stored" | "finalized" | "failed"> {
  const store = ctx.sessionStore;
  for (let attempt = 1; ; attempt++) {
    try {
      const assembled = await assembleTurnMessage(ctx, turn, closing);
      const message =
        earlier && assembled ? { ...earlier, parts: [...earlier.parts, ...assembled.parts] } : assembled;
      const rows = message ? [{ message, runId: turn.runId }] : [];
      if (finalStatus !== undefined && store.finalizeTurnWithHistory) {
        await store.finalizeTurnWithHistory(turn.sessionId, turn.runId, finalStatus, rows);
        return "finalized";
      }
      if (rows.length > 0) await store.upsertHistory(turn.sessionId, rows);
      return "stored";
    } catch (error) {
      if (attempt >= HISTORY_ATTEMPTS) {
        ctx.logger.log("error", "could not store the turn's history; its buffer is kept", {
          session_id: turn.sessionId,
          run_id: turn.runId,
          attempts: attempt,
          cause: describeError(error),
        });
        return "failed";
      }
      await new Promise((resolve) => setTimeout(resolve, ctx.historyRetryMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Ends a turn exactly once, whoever notices first (runner, cancel, lease expiry). Order
 * matters: the projection changes before the end marker becomes visible, so a client that
 * acts on `finish` (sends the next prompt, reads history) never finds the turn still
 * active. So: the given entries → history rows (still hidden) → compare-and-clear, which
 * reveals them all at once (§2, §3; one transaction where the store has
 * `finalizeTurnWithHistory`) → the single `final` end → the buffer TTL (only here,
 * §4). A crash after the clear leaves readers without an end: they notice on their next
 * idle check (the run is no longer current) and drop, so clients reconnect and finish.
 * Returns false if someone else ended it.
 */
export async function endTurn(
  ctx: ReplayContext,
  turn: TurnRef,
  status: TurnStatus,
  entries: readonly BufferEntry[] = [],
  why: EndCause = {},
): Promise<boolean> {
  const claimed = await ctx.sessionStore.claimOnce(`end:${turn.sessionId}:${turn.runId}`, 24 * 3600_000);
  if (!claimed) return false;
  reportEnd(ctx, turn, status, entries, why);
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  const end: EndEntry = { type: "end", reason: "final", phase: turn.phase };
  // Past the claim nobody else can end this turn (the lease-expiry path's claim fails too),
  // so a store that fails now must not leave it running for good: each step is retried on
  // its own while the store recovers (a failover, a restart). An append whose reply was
  // lost may land twice; a second `final` end is never read, a second error entry shows twice.
  const retried = <T>(step: () => Promise<T>) => retryTransient(step, END_RETRY);
  const earlier = await retried(() => answerBeforeLostBuffer(ctx, turn, key));
  for (const entry of entries) await retried(() => ctx.streamStore.append(key, entry));
  const stored = await storeTurnMessage(ctx, turn, end, status, earlier);
  if (stored !== "finalized")
    await retried(() => ctx.sessionStore.finalizeTurn(turn.sessionId, turn.runId, status));
  await retried(() => ctx.streamStore.append(key, end));
  // §3: the buffer is kept until history is written; without history it is the only copy.
  if (stored !== "failed") await retried(() => ctx.streamStore.expire(key, ctx.bufferTtlMs));
  return true;
}

/** Retries of each store call `endTurn` makes after its claim: 100 ms doubling, ~25 s in all. */
const END_RETRY: RetryPolicy = { maxRetries: 8, retryDelayMs: 100, signal: new AbortController().signal };

/** Why a turn ended, for its log line (failed turns) and its span. */
export interface EndCause {
  /** What went wrong, for operators (never shown to clients): an error id and message. */
  readonly cause?: string;
  /** The request that started (or ended) the turn, to find its other lines. */
  readonly requestId?: string;
}

/**
 * Counts a turn's end once (by whoever claimed it) and writes the one log line of a failed
 * turn, with its cause; a normal end writes nothing (quiet at `info`).
 */
function reportEnd(
  ctx: ReplayContext,
  turn: TurnRef,
  status: TurnStatus,
  entries: readonly BufferEntry[],
  why: EndCause,
): void {
  ctx.waitingTurns.left(turn.sessionId, turn.runId);
  const outcome = outcomeOf(status);
  ctx.metrics?.turnEnded(outcome);
  if (outcome !== "failed") return;
  const shown = entries.find((entry) => entry.type === "error");
  ctx.logger.log("error", "turn failed", {
    request_id: why.requestId,
    session_id: turn.sessionId,
    run_id: turn.runId,
    phase: turn.phase,
    cause: why.cause ?? (shown?.type === "error" ? shown.message : "unknown"),
  });
}

/** The metric outcome of a final status (§2): idle is a finished turn. */
export function outcomeOf(status: TurnStatus): TurnOutcome {
  return status === "failed" ? "failed" : status === "stopped" ? "stopped" : "finished";
}

/** Pauses a turn for approvals: history rows, the projection, then the pause end (no TTL, §2). */
export async function pauseTurn(
  ctx: ReplayContext,
  turn: TurnRef,
  approvals: readonly ApprovalItem[],
): Promise<void> {
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  const end: EndEntry = { type: "end", reason: "pause", phase: turn.phase };
  // A waiting turn keeps its buffer (no TTL), so history failing here loses nothing.
  await storeTurnMessage(ctx, turn, end);
  await ctx.sessionStore.pauseTurn(turn.sessionId, turn.runId, approvals);
  ctx.waitingTurns.paused(turn.sessionId, turn.runId);
  await ctx.streamStore.append(key, end);
}

/**
 * §2: a projection that says running but whose lease expired is failure-finalized by the
 * request that notices, never reported as running forever. Returns the fresh session.
 */
export async function failIfLeaseExpired(ctx: ReplayContext, session: SessionRecord): Promise<SessionRecord> {
  if (
    session.turnStatus !== "running" ||
    session.currRunId === null ||
    session.streamId === null ||
    session.leaseExpiresAt === null ||
    session.leaseExpiresAt > Date.now()
  ) {
    return session;
  }
  await endTurn(
    ctx,
    { sessionId: session.id, runId: session.currRunId, streamId: session.streamId, phase: session.phase },
    "failed",
    [{ type: "error", message: "The assistant stopped responding (its runner was lost). Please try again." }],
    { cause: "the turn's runner was lost (its lease expired)" },
  );
  return (await ctx.sessionStore.getSession(session.id)) ?? session;
}
