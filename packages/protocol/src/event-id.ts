/**
 * Event-id cursors: `<entry-id>:<frame-index>` where entry ids are Redis-style `<ms>-<seq>`.
 * Parsing is strict and total: anything malformed gives `null`, never a throw (§6).
 */

/** The entry id that sorts before every real entry: "read from the start". */
export const ZERO_ENTRY_ID = "0-0";

/** Longest cursor we accept; real ones are at most 20 + 1 + 20 + 1 + 10 characters. */
export const MAX_EVENT_ID_LENGTH = 64;

/** A parsed cursor: the client has applied every frame of `entryId` up to and including `frame`. */
export interface EventCursor {
  /** Canonical `<ms>-<seq>` entry id. */
  readonly entryId: string;
  /** 0-based frame index within the entry; `Infinity` when the cursor names the whole entry. */
  readonly frame: number;
}

// §6: `^(\d+)-(\d+):(\d+)$` or `^(\d+)-(\d+)$`, ASCII digits only.
const EVENT_ID_PATTERN = /^([0-9]+)-([0-9]+)(?::([0-9]+))?$/;
const ENTRY_ID_PATTERN = /^([0-9]+)-([0-9]+)$/;

function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  return start === 0 ? digits : digits.slice(start);
}

/**
 * Formats the SSE id of frame `frame` of entry `entryId`.
 * @example formatEventId({ entryId: "1718000000000-3", frame: 1 }) // "1718000000000-3:1"
 */
export function formatEventId(cursor: { entryId: string; frame: number }): string {
  return Number.isFinite(cursor.frame) ? `${cursor.entryId}:${cursor.frame}` : cursor.entryId;
}

/**
 * Parses a `Last-Event-ID` value into a cursor, or `null` when it is absent or malformed
 * (empty, wrong shape, negative, non-ASCII digits, NUL, longer than 64 characters).
 */
export function parseEventId(value: unknown): EventCursor | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_EVENT_ID_LENGTH) {
    return null;
  }
  const match = EVENT_ID_PATTERN.exec(value);
  if (!match) return null;
  const [, ms = "", seq = "", frame] = match;
  return {
    entryId: `${stripLeadingZeros(ms)}-${stripLeadingZeros(seq)}`,
    frame: frame === undefined ? Number.POSITIVE_INFINITY : Number(frame),
  };
}

/** Parses a bare `<ms>-<seq>` entry id into its canonical form, or `null` when malformed. */
export function parseEntryId(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_EVENT_ID_LENGTH) {
    return null;
  }
  const match = ENTRY_ID_PATTERN.exec(value);
  if (!match) return null;
  return `${stripLeadingZeros(match[1] ?? "")}-${stripLeadingZeros(match[2] ?? "")}`;
}

/** Compares two canonical digit strings of any length as unsigned integers. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * Orders canonical entry ids numerically per component (`999-5` < `1000-0` < `1000-1`),
 * never as strings. Returns a negative number, zero or a positive number.
 */
export function compareEntryIds(a: string, b: string): number {
  const dashA = a.indexOf("-");
  const dashB = b.indexOf("-");
  const byMs = compareDigits(a.slice(0, dashA), b.slice(0, dashB));
  return byMs !== 0 ? byMs : compareDigits(a.slice(dashA + 1), b.slice(dashB + 1));
}

/**
 * Orders two cursors by position: entry first, then frame index. A whole-entry cursor
 * sorts after every frame of its entry.
 */
export function compareEventCursors(a: EventCursor, b: EventCursor): number {
  const byEntry = compareEntryIds(a.entryId, b.entryId);
  return byEntry !== 0 ? byEntry : a.frame === b.frame ? 0 : a.frame < b.frame ? -1 : 1;
}

const MAX_SEQ = "18446744073709551615";

/**
 * The greatest entry id strictly before `entryId` (canonical): `5-3` → `5-2`, `5-0` →
 * `4-18446744073709551615` (the largest Redis sequence number). For lookups "strictly before".
 */
export function previousEntryId(entryId: string): string {
  const dash = entryId.indexOf("-");
  const ms = BigInt(entryId.slice(0, dash));
  const seq = BigInt(entryId.slice(dash + 1));
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0n ? `${ms - 1n}-${MAX_SEQ}` : ZERO_ENTRY_ID;
}
