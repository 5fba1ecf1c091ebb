const marker = "chat-replay.error";
const symbol = Symbol.for(marker);

/** Error codes shared by the libraries and the HTTP `{ error: { code } }` bodies. */
export type ChatReplayErrorCode =
  | "bad_request"
  | "not_found"
  | "payload_too_large"
  | "too_many_streams"
  | "turn_active"
  | "awaiting_approval"
  | "no_active_run"
  | "no_active_turn"
  | "not_waiting"
  | "runner_start_failed"
  | "stale_cursor"
  | "store_unavailable"
  | "stream_gave_up"
  | "http_error"
  | "unauthorized"
  | "forbidden"
  | "read_only"
  | "unsupported_media_type"
  | "too_many_sessions"
  | "rate_limited"
  | "history_full"
  | "conflict"
  | "method_not_allowed"
  | "invalid_options"
  | "body_consumed"
  | "schema_mismatch"
  | "internal";

/**
 * Base class of every error chat-replay throws, with a stable `code` (the same strings as
 * the HTTP error bodies). Use `ChatReplayError.isInstance(e)` across package copies.
 */
export class ChatReplayError extends Error {
  readonly [symbol] = true;
  readonly code: ChatReplayErrorCode;

  constructor(code: ChatReplayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChatReplayError";
    this.code = code;
  }

  /** True for any chat-replay error, even from another copy of the package. */
  static isInstance(error: unknown): error is ChatReplayError {
    return typeof error === "object" && error !== null && symbol in error;
  }
}
