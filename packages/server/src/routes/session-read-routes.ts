import type { SessionStatus } from "@chat-replay/protocol";
import type { Context } from "hono";
import { pageHistory } from "../history-page";
import { errorResponse } from "../http-error";
import type { SessionRecord } from "../session-store";
import { failIfLeaseExpired } from "../turn-lifecycle";
import type { RouteDeps } from "./route-deps";

/** `GET /:id`: the session and its history, hiding the active run's rows (§3 History). */
export async function getSessionRoute(
  { ctx }: RouteDeps,
  c: Context,
  stored: SessionRecord,
): Promise<Response> {
  const query = parsePageQuery(c);
  if (query instanceof Response) return query;
  const session = await failIfLeaseExpired(ctx, stored);
  // A session's content: never stored by any cache.
  c.header("cache-control", "private, no-store");
  const head = {
    id: session.id,
    title: session.title,
    created_at: session.createdAt,
    turn_status: session.turnStatus,
    curr_run_id: session.currRunId,
  };
  if (query === null) {
    const rows = await ctx.sessionStore.getHistory(session.id);
    const messages = rows.filter((row) => session.currRunId === null || row.runId !== session.currRunId);
    return c.json({ ...head, messages: messages.map((row) => row.message) });
  }
  // §3 History pages: the newest `limit` turns before `before`, the active run still hidden.
  const page = await pageHistory(ctx.sessionStore, session.id, { ...query, hideRunId: session.currRunId });
  return c.json({
    ...head,
    messages: page.rows.map((row) => row.message),
    page: { limit: query.limit, before: page.before },
  });
}

/** Most turns one history page may ask for. */
export const MAX_HISTORY_PAGE = 1000;

/** `?limit=N[&before=C]` (§3 History pages), null without `limit`; a 400 for bad values (never echoed). */
function parsePageQuery(c: Context): { limit: number; before: string | null } | null | Response {
  const limit = c.req.query("limit");
  const before = c.req.query("before");
  if (limit === undefined) {
    return before === undefined ? null : errorResponse(400, "bad_request", "before: needs limit");
  }
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_HISTORY_PAGE) {
    return errorResponse(400, "bad_request", `limit: an integer from 1 to ${MAX_HISTORY_PAGE}`);
  }
  if (before !== undefined && !/^\d{1,18}$/.test(before)) {
    return errorResponse(400, "bad_request", "before: a cursor from a previous page");
  }
  return { limit: Number(limit), before: before ?? null };
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
