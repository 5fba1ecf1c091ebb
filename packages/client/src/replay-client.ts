import { HEADERS, ROUTES, sessionPath, sessionStatusSchema } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { ReplayHttpError } from "./replay-errors";
import { lastEventIdRequest } from "./send-cursor";
import { type SessionStatusView, toStatusView } from "./session-status-client";

/** Where the replay server is and how to reach it: shared by every request of the core. */
export interface ReplayClientOptions {
  /** Origin and path prefix of the replay server; `""` = same origin. */
  readonly baseUrl?: string;
  /** A fetch implementation (tests, custom agents). Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Extra headers for every request (e.g. `Authorization`, `x-chat-replay-share`). */
  readonly headers?: Record<string, string>;
  readonly credentials?: RequestCredentials;
}

/** A session as `POST /api/sessions` returns it. */
export interface CreatedSession {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
}

/** A read-only share link (`POST /:id/share`). */
export interface ShareLink {
  readonly token: string;
  readonly linkId: string;
  readonly expiresAt: string;
}

/** What `POST /:id/cancel` answered: the run it stopped, or `null` when no turn was running (409). */
export interface CancelResult {
  readonly runId: string | null;
  readonly turnStatus: string | null;
}

/** Per-request extras: an abort signal and headers that override the client's. */
export interface RequestExtras {
  readonly signal?: AbortSignal | null;
  readonly headers?: Record<string, string> | Headers;
}

/**
 * The one HTTP client of the replay protocol (§3): every route, with the base URL, fetch,
 * headers and credentials plumbing written once. Non-2xx answers throw
 * {@link ReplayHttpError} with the server's `{error:{code,message}}`; streams are returned
 * as `Response`s for the transport to read.
 */
export class ReplayClient {
  private readonly fetchImpl: typeof fetch;
  private readonly etags = new Map<string, string>();

  constructor(readonly options: ReplayClientOptions = {}) {
    // Never called as a method: a browser's own `fetch` throws "Illegal invocation" on any
    // `this` but the window.
    const custom = options.fetch;
    this.fetchImpl = custom
      ? (input, init) => custom(input, init)
      : (input, init) => globalThis.fetch(input, init);
  }

  /** The server's origin and prefix, as given. */
  get baseUrl(): string {
    return this.options.baseUrl ?? "";
  }

