import {
  bubbleId,
  type EventCursor,
  HEADERS,
  INITIAL_ADAPTER_STATE,
  parseEventId,
  type ReplayMode,
  type SessionStatus,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import { type UIMessage, validateUIMessages } from "ai";
import type { Context } from "hono";
import { createFrameStream, foldBase } from "./frame-stream";
import { errorResponse, readJson } from "./http-error";
import type { ReplayContext } from "./replay-options";
import {
  cancelBodySchema,
  continueBodySchema,
  describeIssue,
  stockSendBodySchema,
  tooDeepPath,
  userMessageSchema,
} from "./request-schemas";
import type { SessionRecord } from "./session-store";
import { finishOnlyBody, sseHeaders } from "./sse";
import type { Checkpoint } from "./stream-store";
import { endTurn, failIfLeaseExpired } from "./turn-lifecycle";
import type { TurnRunner } from "./turn-runner";

interface ReaderSpec {
  readonly sessionId: string;
  readonly streamId: string;
  readonly runId: string | null;
  readonly cursor: EventCursor | null;
  readonly after?: string;
  readonly stopPhase: number;
  readonly headers?: Record<string, string>;
  /** Sent as an id-only event after `start`: the position just before this response's first frame. */
  readonly position?: string;
  /** Who reads (owner id or share link): per-owner stream limits count under it. */
  readonly principal: string;
  /** The checkpoint the cursor resumes from, found while validating it. */
  readonly checkpoint?: Checkpoint;
}

/** Counts open things per key (streams per session, per owner). */
class Counter {
  private readonly counts = new Map<string, number>();
  total = 0;
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, delta: 1 | -1): void {
    const next = this.get(key) + delta;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
    this.total += delta;
  }
}

/** `Cache-Control` of answers that carry a session's content: never stored by any cache. */
const PRIVATE_NO_STORE = "private, no-store";

/** The session routes of §3; each gets a session the caller owns. */
export class SessionRoutes {
  private readonly streamsPerSession = new Counter();
  private readonly streamsPerPrincipal = new Counter();

  constructor(
    private readonly ctx: ReplayContext,
    private readonly runner: TurnRunner,
  ) {}

  /** `GET /:id`: the session and its history, hiding the active run's rows (§3 History). */
  async getSession(c: Context, stored: SessionRecord): Promise<Response> {
    const session = await failIfLeaseExpired(this.ctx, stored);
    const rows = await this.ctx.sessionStore.getHistory(session.id);
    const messages = rows.filter((row) => session.currRunId === null || row.runId !== session.currRunId);
    c.header("cache-control", PRIVATE_NO_STORE);
    return c.json({
      id: session.id,
      title: session.title,
      created_at: session.createdAt,
      turn_status: session.turnStatus,
      curr_run_id: session.currRunId,
      messages: messages.map((row) => row.message),
    });
  }

  /** `GET /:id/status`: the projection only, with a strong ETag and 304 (§3 Status). */
  async status(c: Context, stored: SessionRecord): Promise<Response> {
    const session = await failIfLeaseExpired(this.ctx, stored);
    const body: SessionStatus = {
      turn_status: session.turnStatus,
      curr_run_id: session.currRunId,
      prompt: session.currRunId === null ? null : session.prompt,
      prompt_message_id: session.currRunId === null ? null : session.promptMessageId,
      version: session.version,
    };
    const etag = `"${session.id}.${session.version}"`;
    // Revalidated on every poll (ETag → 304), never shared between users.
    const headers = { etag, "cache-control": "private, no-cache" };
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return Response.json(body, { headers });
  }

