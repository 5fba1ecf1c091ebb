import type { Context } from "hono";
import { ConnectionTelemetry } from "./observability/connection-telemetry";
import { SPAN_ATTRIBUTES } from "./observability/replay-tracing";
import { requestIdOf } from "./observability/request-id";
import type { ReplayContext } from "./replay-options";
import { continueRoute } from "./routes/continue-route";
import { cancelRoute, deleteSessionRoute } from "./routes/end-turn-routes";
import type { RouteDeps } from "./routes/route-deps";
import { sendMessageRoute } from "./routes/send-message-route";
import { getSessionRoute, statusRoute } from "./routes/session-read-routes";
import { StreamLimits } from "./routes/stream-limits";
import { streamRoute } from "./routes/stream-route";
import type { SessionRecord } from "./session-store";
import type { TurnRunner } from "./turn-runner";

/** A session route: gets the session the caller may use. */
type SessionHandler = (c: Context, session: SessionRecord) => Promise<Response>;
/** A route that opens a stream: also gets who reads (owner id or share link), for the stream limits. */
type StreamingHandler = (c: Context, session: SessionRecord, principal: string) => Promise<Response>;

/** The session routes of §3, each given a session the caller may use. */
export interface SessionRoutes {
  /** `GET /:id` (§3 History). */
  readonly getSession: SessionHandler;
  /** `GET /:id/status` (§3 Status). */
  readonly status: SessionHandler;
  /** `POST /:id/messages` (§3 New turn). */
  readonly sendMessage: StreamingHandler;
  /** `GET /:id/stream` (§6). */
  readonly stream: StreamingHandler;
  /** `POST /:id/continue` (§3 Continue). */
  readonly continueTurn: StreamingHandler;
  /** `POST /:id/cancel`. */
  readonly cancel: SessionHandler;
  /** `DELETE /:id` (§3 Lifecycle). */
  readonly deleteSession: (session: SessionRecord) => Promise<Response>;
  /** Open SSE responses of this process (for metrics). */
  openStreams(): number;
}

/** Builds the session routes over one server's context and runner; they share its stream limits. */
export function createSessionRoutes(ctx: ReplayContext, runner: TurnRunner): SessionRoutes {
  const deps: RouteDeps = { ctx, runner, streams: new StreamLimits(ctx) };
  /** A streaming route inside its connection's telemetry (span, attach metrics, reader observer). */
  const connection =
    (
      route: "send" | "stream" | "continue",
      handler: (
        c: Context,
        session: SessionRecord,
        principal: string,
        telemetry: ConnectionTelemetry,
      ) => Promise<Response>,
    ): StreamingHandler =>
    async (c, session, principal) => {
      const span = ctx.tracing.startConnection(route, session.id);
      if (span.isRecording()) span.setAttribute(SPAN_ATTRIBUTES.requestId, requestIdOf(c.req.raw));
      const telemetry = new ConnectionTelemetry(span, ctx.metrics, ctx.tracing);
      try {
        const response = await handler(c, session, principal, telemetry);
        telemetry.endUnlessAdopted(response.status);
        return response;
      } catch (error) {
        telemetry.endUnlessAdopted(500);
        throw error;
      }
    };
  return {
    getSession: (c, session) => getSessionRoute(deps, c, session),
    status: (c, session) => statusRoute(deps, c, session),
    sendMessage: connection("send", (c, session, principal, telemetry) =>
      sendMessageRoute(deps, c, session, principal, telemetry),
    ),
    stream: connection("stream", (c, session, principal, telemetry) =>
      streamRoute(deps, c, session, principal, telemetry),
    ),
    continueTurn: connection("continue", (c, session, principal, telemetry) =>
      continueRoute(deps, c, session, principal, telemetry),
    ),
    cancel: (c, session) => cancelRoute(deps, c, session),
    deleteSession: (session) => deleteSessionRoute(deps, session),
    openStreams: () => deps.streams.openCount,
  };
}
