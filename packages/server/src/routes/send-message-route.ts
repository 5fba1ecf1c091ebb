import { ZERO_ENTRY_ID } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import type { Context } from "hono";
import { errorResponse } from "../http-error";
import type { ConnectionTelemetry } from "../observability/connection-telemetry";
import { describeError } from "../observability/replay-logger";
import { requestIdOf } from "../observability/request-id";
import type { ReplayContext } from "../replay-options";
import type { SessionRecord } from "../session-store";
import { failIfLeaseExpired } from "../turn-lifecycle";
import { openReader } from "./open-reader";
import { parsePrompt, promptText } from "./prompt-body";
import type { RouteDeps } from "./route-deps";

/**
 * `POST /:id/messages` (§3 New turn, in order): validate (nothing is minted or started on a
 * 4xx), mint and pin the run and a fresh buffer, start the runner, stream from `0-0`.
 */
export async function sendMessageRoute(
  deps: RouteDeps,
  c: Context,
  stored: SessionRecord,
  principal: string,
  telemetry?: ConnectionTelemetry,
): Promise<Response> {
  const { ctx, runner } = deps;
  const message = await parsePrompt(c);
  if (message instanceof Response) return message;
  const prompt = promptText(message);
  if (prompt.trim() === "") return errorResponse(400, "bad_request", "message.parts: the prompt has no text");
  const session = await failIfLeaseExpired(ctx, stored);
  if (session.currRunId !== null) return refuseWhileActive(session);
  const refused = deps.streams.refusal(session.id, principal) ?? (await checkNewTurn(ctx, session, message));
  if (refused) return refused;

  const runId = crypto.randomUUID();
  const streamId = crypto.randomUUID();
  const begun = await ctx.sessionStore.beginTurn(session.id, {
    runId,
    streamId,
    prompt,
    promptMessageId: message.id,
    leaseMs: ctx.leaseMs,
  });
  if (!begun.ok) {
    return begun.session
      ? refuseWhileActive(begun.session)
      : errorResponse(404, "not_found", "No such session.");
  }
  const turn = { sessionId: session.id, runId, streamId, phase: 0 };
  try {
    await ctx.sessionStore.upsertHistory(session.id, [{ message, runId }]);
    await runner.start(turn, [], {
      ...(telemetry ? { connection: telemetry.span.spanContext() } : {}),
      requestId: requestIdOf(c.req.raw),
    });
    telemetry?.linkTurn(runId);
  } catch (error) {
    await failStart(ctx, turn, error, requestIdOf(c.req.raw));
    return errorResponse(500, "runner_start_failed", "The assistant could not start this turn.");
  }
  // §3: the start frame uses the run id minted here; a fast turn may already be finalized.
  return openReader(deps, {
    sessionId: session.id,
    streamId,
    runId,
    cursor: null,
    stopPhase: 0,
    position: ZERO_ENTRY_ID,
    principal,
    ...(telemetry ? { telemetry } : {}),
  });
}

/** 409 while a turn is active (§3): `awaiting_approval` while waiting, else `turn_active`. */
function refuseWhileActive(session: SessionRecord): Response {
  return session.turnStatus === "waiting_for_approval"
    ? errorResponse(409, "awaiting_approval", "The turn is waiting for approval.", {
        status: session.turnStatus,
      })
    : errorResponse(409, "turn_active", "A turn is already running.", { status: session.turnStatus });
}

/**
 * Limits of a new turn (§3 "Limits", "History integrity"): turns per owner per minute, the
 * session's stored history size, and a prompt id that already names a stored message
 * (upserting it would overwrite that message). Null when the turn may start.
 */
async function checkNewTurn(
  ctx: ReplayContext,
  session: SessionRecord,
  message: UIMessage,
): Promise<Response | null> {
  const hits = await ctx.sessionStore.countHit(`turns:${session.ownerId}`, 60_000);
  if (hits.count > ctx.maxTurnsPerMinute) {
    const seconds = Math.max(1, Math.ceil((hits.resetAt - Date.now()) / 1000));
    return errorResponse(
      429,
      "rate_limited",
      `At most ${ctx.maxTurnsPerMinute} new turns per minute.`,
      {},
      { "retry-after": String(seconds) },
    );
  }
  const rows = await ctx.sessionStore.getHistory(session.id);
  if (rows.some((row) => row.message.id === message.id)) {
    return errorResponse(409, "conflict", "message.id: already names a message of this session.");
  }
  const bytes = new TextEncoder().encode(JSON.stringify(rows)).length;
  if (bytes >= ctx.maxHistoryBytes) {
    return errorResponse(
      429,
      "history_full",
      "This session's history is full; start a new session.",
      {},
      { "retry-after": "86400" },
    );
  }
  return null;
}

/** §3 startup failure: error + final end in the fresh buffer, compare-and-clear on the stream id. */
async function failStart(
  ctx: ReplayContext,
  turn: { sessionId: string; runId: string; streamId: string },
  error: unknown,
  requestId: string,
): Promise<void> {
  // The one line of this failed turn: it never reached the runner, so endTurn does not log it.
  ctx.logger.log("error", "turn failed", {
    request_id: requestId,
    session_id: turn.sessionId,
    run_id: turn.runId,
    cause: `the runner could not start: ${describeError(error)}`,
  });
  ctx.metrics?.turnEnded("failed");
  const key = ctx.streamKey(turn.sessionId, turn.streamId);
  try {
    await ctx.streamStore.append(key, { type: "error", message: "The assistant could not start this turn." });
    await ctx.streamStore.append(key, { type: "end", reason: "final", phase: 0 });
    await ctx.streamStore.expire(key, ctx.bufferTtlMs);
  } finally {
    await ctx.sessionStore.abandonTurn(turn.sessionId, turn.streamId);
  }
}
