import {
  bubbleId,
  encodeSseChunk,
  encodeSseEvent,
  encodeSseFrame,
  type Frame,
  parseEventId,
  SSE_FINISH,
  type UIMessageChunk,
} from "@chat-replay/protocol";
import type { UIMessage } from "ai";

/**
 * A replay backend and a network in memory, driven by the test and free of timers, so
 * controller tests can run outages of minutes on fake timers. One session, one turn of
 * text deltas with ids `<n>-0:0`; `/stream` answers §6 (full replay with `start` and the
 * position event, or a resume after `Last-Event-ID`), `/status` and `/:id` as the server
 * does. `down` refuses new requests and cuts open bodies, as a dead network does.
 */
export class FakeNetwork {
  readonly sessionId = "s1";
  readonly runId = "r1";
  private frames: Frame[] = [];
  private text = "";
  private running = false;
  private ended = false;
  private version = 1;
  private readonly open = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private readonly encoder = new TextEncoder();
  /** Every request, as `METHOD path`. */
  readonly requests: string[] = [];
  private isDown = false;
  /** The next this-many history requests answer 503. */
  failHistory = 0;
  /** Earlier turns of the session, stored before this one. */
  earlier: UIMessage[] = [];

  /** Starts the turn elsewhere (another tab sent the prompt). */
  startTurn(): void {
    this.running = true;
    this.version++;
    this.append({ type: "text-start", id: "t" });
  }

  /** Appends one delta to the running turn; open streams get it live. */
  delta(word: string): void {
    this.text += word;
    this.append({ type: "text-delta", id: "t", delta: word });
  }

  /** Ends the turn: `text-end`, then `finish` to every reader; history now holds the answer. */
  endTurn(): void {
    this.append({ type: "text-end", id: "t" });
    this.running = false;
    this.ended = true;
    this.version++;
    for (const controller of [...this.open]) this.close(controller, SSE_FINISH);
  }

  /** The network fails: new requests reject, open bodies error. */
  set down(value: boolean) {
    this.isDown = value;
    if (value) {
      for (const controller of [...this.open]) {
        this.open.delete(controller);
        controller.error(new TypeError("network error"));
      }
    }
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Stream requests made so far. */
  get streamRequests(): string[] {
    return this.requests.filter((request) => request.includes("/stream"));
  }

  /** The transcript the server stores once the turn ended. */
  history(): UIMessage[] {
    // The active run's rows are hidden until it ends (§3 History).
    const messages: UIMessage[] = [...this.earlier];
    if (this.ended) {
      messages.push({ id: "u1", role: "user", parts: [{ type: "text", text: "tell me" }] });
    }
    if (this.ended) {
      messages.push({
        id: bubbleId(this.sessionId, this.runId),
        role: "assistant",
        parts: [{ type: "text", text: this.text, state: "done" }],
      });
    }
    return messages;
  }

  /** The fetch a client uses. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input), "http://fake");
    const method = init?.method ?? "GET";
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    if (this.isDown) throw new TypeError("fetch failed");
    const path = url.pathname.replace(`/api/sessions/${this.sessionId}`, "");
    if (path === "/status") return this.status();
    if (path === "" && this.failHistory > 0) {
      this.failHistory--;
      return Response.json({ error: { code: "unavailable", message: "Try again." } }, { status: 503 });
    }
    if (path === "") return Response.json({ id: this.sessionId, messages: this.history() });
    if (path === "/stream") return this.stream(new Headers(init?.headers).get("last-event-id"), init?.signal);
    return Response.json({ error: { code: "not_found", message: "No such route." } }, { status: 404 });
  };

  private status(): Response {
    return Response.json({
      turn_status: this.running ? "running" : "idle",
      curr_run_id: this.running ? this.runId : null,
      prompt: this.running ? "tell me" : null,
      prompt_message_id: this.running ? "u1" : null,
      version: this.version,
    });
  }

  private stream(lastEventId: string | null, signal: AbortSignal | null | undefined): Response {
    const cursor = lastEventId ? parseEventId(lastEventId) : null;
    if (!this.running && !(this.ended && cursor)) return new Response(null, { status: 204 });
    const resume = cursor !== null && this.frames.some((frame) => frame.id === lastEventId);
    const after = resume ? this.frames.findIndex((frame) => frame.id === lastEventId) + 1 : 0;
    let head = resume
      ? ""
      : encodeSseChunk({ type: "start", messageId: bubbleId(this.sessionId, this.runId) });
    if (!resume) head += encodeSseEvent({ id: "0-0" });
    for (const frame of this.frames.slice(after)) head += encodeSseFrame(frame);
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controller.enqueue(this.encoder.encode(head));
        if (this.ended) {
          controller.enqueue(this.encoder.encode(SSE_FINISH));
          controller.close();
          return;
        }
        this.open.add(controller);
        signal?.addEventListener("abort", () => this.open.delete(controller), { once: true });
      },
      cancel: () => {},
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "x-chat-replay-mode": resume ? "resume" : "full",
        ...(cursor && !resume ? { "x-chat-replay-cursor": "stale" } : {}),
      },
    });
  }

  private append(chunk: UIMessageChunk): void {
    const frame: Frame = { id: `${this.frames.length + 1}-0:0`, chunk };
    this.frames.push(frame);
    const bytes = this.encoder.encode(encodeSseFrame(frame));
    for (const controller of this.open) controller.enqueue(bytes);
  }

  private close(controller: ReadableStreamDefaultController<Uint8Array>, text: string): void {
    this.open.delete(controller);
    controller.enqueue(this.encoder.encode(text));
    controller.close();
  }
}
