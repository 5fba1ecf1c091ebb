import type { AttachMode, CursorVerdict } from "@chat-replay/protocol";

/** How a turn ended (§2): `idle` is `finished`. */
export type TurnOutcome = "finished" | "failed" | "stopped";

/** The replay modes a reader measures its latency for (§6). */
export type ReadMode = "resume" | "full";

/** What a server reports to its metrics at scrape time (gauges read, never pushed). */
export interface MetricsSource {
  /** Open SSE readers of this server (every route that streams). */
  openReaders(): number;
  /** Turns this server holds: running here, or paused here and not yet seen to continue or end. */
  activeTurns(): { readonly running: number; readonly waitingForApproval: number };
}

/**
 * The metrics port of a replay server (opt-in: `createReplayServer({ metrics })`). The
 * server calls it where things happen; an implementation counts. `createPrometheusMetrics()`
 * from `@chat-replay/server/prometheus` is the one shipped (prom-client); the main entry
 * holds only this interface, so it stays free of Node-only code.
 */
export interface ReplayMetrics {
  /** One `GET /stream` answered (§6): the mode it got and what its cursor was. */
  attach(mode: AttachMode, cursor: CursorVerdict): void;
  /** A re-attach's time from its request to its first frame after `start` (or to the head). */
  resumeLatency(mode: ReadMode, seconds: number): void;
  /** One batch of live entries written to a reader: the newest entry's age (append → written). */
  readerLag(seconds: number): void;
  /** A turn ended (counted once, by the process that ended it). */
  turnEnded(outcome: TurnOutcome): void;
  /** A store call failed (aborted reads excluded); `store` is `redis`, `postgres`, `memory` or `custom`. */
  storeError(store: string): void;
  /** A request refused with 429; `code` is the error code (`rate_limited`, `too_many_streams`, ...). */
  refused(code: string): void;
  /** Adds a server's gauges; returns the function that removes them (on `close`). */
  track(source: MetricsSource): () => void;
  /** The exposition for `GET /metrics`. */
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
}