  /** `POST /:id/messages`: validate, mint and pin the run, start the runner, stream from `0-0` (§3). */
  async sendMessage(c: Context, stored: SessionRecord, principal: string): Promise<Response> {
    const message = await parsePrompt(c);
    if (message instanceof Response) return message;
    const prompt = promptText(message);
    if (prompt.trim() === "")
      return errorResponse(400, "bad_request", "message.parts: the prompt has no text");
    const session = await failIfLeaseExpired(this.ctx, stored);
    if (session.currRunId !== null) return refuseWhileActive(session);
    const limit = this.checkStreamLimit(session.id, principal);
    if (limit) return limit;
    const refused = await this.checkNewTurn(session, message);
    if (refused) return refused;

    const runId = crypto.randomUUID();
    const streamId = crypto.randomUUID();
    const begun = await this.ctx.sessionStore.beginTurn(session.id, {
      runId,
      streamId,
      prompt,
      promptMessageId: message.id,
      leaseMs: this.ctx.leaseMs,
    });
    if (!begun.ok)
      return begun.session
        ? refuseWhileActive(begun.session)
        : errorResponse(404, "not_found", "No such session.");
    const turn = { sessionId: session.id, runId, streamId, phase: 0 };
    try {
      await this.ctx.sessionStore.upsertHistory(session.id, [{ message, runId }]);
      await this.runner.start(turn);
    } catch (error) {
      await this.failStart(turn, error);
      return errorResponse(500, "runner_start_failed", "The assistant could not start this turn.");
    }
    // §3: the start frame uses the run id minted here; a fast turn may already be finalized.
    return this.reader({
      sessionId: session.id,
      streamId,
      runId,
      cursor: null,
      stopPhase: 0,
      position: ZERO_ENTRY_ID,
      principal,
    });
  }

  /** §3 startup failure: error + final end in the fresh buffer, compare-and-clear on the stream id. */
  private async failStart(
    turn: { sessionId: string; runId: string; streamId: string },
    error: unknown,
  ): Promise<void> {
    console.error("chat-replay: runner failed to start", error);
    const key = this.ctx.streamKey(turn.sessionId, turn.streamId);
    try {
      await this.ctx.streamStore.append(key, {
        type: "error",
        message: "The assistant could not start this turn.",
      });
      await this.ctx.streamStore.append(key, { type: "end", reason: "final", phase: 0 });
      await this.ctx.streamStore.expire(key, this.ctx.bufferTtlMs);
    } finally {
      await this.ctx.sessionStore.abandonTurn(turn.sessionId, turn.streamId);
    }
  }

  /**
   * Limits of a new turn (§3 "Limits", "History integrity"): turns per owner per minute, the
   * session's stored history size, and a prompt id that already names a stored message
   * (upserting it would overwrite that message). Null when the turn may start.
   */
  private async checkNewTurn(session: SessionRecord, message: UIMessage): Promise<Response | null> {
    const hits = await this.ctx.sessionStore.countHit(`turns:${session.ownerId}`, 60_000);
    if (hits.count > this.ctx.maxTurnsPerMinute) {
      const seconds = Math.max(1, Math.ceil((hits.resetAt - Date.now()) / 1000));
      return errorResponse(
        429,
        "rate_limited",
        `At most ${this.ctx.maxTurnsPerMinute} new turns per minute.`,
        {},
        { "retry-after": String(seconds) },
      );
    }
    const rows = await this.ctx.sessionStore.getHistory(session.id);
    if (rows.some((row) => row.message.id === message.id)) {
      return errorResponse(409, "conflict", "message.id: already names a message of this session.");
    }
    const bytes = new TextEncoder().encode(JSON.stringify(rows)).length;
    if (bytes >= this.ctx.maxHistoryBytes) {
      return errorResponse(
        429,
        "history_full",
        "This session's history is full; start a new session.",
        {},
        { "retry-after": "86400" },
      );
    }
    return null;
  }

  /** `DELETE /:id`: ends an active turn, drops the session's buffers, history and record. */
  async deleteSession(session: SessionRecord): Promise<Response> {
    const { currRunId: runId, streamId } = session;
    if (runId !== null && streamId !== null && !(await this.runner.cancel(runId, "session_deleted"))) {
      await endTurn(this.ctx, { sessionId: session.id, runId, streamId, phase: session.phase }, "stopped", [
        { type: "interrupt", reason: "session_deleted" },
      ]);
    }
    await this.ctx.sessionStore.deleteSession(session.id);
    for (const stream of new Set([session.streamId, session.lastStreamId])) {
      // Readers still attached drain the buffer's end; then it is gone.
      if (stream !== null) await this.ctx.streamStore.expire(this.ctx.streamKey(session.id, stream), 1);
    }
    return new Response(null, { status: 204 });
  }

