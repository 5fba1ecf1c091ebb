import type { SessionStatus } from "@chat-replay/protocol";
import type { Context } from "hono";
import type { SessionRecord } from "../session-store";
import { failIfLeaseExpired } from "../turn-lifecycle";
import type { RouteDeps } from "./route-deps";

/** `GET /:id`: the session and its history, hiding the active run's rows (§3 History). */
export async function getSessionRoute(
  { ctx }: RouteDeps,
  c: Context,
  stored: SessionRecord,
): Promise<Response> {
  const session = await failIfLeaseExpired(ctx, stored);
  const rows = await ctx.sessionStore.getHistory(session.id);
  const messages = rows.filter((row) => session.currRunId === null || row.runId !== session.currRunId);
  // A session's content: never stored by any cache.
  c.header("cache-control", "private, no-store");
  return c.json({
    id: session.id,
    title: session.title,
    created_at: session.createdAt,
    turn_status: session.turnStatus,
    curr_run_id: session.currRunId,
    messages: messages.map((row) => row.message),
  });
}

/** `GET /:id/status`: the projection only, with a strong ETag and 304 (§3 Status). */
export async function statusRoute({ ctx }: RouteDeps, c: Context, stored: SessionRecord): Promise<Response> {
  const session = await failIfLeaseExpired(ctx, stored);
  const body: SessionStatus = {
    turn_status: session.turnStatus,
    curr_run_id: session.currRunId,
    prompt: session.currRunId === null ? null : session.prompt,
    prompt_message_id: session.currRunId === null ? null : session.promptMessageId,
    version: session.version,
  };
  const etag = `"${session.id}.${session.version}"`;
  // Revalidated on every poll (ETag → 304), never shared between users.
  const headers = { etag, "cache-control": "private, no-cache" };
  if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return Response.json(body, { headers });
}
