import { HEADERS, type ReplayMode, SSE_FINISH, ZERO_ENTRY_ID } from "@chat-replay/protocol";
import type { Context } from "hono";
import { errorResponse, readJson } from "../http-error";
import type { ConnectionTelemetry } from "../observability/connection-telemetry";
import { describeError } from "../observability/replay-logger";
import { requestIdOf } from "../observability/request-id";
import { continueBodySchema, describeIssue } from "../request-schemas";
import type { SessionRecord } from "../session-store";
import { sseHeaders } from "../sse-headers";
import { endTurn, failIfLeaseExpired } from "../turn-lifecycle";
import type { ApprovalDecision } from "../turn-runner";
import { openReader } from "./open-reader";
import type { RouteDeps } from "./route-deps";

/** The answer to a duplicate submission (§3 Continue): finish-only, the buffer untouched. */
function finishOnly(): Response {
  return new Response(SSE_FINISH, {
    headers: sseHeaders({ [HEADERS.replayMode]: "finish-only" satisfies ReplayMode }),
  });
}

/**
 * `POST /:id/continue` (§3 Continue, in order): capture the newest entry id, dedupe the
 * submission, check the decisions against the pending approvals, resume the runner, and
 * answer with a reader strictly after the captured id.
 */
export async function continueRoute(
  deps: RouteDeps,
  c: Context,
  stored: SessionRecord,
  principal: string,
  telemetry?: ConnectionTelemetry,
): Promise<Response> {
  const { ctx, runner } = deps;
  const parsed = continueBodySchema.safeParse(await readJson(c, null));
  if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
  const session = await failIfLeaseExpired(ctx, stored);
  const decisions = parsed.data.decisions;
  const approvalIds = decisions.map((decision) => decision.approvalId).sort();
  const dedupeKeyOf = (runId: string) => `continue:${session.id}:${runId}:${approvalIds.join(",")}`;
  const runId = session.currRunId;
  const streamId = session.streamId;
  if (runId === null || streamId === null) {
    // A double submission that lands after its continuation already finished is still
    // a duplicate, not an error.
    const last = session.lastRunId;
    if (last !== null && (await ctx.sessionStore.isClaimed(dedupeKeyOf(last)))) return finishOnly();
    return errorResponse(404, "no_active_run", "No turn to continue.");
  }
  const captured = (await ctx.streamStore.newestId(ctx.streamKey(session.id, streamId))) ?? ZERO_ENTRY_ID;
  const dedupeKey = dedupeKeyOf(runId);

  if (session.turnStatus !== "waiting_for_approval") {
    if (await ctx.sessionStore.isClaimed(dedupeKey)) return finishOnly();
    return errorResponse(409, "not_waiting", "The turn is not waiting for approval.", {
      status: session.turnStatus,
    });
  }
  const invalid = checkDecisions(decisions, session);
  if (invalid) return invalid;
  const limit = deps.streams.refusal(session.id, principal);
  if (limit) return limit;
  if (!(await ctx.sessionStore.claimOnce(dedupeKey, ctx.continueDedupeMs))) return finishOnly();
  const resumed = await ctx.sessionStore.resumeTurn(session.id, runId, ctx.leaseMs);
  if (!resumed) {
    await ctx.sessionStore.releaseClaim(dedupeKey);
    return errorResponse(409, "not_waiting", "The turn is not waiting for approval.");
  }
  const turn = { sessionId: session.id, runId, streamId, phase: resumed.phase };
  try {
    await runner.start(turn, decisions, {
      ...(telemetry ? { connection: telemetry.span.spanContext() } : {}),
      requestId: requestIdOf(c.req.raw),
    });
    telemetry?.linkTurn(runId);
  } catch (error) {
    await ctx.sessionStore.releaseClaim(dedupeKey);
    await endTurn(ctx, turn, "failed", [{ type: "error", message: "The assistant could not continue." }], {
      cause: `the continuation could not start: ${describeError(error)}`,
      requestId: requestIdOf(c.req.raw),
    });
    return errorResponse(500, "runner_start_failed", "The assistant could not continue this turn.");
  }
  return openReader(deps, {
    sessionId: session.id,
    streamId,
    runId,
    cursor: null,
    after: captured,
    position: captured,
    stopPhase: resumed.phase,
    principal,
    ...(telemetry ? { telemetry } : {}),
  });
}

/** §3 History integrity: exactly the pending approval ids, each once (a duplicate could stream contradictory decisions). */
function checkDecisions(decisions: readonly ApprovalDecision[], session: SessionRecord): Response | null {
  const pending = new Set(session.pendingApprovals.map((item) => item.toolCallId));
  const repeated = decisions.findIndex(
    (decision, index) => decisions.findIndex((other) => other.approvalId === decision.approvalId) !== index,
  );
  if (repeated >= 0)
    return errorResponse(400, "bad_request", `decisions.${repeated}.approvalId: decided twice`);
  const unknown = decisions.findIndex((decision) => !pending.has(decision.approvalId));
  if (unknown >= 0) {
    return errorResponse(
      400,
      "bad_request",
      `decisions.${unknown}.approvalId: no pending approval with this id`,
    );
  }
  if (decisions.length !== pending.size) {
    return errorResponse(400, "bad_request", "decisions: every pending approval needs a decision");
  }
  return null;
}