  /** `GET /:id/stream`: attach or resume (§6 table). */
  async stream(c: Context, stored: SessionRecord, principal: string): Promise<Response> {
    const session = await failIfLeaseExpired(this.ctx, stored);
    const raw = c.req.header(HEADERS.lastEventId) ?? c.req.query("last_event_id");
    const cursor = raw === undefined ? null : parseEventId(raw);
    const cursorHeader: Record<string, string> =
      raw !== undefined && cursor === null ? { [HEADERS.cursor]: "ignored" } : {};
    const active = session.currRunId !== null && session.streamId !== null;
    const runId = active ? session.currRunId : session.lastRunId;
    const streamId = active ? session.streamId : session.lastStreamId;
    // A client that names the run it was reading (`run_id`) never resumes another turn.
    const requestedRun = c.req.query("run_id");
    const sameRun = requestedRun === undefined || requestedRun === runId;
    const checkpoint =
      cursor !== null && streamId !== null && sameRun
        ? await this.cursorCheckpoint(session.id, streamId, cursor, active)
        : null;
    const valid = checkpoint !== null;
    const stale: Record<string, string> = cursor !== null && !valid ? { [HEADERS.cursor]: "stale" } : {};

    if (!active || runId === null || streamId === null) {
      if (cursor === null) return new Response(null, { status: 204, headers: cursorHeader });
      if (!valid || runId === null || streamId === null) {
        return new Response(finishOnlyBody(), {
          headers: sseHeaders({ ...stale, [HEADERS.replayMode]: "finish-only" satisfies ReplayMode }),
        });
      }
      return this.reader({
        sessionId: session.id,
        streamId,
        runId,
        cursor,
        stopPhase: Number.POSITIVE_INFINITY,
        headers: { [HEADERS.replayMode]: "resume" satisfies ReplayMode },
        principal,
        ...(checkpoint ? { checkpoint } : {}),
      });
    }
    const mode: ReplayMode = valid ? "resume" : "full";
    return this.reader({
      sessionId: session.id,
      streamId,
      runId,
      cursor: valid ? cursor : null,
      stopPhase: session.phase,
      ...(valid ? {} : { position: ZERO_ENTRY_ID }),
      headers: { ...cursorHeader, ...stale, [HEADERS.replayMode]: mode },
      principal,
      ...(checkpoint ? { checkpoint } : {}),
    });
  }

  /**
   * §6: a cursor is valid if a reader can fold to it: its entry is still in the buffer of the
   * current (or last) turn after a kept fold state, or it names a checkpoint's whole entry
   * (trimmed or not). Returns that fold state, or null for a stale cursor. `0-0` names the
   * start of that buffer (the position before the first frame): valid while the turn is
   * active or its buffer is still kept.
   */
  private async cursorCheckpoint(
    sessionId: string,
    streamId: string,
    cursor: EventCursor,
    active: boolean,
  ): Promise<Checkpoint | null> {
    const key = this.ctx.streamKey(sessionId, streamId);
    if (cursor.entryId === ZERO_ENTRY_ID) {
      const kept = active || (await this.ctx.streamStore.newestId(key)) !== null;
      return kept ? { entryId: ZERO_ENTRY_ID, state: INITIAL_ADAPTER_STATE } : null;
    }
    const checkpoint = await this.ctx.streamStore.checkpoint(key, foldBase(cursor));
    if (checkpoint === null) return null;
    if (checkpoint.entryId === cursor.entryId && cursor.frame === Number.POSITIVE_INFINITY) return checkpoint;
    const found = await this.ctx.streamStore.range(key, cursor.entryId, cursor.entryId, 1);
    return found.length === 1 ? checkpoint : null;
  }

