import {
  type ApprovalItem,
  type BufferEntry,
  bubbleId,
  replayFrames,
  type TurnStatus,
  type UIMessageChunk,
} from "@chat-replay/protocol";
import { readUIMessageStream, type UIMessage } from "ai";
import type { ReplayContext } from "./replay-options";
import type { SessionRecord } from "./session-store";

/** Identifies one turn and its buffer. */
export interface TurnRef {
  readonly sessionId: string;
  readonly runId: string;
  readonly streamId: string;
  readonly phase: number;
}

/**
 * Builds the turn's assistant message from its buffer with the AI SDK's own reader, so
 * history carries exactly the live ids (bubble id, part ids) and adoption is an in-place
 * upsert (§3 History).
 */
export async function assembleTurnMessage(ctx: ReplayContext, turn: TurnRef): Promise<UIMessage | null> {
  const entries = await ctx.streamStore.range(ctx.streamKey(turn.sessionId, turn.streamId), "-", "+");
  const chunks: UIMessageChunk[] = [{ type: "start", messageId: bubbleId(turn.sessionId, turn.runId) }];
  for (const frame of replayFrames(entries)) chunks.push(frame.chunk);
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

async function storeTurnMessage(ctx: ReplayContext, turn: TurnRef): Promise<void> {
  const message = await assembleTurnMessage(ctx, turn);
  if (message) await ctx.sessionStore.upsertHistory(turn.sessionId, [{ message, runId: turn.runId }]);
}

/**
 * Ends a turn exactly once, whoever notices first (runner, cancel, lease expiry): appends
 * the given entries and the single `final` end, sets the buffer TTL (only here, §4), writes
 * the turn's history rows while they are still hidden, then compare-and-clears the
 * pointers so the rows appear all at once (§2, §3). Returns false if someone else ended it.
 */
export async function endTurn(
  ctx: ReplayContext,
  turn: TurnRef,
  status: TurnStatus,
  entries: readonly BufferEntry[] = [],
): Promise<boolean> {
  const claimed = await ctx.sessionStore.claimOnce(`end:${turn.sessionId}:${turn.runId}`, 24 * 3600_000);
  if (!claimed) return false;
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  for (const entry of entries) await ctx.streamStore.append(key, entry);
  await ctx.streamStore.append(key, { type: "end", reason: "final", phase: turn.phase });
  await ctx.streamStore.expire(key, ctx.bufferTtlMs);
  await storeTurnMessage(ctx, turn).catch(() => {
    // History is best effort here: the buffer (kept for the TTL) still holds the turn.
  });
  await ctx.sessionStore.finalizeTurn(turn.sessionId, turn.runId, status);
  return true;
}

/** Pauses a turn for approvals: pause end (no TTL), history rows, then the projection (§2). */
export async function pauseTurn(
  ctx: ReplayContext,
  turn: TurnRef,
  approvals: readonly ApprovalItem[],
): Promise<void> {
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  await ctx.streamStore.append(key, { type: "end", reason: "pause", phase: turn.phase });
  await storeTurnMessage(ctx, turn);
  await ctx.sessionStore.pauseTurn(turn.sessionId, turn.runId, approvals);
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
  );
  return (await ctx.sessionStore.getSession(session.id)) ?? session;
}
