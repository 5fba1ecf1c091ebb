import {
  type AttachRequest,
  type AttachTurn,
  attachCursor,
  attachHeaders,
  decideAttach,
  HEADERS,
  SSE_FINISH,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { Context } from "hono";
import type { ConnectionTelemetry } from "../observability/connection-telemetry";
import type { SessionRecord } from "../session-store";
import { sseHeaders } from "../sse-headers";
import { failIfLeaseExpired } from "../turn-lifecycle";
import { openReader } from "./open-reader";
import { resumeCheckpoint } from "./resume-checkpoint";
import type { RouteDeps } from "./route-deps";

/**
 * `GET /:id/stream`: attach or resume (§6). The session's current turn, else its last one,
 * is checked against the request's cursor; `decideAttach` makes the §6 table's decision and
 * the response states it in `x-chat-replay-mode` and `x-chat-replay-cursor`.
 */
export async function streamRoute(
  deps: RouteDeps,
  c: Context,
  stored: SessionRecord,
  principal: string,
  telemetry?: ConnectionTelemetry,
): Promise<Response> {
  const { ctx } = deps;
  // §6: a lease-expired turn is failure-finalized first, then follows the table.
  const session = await failIfLeaseExpired(ctx, stored);
  const active = session.currRunId !== null && session.streamId !== null;
  const runId = active ? session.currRunId : session.lastRunId;
  const streamId = active ? session.streamId : session.lastStreamId;
  const request: AttachRequest = {
    turn: attachTurnOf(session, active, runId),
    runId,
    lastEventId: c.req.header(HEADERS.lastEventId) ?? c.req.query("last_event_id"),
    requestedRunId: c.req.query("run_id"),
  };
  const cursor = attachCursor(request);
  const checkpoint =
    cursor !== null && streamId !== null
      ? await resumeCheckpoint(ctx.streamStore, ctx.streamKey(session.id, streamId), cursor, active)
      : null;
  const decision = decideAttach({ ...request, cursorFoldable: checkpoint !== null });
  const headers = attachHeaders(decision);
  telemetry?.attach(decision.mode, decision.cursor);
  telemetry?.linkTurn(runId);
  ctx.logger.log("debug", "attach", {
    session_id: session.id,
    run_id: runId,
    mode: decision.mode,
    cursor: decision.cursor,
  });

  if (decision.mode === "no-content") return new Response(null, { status: 204, headers });
  // No `start`, no content (§6 finish-only): the client's finish handler refetches history.
  if (decision.mode === "finish-only") return new Response(SSE_FINISH, { headers: sseHeaders(headers) });
  return openReader(deps, {
    sessionId: session.id,
    // Full and resume read a buffer: an active turn has one, and only a buffer validates a cursor.
    streamId: streamId!,
    runId,
    cursor: decision.resumeAfter,
    // An ended turn's resume runs to its final end; an active turn's reader to this phase's end.
    stopPhase: active ? session.phase : Number.POSITIVE_INFINITY,
    ...(decision.mode === "full" ? { position: ZERO_ENTRY_ID } : {}),
    headers,
    principal,
    ...(checkpoint ? { checkpoint } : {}),
    ...(telemetry ? { telemetry } : {}),
  });
}

/** The §6 table row of a session: its active turn, else its last turn, else none. */
function attachTurnOf(session: SessionRecord, active: boolean, runId: string | null): AttachTurn {
  if (active) return session.turnStatus === "waiting_for_approval" ? "waiting" : "running";
  return runId === null ? "none" : "ended";
}
