/** Route paths of the replay protocol (§3); one source of truth for server and client. */
export const ROUTES = {
  sessions: "/api/sessions",
  session: "/api/sessions/:id",
  messages: "/api/sessions/:id/messages",
  stream: "/api/sessions/:id/stream",
  status: "/api/sessions/:id/status",
  cancel: "/api/sessions/:id/cancel",
  continue: "/api/sessions/:id/continue",
} as const;

/** Names a protocol route. */
export type RouteName = keyof typeof ROUTES;

/**
 * Builds the concrete path of a route for a session, URL-encoding the id.
 * @example sessionPath("stream", "abc") // "/api/sessions/abc/stream"
 */
export function sessionPath(route: Exclude<RouteName, "sessions">, sessionId: string): string {
  return ROUTES[route].replace(":id", encodeURIComponent(sessionId));
}

/** Response headers of the protocol (§5, §6). */
export const HEADERS = {
  uiMessageStream: "x-vercel-ai-ui-message-stream",
  replayMode: "x-chat-replay-mode",
  cursor: "x-chat-replay-cursor",
  lastEventId: "last-event-id",
} as const;

/**
 * `x-chat-replay-mode`: what `/stream` answers (§6): a full replay, a resume after the
 * cursor, or a finish-only body (the turn ended; no content), so clients read the header
 * instead of the body.
 */
export type ReplayMode = "full" | "resume" | "finish-only";