  /** `POST /:id/continue` (§3 Continue, in order). */
  async continueTurn(c: Context, stored: SessionRecord, principal: string): Promise<Response> {
    const parsed = continueBodySchema.safeParse(await readJson(c, null));
    if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
    const session = await failIfLeaseExpired(this.ctx, stored);
    const decisions = parsed.data.decisions;
    const dedupeKeyOf = (runId: string) =>
      `continue:${session.id}:${runId}:${decisions
        .map((d) => d.approvalId)
        .sort()
        .join(",")}`;
    const finishOnly = () => new Response(finishOnlyBody(), { headers: sseHeaders() });
    const runId = session.currRunId;
    const streamId = session.streamId;
    if (runId === null || streamId === null) {
      // A double submission that lands after its continuation already finished is still
      // a duplicate, not an error.
      const last = session.lastRunId;
      if (last !== null && (await this.ctx.sessionStore.isClaimed(dedupeKeyOf(last)))) return finishOnly();
      return errorResponse(404, "no_active_run", "No turn to continue.");
    }
    const captured =
      (await this.ctx.streamStore.newestId(this.ctx.streamKey(session.id, streamId))) ?? ZERO_ENTRY_ID;
    const dedupeKey = dedupeKeyOf(runId);

    if (session.turnStatus !== "waiting_for_approval") {
      if (await this.ctx.sessionStore.isClaimed(dedupeKey)) return finishOnly();
      return errorResponse(409, "not_waiting", "The turn is not waiting for approval.", {
        status: session.turnStatus,
      });
    }
    const pending = new Set(session.pendingApprovals.map((item) => item.toolCallId));
    // §3: exactly the pending set, each id once (a duplicate could stream contradictory decisions).
    const repeated = decisions.findIndex(
      (decision, index) => decisions.findIndex((other) => other.approvalId === decision.approvalId) !== index,
    );
    if (repeated >= 0) {
      return errorResponse(400, "bad_request", `decisions.${repeated}.approvalId: decided twice`);
    }
    const unknown = decisions.findIndex((decision) => !pending.has(decision.approvalId));
    if (unknown >= 0) {
      return errorResponse(
        400,
        "bad_request",
        `decisions.${unknown}.approvalId: no pending approval with this id`,
      );
    }
    if (decisions.length !== pending.size) {
      return errorResponse(400, "bad_request", "decisions: every pending approval needs a decision");
    }
    const limit = this.checkStreamLimit(session.id, principal);
    if (limit) return limit;
    if (!(await this.ctx.sessionStore.claimOnce(dedupeKey, this.ctx.continueDedupeMs))) return finishOnly();
    const resumed = await this.ctx.sessionStore.resumeTurn(session.id, runId, this.ctx.leaseMs);
    if (!resumed) {
      await this.ctx.sessionStore.releaseClaim(dedupeKey);
      return errorResponse(409, "not_waiting", "The turn is not waiting for approval.");
    }
    const turn = { sessionId: session.id, runId, streamId, phase: resumed.phase };
    try {
      await this.runner.start(turn, decisions);
    } catch (error) {
      await this.ctx.sessionStore.releaseClaim(dedupeKey);
      console.error("chat-replay: continuation failed to start", error);
      await endTurn(this.ctx, turn, "failed", [
        { type: "error", message: "The assistant could not continue." },
      ]);
      return errorResponse(500, "runner_start_failed", "The assistant could not continue this turn.");
    }
    return this.reader({
      sessionId: session.id,
      streamId,
      runId,
      cursor: null,
      after: captured,
      position: captured,
      stopPhase: resumed.phase,
      principal,
    });
  }

  /** `POST /:id/cancel`: stops a running or waiting turn; readers get `data-interrupt` and `finish`. */
  async cancel(c: Context, stored: SessionRecord): Promise<Response> {
    const parsed = cancelBodySchema.safeParse(await readJson(c, {}));
    if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
    const reason = parsed.data.reason ?? "user_cancel";
    const session = await failIfLeaseExpired(this.ctx, stored);
    const { currRunId: runId, streamId } = session;
    if (runId === null || streamId === null) {
      return errorResponse(409, "no_active_turn", "No turn is running.", { status: session.turnStatus });
    }
    if (!(await this.runner.cancel(runId, reason))) {
      // Waiting (no runner), or a runner in another process: end it here; that runner's
      // next heartbeat finds the run gone and stops (§2).
      await endTurn(this.ctx, { sessionId: session.id, runId, streamId, phase: session.phase }, "stopped", [
        { type: "interrupt", reason },
      ]);
    }
    const after = await this.ctx.sessionStore.getSession(session.id);
    return c.json({
      session_id: session.id,
      run_id: runId,
      reason,
      turn_status: after?.turnStatus ?? "stopped",
    });
  }

