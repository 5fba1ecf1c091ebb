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

/**
 * Headers of the protocol (§5, §6). The values of `replayMode` and `cursor` are
 * `ATTACH_MODES` and `CURSOR_VERDICTS` (see `decideAttach`).
 */
export const HEADERS = {
  uiMessageStream: "x-vercel-ai-ui-message-stream",
  replayMode: "x-chat-replay-mode",
  cursor: "x-chat-replay-cursor",
  lastEventId: "last-event-id",
} as const;
