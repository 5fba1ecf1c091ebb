import { bubbleId, type EventCursor } from "@chat-replay/protocol";
import { createFrameStream } from "../frame-stream/create-frame-stream";
import type { ConnectionTelemetry } from "../observability/connection-telemetry";
import { sseHeaders } from "../sse-headers";
import type { Checkpoint } from "../stream-store";
import { failIfLeaseExpired } from "../turn-lifecycle";
import type { RouteDeps } from "./route-deps";

/** One SSE reader of a turn's buffer, as a route asks for it. */
export interface ReaderSpec {
  readonly sessionId: string;
  readonly streamId: string;
  /** The run whose bubble `start` names; null omits `start` (§5). */
  readonly runId: string | null;
  /** Frames at or before it are not sent (§6 resume). */
  readonly cursor: EventCursor | null;
  /** Entries at or before it are not sent (§3 Continue). */
  readonly after?: string;
  readonly stopPhase: number;
  readonly headers?: Record<string, string>;
  /** Sent as an id-only event after `start`: the position just before this response's first frame. */
  readonly position?: string;
  /** Who reads (owner id or share link): per-owner stream limits count under it. */
  readonly principal: string;
  /** The checkpoint the cursor resumes from, found while validating it. */
  readonly checkpoint?: Checkpoint;
  /** The connection's telemetry: the reader ends its span and reports to it while something records. */
  readonly telemetry?: ConnectionTelemetry;
}

/**
 * Answers with an SSE reader of a turn's buffer (§5, §6), or 429 when the stream limits
 * are reached (§3 Limits). The reader counts as open until its body ends.
 */
export function openReader({ ctx, streams }: RouteDeps, spec: ReaderSpec): Response {
  const refused = streams.refusal(spec.sessionId, spec.principal);
  if (refused) return refused;
  const close = streams.open(spec.sessionId, spec.principal);
  const telemetry = spec.telemetry;
  telemetry?.adopt();
  const body = createFrameStream({
    store: ctx.streamStore,
    hub: ctx.hub,
    key: ctx.streamKey(spec.sessionId, spec.streamId),
    messageId: spec.runId === null ? null : bubbleId(spec.sessionId, spec.runId),
    cursor: spec.cursor,
    ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint }),
    ...(spec.after === undefined ? {} : { after: spec.after }),
    ...(spec.position === undefined ? {} : { position: spec.position }),
    stopPhase: spec.stopPhase,
    keepaliveMs: ctx.keepaliveMs,
    onIdle: async () => {
      // §2: a lost runner is failure-finalized by whoever notices, readers included, so
      // a client that only holds a stream (no status polling) never waits forever.
      const session = await ctx.sessionStore.getSession(spec.sessionId);
      if (!session) return "abort";
      const fresh = await failIfLeaseExpired(ctx, session);
      // Still ours: keep waiting. Ended (or replaced) while this buffer has no end: drop,
      // and the client's reconnect resumes or finishes (§6).
      return spec.runId === null || fresh.currRunId === spec.runId ? "continue" : "abort";
    },
    onClose: close,
    ...(telemetry?.recording ? { observer: telemetry } : {}),
  });
  return new Response(body, { headers: sseHeaders(spec.headers) });
}
