import { ChatReplayError, type ChatReplayErrorCode } from "@chat-replay/protocol";

/** A non-2xx answer from the replay server, with the protocol's error code when it sent one. */
export class ReplayHttpError extends ChatReplayError {
  constructor(
    readonly status: number,
    code: ChatReplayErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = "ReplayHttpError";
  }

  /** Builds the error from a response, reading `{ error: { code, message } }` when present. */
  static async from(response: Response): Promise<ReplayHttpError> {
    let code: ChatReplayErrorCode = "http_error";
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      if (body.error?.code) code = body.error.code as ChatReplayErrorCode;
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not JSON (a proxy's error page): keep the status-based message.
    }
    return new ReplayHttpError(response.status, code, message);
  }
}

/**
 * The server could not resume at our cursor (trimmed or expired buffer) and answered with
 * a full replay. Feeding it into the open stream would duplicate parts, so the stream ends
 * with this error and `useVercelChat` re-attaches with a clean replay (§7).
 */
export class StaleCursorError extends ChatReplayError {
  constructor(readonly runId: string | null) {
    super("stale_cursor", "The resume cursor is no longer valid; the turn must be replayed.");
    this.name = "StaleCursorError";
  }
}

const marker = Symbol.for("chat-replay.error");

/**
 * Reconnecting failed `maxAttempts` times. It extends `TypeError` with a "network" message
 * on purpose: the AI SDK classifies exactly that as a disconnect, keeps the partial
 * message's streaming state, and resumes it later (on visibility, or the hook's attach).
 * `ChatReplayError.isInstance(error)` is true and `code` is `stream_gave_up`.
 */
export class StreamDisconnectedError extends TypeError {
  readonly [marker] = true;
  readonly code = "stream_gave_up" as const;
  constructor(
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`network connection lost: gave up reconnecting after ${attempts} attempts`, options);
    this.name = "StreamDisconnectedError";
  }
}
