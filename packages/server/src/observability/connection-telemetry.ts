import type { AttachMode, CursorVerdict, StoredEntry } from "@chat-replay/protocol";
import type { Span } from "@opentelemetry/api";
import type { ReaderObserver } from "../frame-stream/reader-observer";
import type { ReadMode, ReplayMetrics } from "./replay-metrics";
import { type ReplayTracing, SPAN_ATTRIBUTES } from "./replay-tracing";

/**
 * What one connection (`send`, `stream`, `continue`) reports: its span, the attach counter,
 * resume latency and reader lag. Built for every streaming request; a reader gets it as
 * its observer only when something records (a sampled span or metrics), so a server
 * without either pays for one no-op span per request and nothing per frame.
 */
export class ConnectionTelemetry implements ReaderObserver {
  /** A reader took over the span: it ends when the response body ends. */
  private adopted = false;
  private ended = false;
  private readonly startedAt = performance.now();
  /** Entries appended at or before this (ms epoch) are replayed; later ones are live. */
  private readonly startedMs = Date.now();
  private latencyMode: ReadMode | null = null;
  private firstFrameSeen = false;
  private replayed = 0;
  private live = 0;
  private lagMaxMs = 0;

  constructor(
    readonly span: Span,
    private readonly metrics: ReplayMetrics | null,
    private readonly tracing: ReplayTracing,
  ) {}

  /** Whether anything records this connection (else readers skip the observer). */
  get recording(): boolean {
    return this.metrics !== null || this.span.isRecording();
  }

  /** The §6 decision of a `GET /stream`: counted, on the span, and (re-attaches) timed. */
  attach(mode: AttachMode, cursor: CursorVerdict): void {
    this.metrics?.attach(mode, cursor);
    this.span.setAttribute(SPAN_ATTRIBUTES.mode, mode);
    this.span.setAttribute(SPAN_ATTRIBUTES.cursor, cursor);
    if (mode === "resume" || mode === "full") this.latencyMode = mode;
  }

  /** Names the turn this connection reads and links its span to the turn's, when known here. */
  linkTurn(runId: string | null): void {
    if (runId === null) return;
    this.span.setAttribute(SPAN_ATTRIBUTES.runId, runId);
    const turn = this.tracing.turnOf(runId);
    if (turn) this.span.addLink({ context: turn });
  }

  /** A reader took over: the span now ends with the response body. */
  adopt(): void {
    this.adopted = true;
  }

  begun(snapshotUsed: boolean): void {
    this.span.setAttribute(SPAN_ATTRIBUTES.snapshotUsed, snapshotUsed);
  }

  firstFrame(): void {
    if (this.firstFrameSeen) return;
    this.firstFrameSeen = true;
    const ms = performance.now() - this.startedAt;
    this.span.setAttribute(SPAN_ATTRIBUTES.firstFrameMs, Math.round(ms * 1000) / 1000);
    if (this.latencyMode !== null) this.metrics?.resumeLatency(this.latencyMode, ms / 1000);
  }

  written(entries: readonly StoredEntry[]): void {
    // Entries appended before this connection began are replay, not lag; ids are `<ms>-<seq>`
    // with the store's append time (§4), so no clock is stored next to them.
    const newest = entries.at(-1);
    if (newest === undefined) return;
    // A catch-up batch is all replay: one id parsed per batch, not one per entry.
    if (appendedMs(newest.id) <= this.startedMs) {
      this.replayed += entries.length;
      return;
    }
    let firstLive = 0;
    while (firstLive < entries.length && appendedMs(entries[firstLive]!.id) <= this.startedMs) firstLive++;
    this.replayed += firstLive;
    if (firstLive === entries.length) return;
    this.live += entries.length - firstLive;
    // The oldest live entry of the batch waited longest: the batch's lag.
    const lagMs = Math.max(0, Date.now() - appendedMs(entries[firstLive]!.id));
    if (lagMs > this.lagMaxMs) this.lagMaxMs = lagMs;
    this.metrics?.readerLag(lagMs / 1000);
  }

  closed(end: "finish" | "disconnect" | "error", error?: unknown): void {
    this.span.setAttribute(SPAN_ATTRIBUTES.end, end);
    if (end === "error") {
      this.span.setStatus({
        code: 2, // SpanStatusCode.ERROR
        message: error instanceof Error ? error.message : "reader failed",
      });
    }
    this.finishSpan();
  }

  /**
   * Ends the span of a connection no reader took (an error, a 204, finish-only); a
   * connection a reader adopted ends when its body does.
   */
  endUnlessAdopted(status: number): void {
    if (this.adopted) return;
    this.span.setAttribute(SPAN_ATTRIBUTES.httpStatus, status);
    this.finishSpan();
  }

  private finishSpan(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute(SPAN_ATTRIBUTES.entriesReplayed, this.replayed);
    this.span.setAttribute(SPAN_ATTRIBUTES.entriesLive, this.live);
    this.span.setAttribute(SPAN_ATTRIBUTES.lagMaxMs, this.lagMaxMs);
    this.span.end();
  }
}

/** The append time of an entry: the `<ms>` of its `<ms>-<seq>` id. */
function appendedMs(id: string): number {
  const dash = id.indexOf("-");
  return Number(dash < 0 ? id : id.slice(0, dash));
}
