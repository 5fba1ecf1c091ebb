import type { Context } from "hono";
import { errorResponse, readJson } from "../http-error";
import { cancelBodySchema, describeIssue } from "../request-schemas";
import type { SessionRecord } from "../session-store";
import { endTurn, failIfLeaseExpired } from "../turn-lifecycle";
import type { RouteDeps } from "./route-deps";

/** `POST /:id/cancel`: stops a running or waiting turn; readers get `data-interrupt` and `finish`. */
export async function cancelRoute(
  { ctx, runner }: RouteDeps,
  c: Context,
  stored: SessionRecord,
): Promise<Response> {
  const parsed = cancelBodySchema.safeParse(await readJson(c, {}));
  if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
  const reason = parsed.data.reason ?? "user_cancel";
  const session = await failIfLeaseExpired(ctx, stored);
  const { currRunId: runId, streamId } = session;
  if (runId === null || streamId === null) {
    return errorResponse(409, "no_active_turn", "No turn is running.", { status: session.turnStatus });
  }
  if (!(await runner.cancel(runId, reason))) {
    // Waiting (no runner), or a runner in another process: end it here; that runner's
    // next heartbeat finds the run gone and stops (§2).
    await endTurn(ctx, { sessionId: session.id, runId, streamId, phase: session.phase }, "stopped", [
      { type: "interrupt", reason },
    ]);
  }
  const after = await ctx.sessionStore.getSession(session.id);
  return c.json({
    session_id: session.id,
    run_id: runId,
    reason,
    turn_status: after?.turnStatus ?? "stopped",
  });
}

/** `DELETE /:id` (§3 Lifecycle): ends an active turn, drops the session's buffers, history and record. */
export async function deleteSessionRoute(
  { ctx, runner }: RouteDeps,
  session: SessionRecord,
): Promise<Response> {
  const { currRunId: runId, streamId } = session;
  if (runId !== null && streamId !== null && !(await runner.cancel(runId, "session_deleted"))) {
    await endTurn(ctx, { sessionId: session.id, runId, streamId, phase: session.phase }, "stopped", [
      { type: "interrupt", reason: "session_deleted" },
    ]);
  }
  await ctx.sessionStore.deleteSession(session.id);
  for (const stream of new Set([session.streamId, session.lastStreamId])) {
    // Readers still attached drain the buffer's end; then it is gone.
    if (stream !== null) await ctx.streamStore.expire(ctx.streamKey(session.id, stream), 1);
  }
  return new Response(null, { status: 204 });
}
