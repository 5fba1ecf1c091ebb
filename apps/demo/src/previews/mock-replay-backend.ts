import {
  type AttachRequest,
  type AttachTurn,
  adapt,
  attachCursor,
  attachHeaders,
  type BufferEntry,
  bubbleId,
  decideAttach,
  type EventCursor,
  encodeSseChunk,
  encodeSseFrame,
  framesAfter,
  HEADERS,
  INITIAL_ADAPTER_STATE,
  type ReplayMode,
  ROUTES,
  type SessionStatus,
  SSE_FINISH,
  type StoredEntry,
  type TurnStatus,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { HttpResponse, http, type RequestHandler } from "msw";

/** A turn the mock server "runs": buffer entries appended one by one, like the turn runner. */
export interface MockTurnPlan {
  readonly prompt: string;
  /** Entries of the first phase; it ends with `end` (`pause` → waiting for approval, `final` → done). */
  readonly entries: readonly BufferEntry[];
  /** Entries a continuation appends (§7), from the human's decision. */
  readonly continuation?: (approved: boolean) => readonly BufferEntry[];
  /** How many entries are already in the buffer when the story mounts (a turn under way). Default 0. */
  readonly preloaded?: number;
  /** Delay between appended entries. Default 80 ms. */
  readonly entryDelayMs?: number;
  /** Stop appending before this entry index, so the turn stays `running` for as long as you look. */
  readonly holdAt?: number;
  /** The first live stream fails with a network error after this many frames. */
  readonly dropAfterFrames?: number;
  /**
   * The network after that drop: reconnects resume (default), `/stream` never answers
   * (reconnecting for good), or every request fails as if offline (the transport gives up).
   */
  readonly afterDrop?: "resume" | "hang" | "offline";
}

/** What the mock session holds when the story mounts. */
export interface MockSessionSeed {
  readonly sessionId: string;
  /** The session belongs to another owner: every route answers 404. */
  readonly foreign?: boolean;
  readonly title?: string;
  /** Status of the session when no turn is active (`idle`, `stopped`, `failed`). Default idle. */
  readonly status?: TurnStatus;
  /** Stored transcript of finished turns. */
  readonly history?: readonly UIMessage[];
  /** A turn that is running (or paused for approval) when the story mounts. */
  readonly activeTurn?: MockTurnPlan;
  /** How `POST /messages` answers a prompt. Default: a short streamed answer. */
  readonly replyTo?: (prompt: string) => MockTurnPlan;
}

interface ActiveTurn {
  readonly plan: MockTurnPlan;
  readonly runId: string;
  readonly promptMessageId: string | null;
  /** Entries still to append, in order. */
  readonly pending: BufferEntry[];
  phase: number;
  dropped: boolean;
}

const encoder = new TextEncoder();
const ENTRY_BASE = 1_800_000_000_000;

/** What one mock SSE response reads: which frames it suppresses, where it stops, its mode. */
interface ReadSpec {
  /** The last position already sent (§6 resume, §3 Continue): {@link framesAfter} it. */
  readonly suppressThrough: EventCursor | null;
  /** Stop after the first end marker with phase >= this, or a final end (§5 Stopping). */
  readonly stopPhase: number;
  readonly headers: Record<string, string>;
}

/**
 * An in-browser emulation of the replay protocol (§3–§6) behind MSW handlers, for the
 * component previews: sessions, status with versions, a per-turn buffer that grows on a
 * timer, frames folded by the protocol's own adapter (`adapt`) and sent with its rules
 * (`decideAttach`, `framesAfter`, the SSE encoder), `Last-Event-ID` resume, continue and
 * cancel, plus scripted network failures. One instance per story. It never trims, so every
 * retained cursor of the current or last turn is valid.
 */
export class MockReplayBackend {
  private readonly entries: StoredEntry[] = [];
  private turn: ActiveTurn | null = null;
  /** The last turn that ended; its buffer is kept until the next turn starts (§6 "ended, buffer kept"). */
  private lastTurn: ActiveTurn | null = null;
  private turnStatus: TurnStatus;
  private version = 0;
  private runs = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly history: UIMessage[];

  constructor(private readonly seed: MockSessionSeed) {
    this.turnStatus = seed.status ?? "idle";
    this.history = [...(seed.history ?? [])];
    if (seed.activeTurn) this.startTurn(seed.activeTurn, null);
  }

  /** The MSW handlers of every route the hooks call. */
  get handlers(): RequestHandler[] {
    const id = this.seed.sessionId;
    return [
      // After a scripted drop into "offline", every request fails like fetch does offline.
      http.all("*", () => (this.offline ? HttpResponse.error() : undefined)),
      // Another owner's session: the server's 404, which never says whether it exists.
      http.all("*", () =>
        this.seed.foreign
          ? HttpResponse.json({ error: { code: "not_found", message: "Session not found" } }, { status: 404 })
          : undefined,
      ),
      http.post(ROUTES.sessions, () =>
        HttpResponse.json(
          { id, title: this.seed.title ?? "Preview chat", created_at: new Date(0).toISOString() },
          { status: 201 },
        ),
      ),
      http.get(ROUTES.status, () => HttpResponse.json(this.status())),
      http.get(ROUTES.session, () =>
        HttpResponse.json({
          id,
          title: this.seed.title ?? "Preview chat",
          created_at: new Date(0).toISOString(),
          turn_status: this.turnStatus,
          curr_run_id: this.turn?.runId ?? null,
          messages: this.history,
        }),
      ),
      http.post(ROUTES.messages, async ({ request }) => this.sendMessage(request)),
      http.get(ROUTES.stream, ({ request }) => this.stream(request)),
      http.post(ROUTES.continue, async ({ request }) => this.continueTurn(request)),
      http.post(ROUTES.cancel, () => this.cancel()),
    ];
  }

  /** The current (or last) turn's buffer, as the runner appended it. */
  get buffer(): readonly StoredEntry[] {
    return this.entries;
  }

  /** Stops the timer; open streams end when their requests are aborted. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private get offline(): boolean {
    return this.turn?.dropped === true && this.turn.plan.afterDrop === "offline";
  }

  private status(): SessionStatus {
    const turn = this.turn;
    return {
      turn_status: this.turnStatus,
      curr_run_id: turn?.runId ?? null,
      prompt: turn?.plan.prompt ?? null,
      prompt_message_id: turn?.promptMessageId ?? null,
      version: this.version,
    };
  }

  private setStatus(status: TurnStatus): void {
    this.turnStatus = status;
    this.version += 1;
  }

  private startTurn(plan: MockTurnPlan, promptMessageId: string | null): ActiveTurn {
    this.runs += 1;
    this.entries.length = 0;
    const turn: ActiveTurn = {
      plan,
      runId: `preview-run-${this.runs}`,
      promptMessageId,
      pending: [...plan.entries],
      phase: 0,
      dropped: false,
    };
    this.turn = turn;
    this.lastTurn = null;
    this.setStatus("running");
    for (let index = 0; index < (plan.preloaded ?? 0); index++) this.appendNext(turn);
    this.schedule(turn);
    return turn;
  }

  private schedule(turn: ActiveTurn): void {
    if (this.timer || turn.pending.length === 0) return;
    if (turn.plan.holdAt !== undefined && this.entries.length >= turn.plan.holdAt) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.turn !== turn) return;
      this.appendNext(turn);
      this.schedule(turn);
    }, turn.plan.entryDelayMs ?? 80);
  }

  private appendNext(turn: ActiveTurn): void {
    const entry = turn.pending.shift();
    if (entry) this.append(entry);
  }

  private append(entry: BufferEntry): void {
    this.entries.push({ id: `${ENTRY_BASE + this.entries.length}-0`, entry });
    if (entry.type === "end") this.endPhase(entry);
    for (const wake of [...this.waiters]) wake();
  }

  private endPhase(end: Extract<BufferEntry, { type: "end" }>): void {
    if (end.reason === "pause") {
      this.setStatus("waiting_for_approval");
      return;
    }
    const last = this.entries.map((stored) => stored.entry.type);
    const outcome = last.includes("interrupt") ? "stopped" : last.includes("error") ? "failed" : "idle";
    this.lastTurn = this.turn;
    this.turn = null;
    this.setStatus(outcome);
  }

  private async sendMessage(request: Request): Promise<Response> {
    if (this.turn) return conflict(this.turnStatus);
    const body = (await request.json()) as { message?: UIMessage };
    const prompt = (body.message?.parts ?? [])
      .map((part) => (part.type === "text" ? part.text : ""))
      .join("");
    const plan = this.seed.replyTo?.(prompt) ?? defaultReply(prompt);
    const turn = this.startTurn(plan, body.message?.id ?? null);
    return this.sse(turn, request.signal, { suppressThrough: null, stopPhase: 0, headers: mode("full") });
  }

  /** `GET /stream` (§6): the protocol's own attach decision over this mock's buffer. */
  private stream(request: Request): Response | Promise<Response> {
    const active = this.turn;
    if (active?.dropped && active.plan.afterDrop === "hang") return hang(request.signal);
    const turn = active ?? this.lastTurn;
    const query = new URL(request.url).searchParams;
    const attach: AttachRequest = {
      turn: this.attachTurn(),
      runId: turn?.runId ?? null,
      lastEventId: request.headers.get(HEADERS.lastEventId) ?? query.get("last_event_id") ?? undefined,
      requestedRunId: query.get("run_id") ?? undefined,
    };
    const cursor = attachCursor(attach);
    const decision = decideAttach({ ...attach, cursorFoldable: cursor !== null && this.holds(cursor) });
    const headers = attachHeaders(decision);
    if (!turn || decision.mode === "no-content") return new Response(null, { status: 204, headers });
    if (decision.mode === "finish-only") return sseResponse(SSE_FINISH, headers);
    const stopPhase = active ? active.phase : Number.POSITIVE_INFINITY;
    return this.sse(turn, request.signal, { suppressThrough: decision.resumeAfter, stopPhase, headers });
  }

  /** The §6 table row of the session: its active turn, else its last turn, else none. */
  private attachTurn(): AttachTurn {
    if (this.turn) return this.turnStatus === "waiting_for_approval" ? "waiting" : "running";
    return this.lastTurn ? "ended" : "none";
  }

  /** §6 "valid" for a buffer that is never trimmed: `0-0` while it exists, else a retained entry. */
  private holds(cursor: EventCursor): boolean {
    if (cursor.entryId === ZERO_ENTRY_ID) return this.turn !== null || this.entries.length > 0;
    return this.entries.some((stored) => stored.id === cursor.entryId);
  }

  private async continueTurn(request: Request): Promise<Response> {
    const turn = this.turn;
    if (!turn || this.turnStatus !== "waiting_for_approval") return conflict(this.turnStatus);
    const body = (await request.json()) as { decisions?: { approved: boolean }[] };
    const approved = body.decisions?.every((decision) => decision.approved) ?? false;
    // §3 Continue: capture the newest entry id, answer with the entries strictly after it.
    const captured = this.entries.at(-1)?.id ?? ZERO_ENTRY_ID;
    turn.phase += 1;
    turn.pending.push(
      ...(turn.plan.continuation?.(approved) ?? [{ type: "end", reason: "final", phase: turn.phase }]),
    );
    this.setStatus("running");
    this.schedule(turn);
    return this.sse(turn, request.signal, {
      suppressThrough: { entryId: captured, frame: Number.POSITIVE_INFINITY },
      stopPhase: turn.phase,
      headers: mode("full"),
    });
  }

  private cancel(): Response {
    const turn = this.turn;
    if (!turn) return conflict(this.turnStatus);
    this.dispose();
    turn.pending.length = 0;
    this.append({ type: "interrupt", reason: "user_cancel" });
    this.append({ type: "end", reason: "final", phase: turn.phase });
    return HttpResponse.json({ run_id: turn.runId, turn_status: this.turnStatus });
  }

  /**
   * One SSE response over the growing buffer (§5, §6): every entry is folded from the start,
   * {@link framesAfter} `suppressThrough` is sent, and it ends after the stopping end marker.
   */
  private sse(turn: ActiveTurn, signal: AbortSignal, spec: ReadSpec): Response {
    let state = INITIAL_ADAPTER_STATE;
    let next = 0;
    let sentFrames = 0;
    // Only the live turn's first stream is dropped; an ended turn's buffer reads to its end.
    const dropAt = turn.dropped || turn !== this.turn ? undefined : turn.plan.dropAfterFrames;
    const queue: string[] = [
      encodeSseChunk({ type: "start", messageId: bubbleId(this.seed.sessionId, turn.runId) }),
    ];
    let done = false;
    /** Folds the next buffered entry into SSE text; waits for the runner when there is none. */
    const produce = async () => {
      const stored = this.entries[next];
      if (!stored) {
        await this.nextAppend(signal);
        return;
      }
      next += 1;
      const result = adapt(state, stored);
      state = result.state;
      for (const frame of framesAfter(stored.id, result.frames, spec.suppressThrough)) {
        queue.push(encodeSseFrame(frame));
      }
      const entry = stored.entry;
      if (entry.type === "end" && (entry.reason === "final" || entry.phase >= spec.stopPhase)) {
        queue.push(SSE_FINISH);
        done = true;
      }
    };
    // Pull-based, one frame per read: what was read before a scripted drop stays delivered.
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (queue.length === 0 && !done && !signal.aborted) await produce();
          const text = queue.shift();
          if (text === undefined) return controller.close();
          controller.enqueue(encoder.encode(text));
          if (text.startsWith("id:")) sentFrames += 1;
          if (dropAt !== undefined && sentFrames >= dropAt) {
            turn.dropped = true;
            controller.error(new TypeError("network error: preview drop"));
          }
        },
      },
      { highWaterMark: 0 },
    );
    return sseResponse(body, spec.headers);
  }

  private nextAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }
}

