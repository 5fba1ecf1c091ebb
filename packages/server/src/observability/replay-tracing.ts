import {
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";

/** Span attribute names (one place, so tests, docs and dashboards agree). */
export const SPAN_ATTRIBUTES = {
  sessionId: "chat_replay.session_id",
  runId: "chat_replay.run_id",
  requestId: "chat_replay.request_id",
  phase: "chat_replay.phase",
  outcome: "chat_replay.turn.outcome",
  route: "chat_replay.connection.route",
  mode: "chat_replay.replay.mode",
  cursor: "chat_replay.cursor.verdict",
  snapshotUsed: "chat_replay.replay.snapshot_used",
  entriesReplayed: "chat_replay.replay.entries",
  entriesLive: "chat_replay.live.entries",
  lagMaxMs: "chat_replay.reader.lag_max_ms",
  firstFrameMs: "chat_replay.reader.first_frame_ms",
  end: "chat_replay.reader.end",
  httpStatus: "http.response.status_code",
} as const;

/** Turn spans remembered per run, so later connections to the same turn link to it. */
const REMEMBERED_TURNS = 10_000;

/**
 * The server's spans (OpenTelemetry API only: no-op unless the application registered an
 * SDK, or passed `tracerProvider`). One span per turn (per phase: a continuation after an
 * approval is a new span linked to the previous one), one per connection (`send`, `stream`,
 * `continue`), each connection linked to its turn's span when this process knows it.
 */
export class ReplayTracing {
  private readonly tracer: Tracer;
  /** run id → the context of its newest turn span in this process (insertion-ordered, bounded). */
  private readonly turns = new Map<string, SpanContext>();

  constructor(provider?: TracerProvider) {
    this.tracer = (provider ?? trace).getTracer("@chat-replay/server");
  }

  /**
   * Starts the span of one turn phase: a root span (a turn outlives the request that
   * started it), linked to the connection that started it and to the turn's previous phase.
   */
  startTurn(
    turn: { readonly sessionId: string; readonly runId: string; readonly phase: number },
    from?: { readonly connection?: SpanContext; readonly requestId?: string },
  ): Span {
    const links: Link[] = [];
    if (from?.connection) links.push({ context: from.connection });
    const previous = this.turns.get(turn.runId);
    if (previous) links.push({ context: previous });
    const span = this.tracer.startSpan("chat_replay.turn", {
      root: true,
      kind: SpanKind.INTERNAL,
      links,
      attributes: {
        [SPAN_ATTRIBUTES.sessionId]: turn.sessionId,
        [SPAN_ATTRIBUTES.runId]: turn.runId,
        [SPAN_ATTRIBUTES.phase]: turn.phase,
        ...(from?.requestId === undefined ? {} : { [SPAN_ATTRIBUTES.requestId]: from.requestId }),
      },
    });
    if (span.isRecording()) this.remember(turn.runId, span.spanContext());
    return span;
  }

  /** Ends a turn span with its outcome; a failure sets the error status with its cause. */
  endTurn(span: Span, outcome: string, cause?: string): void {
    span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
    if (outcome === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: cause ?? "failed" });
    span.end();
  }

  /** Starts the span of one connection (its SSE response, until the body ends). */
  startConnection(route: "send" | "stream" | "continue", sessionId: string, requestId?: string): Span {
    return this.tracer.startSpan(`chat_replay.${route}`, {
      kind: SpanKind.SERVER,
      attributes: {
        [SPAN_ATTRIBUTES.route]: route,
        [SPAN_ATTRIBUTES.sessionId]: sessionId,
        ...(requestId === undefined ? {} : { [SPAN_ATTRIBUTES.requestId]: requestId }),
      },
    });
  }

  /** The span context of a turn's newest span in this process, if any. */
  turnOf(runId: string): SpanContext | undefined {
    return this.turns.get(runId);
  }

  private remember(runId: string, context: SpanContext): void {
    this.turns.delete(runId);
    this.turns.set(runId, context);
    if (this.turns.size > REMEMBERED_TURNS) {
      const oldest = this.turns.keys().next().value;
      if (oldest !== undefined) this.turns.delete(oldest);
    }
  }
}
