import { type SessionStatus, sessionPath, sessionStatusSchema, type TurnStatus } from "@chat-replay/protocol";
import { ReplayHttpError } from "./replay-errors";

/** The status payload in React's casing (snake_case stays on the wire, §conventions 11). */
export interface SessionStatusView {
  readonly turnStatus: TurnStatus;
  readonly currRunId: string | null;
  readonly prompt: string | null;
  readonly promptMessageId: string | null;
  readonly version: number;
}

/** Converts the wire payload once, at the edge. */
export function toStatusView(status: SessionStatus): SessionStatusView {
  return {
    turnStatus: status.turn_status,
    currRunId: status.curr_run_id,
    prompt: status.prompt,
    promptMessageId: status.prompt_message_id,
    version: status.version,
  };
}

/** Whether a turn is running or waiting (polled fast, attachable). */
export function isActiveStatus(status: SessionStatusView | undefined): boolean {
  return status?.turnStatus === "running" || status?.turnStatus === "waiting_for_approval";
}

/**
 * Fetches `GET /status` with `If-None-Match`: a 304 returns `previous` itself, so
 * TanStack Query sees unchanged data and nothing re-renders. Remembers the ETag per URL.
 */
export class SessionStatusClient {
  private readonly etags = new Map<string, string>();

  constructor(
    private readonly options: {
      baseUrl?: string;
      fetch?: typeof fetch;
      headers?: Record<string, string>;
      credentials?: RequestCredentials;
    } = {},
  ) {}

  async fetchStatus(
    sessionId: string,
    previous: SessionStatusView | undefined,
    signal?: AbortSignal,
  ): Promise<SessionStatusView> {
    const url = `${this.options.baseUrl ?? ""}${sessionPath("status", sessionId)}`;
    const headers = new Headers(this.options.headers);
    const etag = this.etags.get(url);
    if (etag && previous) headers.set("if-none-match", etag);
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const response = await doFetch(url, {
      headers,
      signal: signal ?? null,
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    if (response.status === 304 && previous) return previous;
    if (!response.ok) throw await ReplayHttpError.from(response);
    const next = toStatusView(sessionStatusSchema.parse(await response.json()));
    const nextEtag = response.headers.get("etag");
    if (nextEtag) this.etags.set(url, nextEtag);
    return next;
  }
}