  /** Any request to the replay server, with the client's headers and credentials. */
  request(path: string, init: RequestInit & { headers?: Record<string, string> | Headers } = {}) {
    const headers = new Headers(this.options.headers);
    for (const [key, value] of new Headers(init.headers)) headers.set(key, value);
    return this.fetchImpl(`${this.baseUrl}${path}`, {
      ...init,
      headers,
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
  }

  /** POSTs JSON. */
  postJson(path: string, body: unknown, extras: RequestExtras = {}): Promise<Response> {
    const headers = new Headers(extras.headers);
    headers.set("content-type", "application/json");
    return this.request(path, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: extras.signal ?? null,
    });
  }

  /** `POST /api/sessions`: a new session (an anonymous caller gets the owner cookie). */
  async createSession(options: { title?: string } = {}): Promise<CreatedSession> {
    const response = await this.postJson(ROUTES.sessions, options.title ? { title: options.title } : {});
    if (!response.ok) throw await ReplayHttpError.from(response);
    const body = (await response.json()) as { id: string; title: string; created_at: string };
    return { id: body.id, title: body.title, createdAt: body.created_at };
  }

  /** `DELETE /:id`: ends an active turn and drops the session. */
  async deleteSession(sessionId: string): Promise<void> {
    const response = await this.request(sessionPath("session", sessionId), { method: "DELETE" });
    if (!response.ok) throw await ReplayHttpError.from(response);
  }

  /**
   * `GET /:id/status` with `If-None-Match`: a 304 returns `previous` itself, so a UI that
   * compares by identity sees nothing new. Remembers the ETag per URL.
   */
  async status(
    sessionId: string,
    previous?: SessionStatusView,
    signal?: AbortSignal | null,
  ): Promise<SessionStatusView> {
    const path = sessionPath("status", sessionId);
    const etag = this.etags.get(path);
    const response = await this.request(path, {
      headers: etag && previous ? { "if-none-match": etag } : {},
      signal: signal ?? null,
    });
    if (response.status === 304 && previous) return previous;
    if (!response.ok) throw await ReplayHttpError.from(response);
    const next = toStatusView(sessionStatusSchema.parse(await response.json()));
    const nextEtag = response.headers.get("etag");
    if (nextEtag) this.etags.set(path, nextEtag);
    return next;
  }

  /** `GET /:id`: the stored history (the active run's rows hidden, §3 History). */
  async history(sessionId: string, signal?: AbortSignal | null): Promise<UIMessage[]> {
    const response = await this.request(sessionPath("session", sessionId), { signal: signal ?? null });
    if (!response.ok) throw await ReplayHttpError.from(response);
    return ((await response.json()) as { messages: UIMessage[] }).messages;
  }

  /**
   * `GET /:id/stream` (§6): attach, or resume after `cursor` (sent byte-exact, see
   * {@link lastEventIdRequest}); with the run id when known, so a cursor never resumes
   * another turn. The caller reads or cancels the body.
   */
  stream(
    sessionId: string,
    options: { cursor?: string | null; runId?: string | null } & RequestExtras = {},
  ): Promise<Response> {
    const params = new URLSearchParams();
    if (options.runId) params.set("run_id", options.runId);
    const headers = new Headers(options.headers);
    const cursor = options.cursor ? lastEventIdRequest(options.cursor) : null;
    if (cursor?.header !== undefined) headers.set(HEADERS.lastEventId, cursor.header);
    if (cursor?.query !== undefined) params.set("last_event_id", cursor.query);
    const query = params.size > 0 ? `?${params}` : "";
    return this.request(`${sessionPath("stream", sessionId)}${query}`, {
      headers,
      signal: options.signal ?? null,
    });
  }

  /** `POST /:id/messages` with the new user message; the answer is the turn's SSE. */
  sendMessage(sessionId: string, message: UIMessage | undefined, extras: RequestExtras = {}) {
    return this.postJson(sessionPath("messages", sessionId), { message }, extras);
  }

  /** `POST /:id/continue` with the approval decisions; the answer is the continuation's SSE. */
  continueTurn(
    sessionId: string,
    decisions: readonly { approvalId: string; approved: boolean; reason?: string }[],
    extras: RequestExtras = {},
  ) {
    return this.postJson(sessionPath("continue", sessionId), { decisions }, extras);
  }

  /** `POST /:id/cancel`: stops the running or waiting turn for every reader; a 409 (nothing running) is no error. */
  async cancel(sessionId: string, reason = "user_cancel"): Promise<CancelResult> {
    const response = await this.postJson(sessionPath("cancel", sessionId), { reason });
    if (response.status === 409) return { runId: null, turnStatus: null };
    if (!response.ok) throw await ReplayHttpError.from(response);
    const body = (await response.json()) as { run_id: string; turn_status: string };
    return { runId: body.run_id, turnStatus: body.turn_status };
  }

  /** `POST /:id/share` (owner): a read-only link; holders send its token as `x-chat-replay-share`. */
  async share(sessionId: string): Promise<ShareLink> {
    const response = await this.postJson(`${sessionPath("session", sessionId)}/share`, {});
    if (!response.ok) throw await ReplayHttpError.from(response);
    const body = (await response.json()) as { token: string; link_id: string; expires_at: string };
    return { token: body.token, linkId: body.link_id, expiresAt: body.expires_at };
  }

  /** `DELETE /:id/share/:linkId` (owner): revokes a share link. */
  async revokeShare(sessionId: string, linkId: string): Promise<void> {
    const path = `${sessionPath("session", sessionId)}/share/${encodeURIComponent(linkId)}`;
    const response = await this.request(path, { method: "DELETE" });
    if (!response.ok) throw await ReplayHttpError.from(response);
  }
}