/** `x-chat-replay-mode` of a response that is not a `/stream` attach (§3 POST routes answer a full read). */
function mode(value: ReplayMode): Record<string, string> {
  return { [HEADERS.replayMode]: value };
}

function sseResponse(body: BodyInit, headers: Record<string, string>): Response {
  return new Response(body, {
    headers: { "content-type": "text/event-stream", [HEADERS.uiMessageStream]: "v1", ...headers },
  });
}

function conflict(status: TurnStatus): Response {
  return HttpResponse.json(
    { error: { code: "turn_active", message: `Preview: the session is ${status}.` } },
    { status: 409 },
  );
}

/** A `/stream` request that never gets an answer (a black-holed network), until aborted. */
function hang(signal: AbortSignal): Promise<Response> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** The default answer: the prompt echoed back as a short streamed text. */
function defaultReply(prompt: string): MockTurnPlan {
  const words = `You said: ${prompt}. This preview server streams its answer word by word.`.split(" ");
  return { prompt, entries: textEntries(words, 0), entryDelayMs: 60 };
}

/** Text entries for a list of words in part `part`, closed and followed by a final end. */
export function textEntries(words: readonly string[], part: number, phase = 0): BufferEntry[] {
  return [
    { type: "text-start", part, text: words[0] ?? "" },
    ...words.slice(1).map((word): BufferEntry => ({ type: "text-delta", part, text: ` ${word}` })),
    { type: "text-end", part },
    { type: "end", reason: "final", phase },
  ];
}