  /** 429 when a session, an owner or the whole server has too many open streams (§3 Limits). */
  private checkStreamLimit(sessionId: string, principal: string): Response | null {
    const refuse = (message: string) =>
      errorResponse(429, "too_many_streams", message, {}, { "retry-after": "5" });
    if (this.streamsPerSession.get(sessionId) >= this.ctx.maxStreamsPerSession) {
      return refuse(`At most ${this.ctx.maxStreamsPerSession} open streams per session.`);
    }
    if (this.streamsPerPrincipal.get(principal) >= this.ctx.maxStreamsPerOwner) {
      return refuse(`At most ${this.ctx.maxStreamsPerOwner} open streams per owner.`);
    }
    if (this.streamsPerSession.total >= this.ctx.maxStreams) {
      return refuse("The server has too many open streams; retry shortly.");
    }
    return null;
  }

  private reader(spec: ReaderSpec): Response {
    const limit = this.checkStreamLimit(spec.sessionId, spec.principal);
    if (limit) return limit;
    this.streamsPerSession.add(spec.sessionId, 1);
    this.streamsPerPrincipal.add(spec.principal, 1);
    const body = createFrameStream({
      store: this.ctx.streamStore,
      hub: this.ctx.hub,
      key: this.ctx.streamKey(spec.sessionId, spec.streamId),
      messageId: spec.runId === null ? null : bubbleId(spec.sessionId, spec.runId),
      cursor: spec.cursor,
      ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint }),
      ...(spec.after === undefined ? {} : { after: spec.after }),
      ...(spec.position === undefined ? {} : { position: spec.position }),
      stopPhase: spec.stopPhase,
      keepaliveMs: this.ctx.keepaliveMs,
      onIdle: async () => {
        // §2: a lost runner is failure-finalized by whoever notices, readers included, so
        // a client that only holds a stream (no status polling) never waits forever.
        const session = await this.ctx.sessionStore.getSession(spec.sessionId);
        if (!session) return "abort";
        const fresh = await failIfLeaseExpired(this.ctx, session);
        // Still ours: keep waiting. Ended (or replaced) while this buffer has no end: drop,
        // and the client's reconnect resumes or finishes (§6).
        return spec.runId === null || fresh.currRunId === spec.runId ? "continue" : "abort";
      },
      onClose: () => {
        this.streamsPerSession.add(spec.sessionId, -1);
        this.streamsPerPrincipal.add(spec.principal, -1);
      },
    });
    return new Response(body, { headers: sseHeaders(spec.headers) });
  }
}

function refuseWhileActive(session: SessionRecord): Response {
  return session.turnStatus === "waiting_for_approval"
    ? errorResponse(409, "awaiting_approval", "The turn is waiting for approval.", {
        status: session.turnStatus,
      })
    : errorResponse(409, "turn_active", "A turn is already running.", { status: session.turnStatus });
}

/** Picks the prompt from `{ message }` or the stock `{ messages }` body and validates it. */
async function parsePrompt(c: Context): Promise<UIMessage | Response> {
  const body = await readJson(c, null);
  const deep = tooDeepPath(body);
  if (deep !== null) return errorResponse(400, "bad_request", `${deep}: nested too deeply`);
  let candidate: unknown;
  let field = "message";
  if (typeof body === "object" && body !== null && "message" in body) {
    candidate = (body as { message: unknown }).message;
  } else {
    const stock = stockSendBodySchema.safeParse(body);
    if (!stock.success) {
      const hasMessages = typeof body === "object" && body !== null && "messages" in body;
      return errorResponse(
        400,
        "bad_request",
        hasMessages ? describeIssue(stock.error) : "message: required",
      );
    }
    candidate = stock.data.messages.at(-1);
    field = `messages.${stock.data.messages.length - 1}`;
  }
  const shaped = userMessageSchema.safeParse(candidate);
  if (!shaped.success) return errorResponse(400, "bad_request", `${field}.${describeIssue(shaped.error)}`);
  try {
    const [message] = await validateUIMessages<UIMessage>({ messages: [shaped.data] });
    return message ?? errorResponse(400, "bad_request", `${field}: missing`);
  } catch {
    // The SDK's message embeds the whole submitted value; never echo input back.
    return errorResponse(400, "bad_request", `${field}: not a valid UI message`);
  }
}

function promptText(message: UIMessage): string {
  return message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}
