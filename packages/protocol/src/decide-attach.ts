import { type EventCursor, parseEventId } from "./event-id";
import { HEADERS } from "./routes";

/**
 * Values of `x-chat-replay-mode` (§6): what a `/stream` answer is. `no-content` is the 204
 * (nothing to attach), `finish-only` a body of `finish` + `[DONE]`, `full` a full replay,
 * `resume` the frames after the client's cursor.
 */
export const ATTACH_MODES = ["no-content", "finish-only", "full", "resume"] as const;

/** One value of `x-chat-replay-mode` (§6); clients read it instead of the body. */
export type AttachMode = (typeof ATTACH_MODES)[number];

/** The modes of a 200 SSE answer: every {@link AttachMode} but the 204. */
export type ReplayMode = Exclude<AttachMode, "no-content">;

/**
 * What the server made of the request's cursor (§6): `none` (no `Last-Event-ID`), `valid`
 * (resumed after it), `stale` (well-formed but not foldable in this turn's buffer, or another
 * run's), `ignored` (malformed, treated as absent). Only `stale` and `ignored` travel in
 * `x-chat-replay-cursor`; an absent header means `valid` under `resume`, else `none`.
 */
export const CURSOR_VERDICTS = ["none", "valid", "stale", "ignored"] as const;

/** One {@link CURSOR_VERDICTS} value. */
export type CursorVerdict = (typeof CURSOR_VERDICTS)[number];

/**
 * The turn `/stream` attaches to, as the rows of the §6 table name it: the session's current
 * turn (`running`, or `waiting` for approval), else its last turn (`ended`), else `none`
 * (the session never ran a turn).
 */
export type AttachTurn = "running" | "waiting" | "ended" | "none";

/** The facts of an attach request that need no store lookup. */
export interface AttachRequest {
  readonly turn: AttachTurn;
  /** Run id of that turn (current, else last); null when the session never ran one. */
  readonly runId: string | null;
  /** `Last-Event-ID` as sent (header, else the `last_event_id` query); undefined when absent. */
  readonly lastEventId: string | undefined;
  /** The `run_id` query (the run the client was reading); undefined when absent. */
  readonly requestedRunId: string | undefined;
}

/** {@link AttachRequest} plus the store's answer about the cursor. */
export interface AttachInput extends AttachRequest {
  /**
   * Whether a reader can fold to {@link attachCursor}'s cursor in this turn's buffer (§6
   * "valid": its entry is retained after a kept fold state, or a bare `E` names a
   * checkpoint, or `0-0` while the buffer exists). Not consulted when that cursor is null.
   */
  readonly cursorFoldable: boolean;
}

/** The verdict of {@link decideAttach}. */
export interface AttachDecision {
  readonly mode: AttachMode;
  readonly cursor: CursorVerdict;
  /** The cursor to resume after: set exactly when `mode` is `resume`. */
  readonly resumeAfter: EventCursor | null;
}

/**
 * The cursor whose validity decides an attach (§6 "Cursor input"): the parsed `Last-Event-ID`
 * when it names the run `/stream` would read, else null (absent, malformed, a session that
 * never ran, or `run_id` naming another run; a cursor can never resume a different turn's
 * buffer). Only this cursor needs the store's check before {@link decideAttach}.
 */
export function attachCursor(request: AttachRequest): EventCursor | null {
  if (request.turn === "none" || request.runId === null) return null;
  if (request.requestedRunId !== undefined && request.requestedRunId !== request.runId) return null;
  return parseEventId(request.lastEventId);
}

/**
 * The §6 attach table as a pure function: which answer `/stream` gives and what it made of
 * the cursor. Active turns (running, waiting) always get content: a resume after a valid
 * cursor, else a full replay. An ended turn (or none) gets a resume to its final end after a
 * valid cursor, a finish-only body after a stale one, and 204 without a usable cursor.
 * @example
 * const request = { turn: "running", runId, lastEventId, requestedRunId: undefined } as const;
 * const cursor = attachCursor(request);
 * decideAttach({ ...request, cursorFoldable: cursor !== null && (await isFoldable(cursor)) });
 */
export function decideAttach(input: AttachInput): AttachDecision {
  const cursor = verdictOf(input);
  const active = input.turn === "running" || input.turn === "waiting";
  if (cursor === "valid") return { mode: "resume", cursor, resumeAfter: attachCursor(input) };
  if (active) return { mode: "full", cursor, resumeAfter: null };
  return { mode: cursor === "stale" ? "finish-only" : "no-content", cursor, resumeAfter: null };
}

function verdictOf(input: AttachInput): CursorVerdict {
  if (input.lastEventId === undefined) return "none";
  // §6: malformed → absent, never a 5xx.
  if (parseEventId(input.lastEventId) === null) return "ignored";
  return attachCursor(input) !== null && input.cursorFoldable ? "valid" : "stale";
}

/**
 * The response headers that state a decision (§6): `x-chat-replay-mode` always,
 * `x-chat-replay-cursor` for a `stale` or `ignored` cursor.
 */
export function attachHeaders(decision: Pick<AttachDecision, "mode" | "cursor">): Record<string, string> {
  const headers: Record<string, string> = { [HEADERS.replayMode]: decision.mode };
  if (decision.cursor === "stale" || decision.cursor === "ignored") headers[HEADERS.cursor] = decision.cursor;
  return headers;
}

/**
 * Reads a `/stream` answer's decision back from its headers (the inverse of
 * {@link attachHeaders}), so a client never sniffs the body. `mode` is null when the header is
 * missing or unknown (an older server), and then `cursor` is only known if stated.
 */
export function readAttachHeaders(headers: { get(name: string): string | null }): {
  mode: AttachMode | null;
  cursor: CursorVerdict | null;
} {
  const rawMode = headers.get(HEADERS.replayMode);
  const mode = ATTACH_MODES.find((known) => known === rawMode) ?? null;
  const rawCursor = headers.get(HEADERS.cursor);
  if (rawCursor === "stale" || rawCursor === "ignored") return { mode, cursor: rawCursor };
  if (mode === null) return { mode, cursor: null };
  return { mode, cursor: mode === "resume" ? "valid" : "none" };
}
