import {
  type BufferEntry,
  type Frame,
  formatEventId,
  parseEventId,
  readAttachHeaders,
  replayFrames,
  type StoredEntry,
} from "@chat-replay/protocol";
import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { createMockFetch } from "./mock-fetch";
import { MockReplayBackend, type MockTurnPlan } from "./mock-replay-backend";

/**
 * A turn whose frames include an unnumbered part opening inside an entry: the reasoning
 * delta on part 0 closes the open text part (`text-end`, k=0), opens reasoning without an
 * id, then sends its delta (k=1). A cursor at k=0 must still get that opening (§7).
 */
const TURN: readonly BufferEntry[] = [
  { type: "text-start", part: 0, text: "Looking" },
  { type: "text-delta", part: 0, text: " it up." },
  { type: "reasoning-delta", part: 0, text: "Which source?" },
  { type: "reasoning-end", part: 0 },
  { type: "tool-input-start", part: 1, toolCallId: "c1", toolName: "search" },
  { type: "tool-input-delta", part: 1, toolCallId: "c1", delta: '{"q":"x"}' },
  { type: "tool-output", toolCallId: "c1", output: { hits: 1 } },
  { type: "text-start", part: 2, text: "Found" },
  { type: "text-delta", part: 2, text: " one." },
  { type: "end", reason: "final", phase: 0 },
];

interface Event {
  readonly id: string | undefined;
  readonly data: string;
}

async function eventsOf(response: Response): Promise<Event[]> {
  const events: Event[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ id: event.id, data: event.data }) });
  parser.feed(await response.text());
  return events;
}

/** The events a reader should send after `cursor`: the protocol's own replay of the buffer. */
function expectedEvents(buffer: readonly StoredEntry[], cursor: string): Event[] {
  return [...replayFrames(buffer, { cursor: parseEventId(cursor) })].map((frame: Frame) => ({
    id: frame.id ?? undefined,
    data: JSON.stringify(frame.chunk),
  }));
}

/** Every cursor a client can hold for a buffer: `0-0`, each frame id, and each bare entry id. */
function cursorsOf(buffer: readonly StoredEntry[]): string[] {
  const ids = [...replayFrames(buffer)].flatMap((frame) => (frame.id === null ? [] : [frame.id]));
  const entries = buffer.map((stored) =>
    formatEventId({ entryId: stored.id, frame: Number.POSITIVE_INFINITY }),
  );
  return ["0-0", ...ids, ...entries];
}

function streamRequest(cursor: string): Request {
  return new Request("http://preview.local/api/sessions/s/stream", { headers: { "last-event-id": cursor } });
}

describe("the previews' mock backend sends the protocol's frames after the cursor", () => {
  it("§8.70 resuming an ended turn at every position sends exactly replayFrames(buffer, cursor)", async () => {
    // Preloading the whole turn ends it at once: the buffer is kept (§6 "ended, buffer kept").
    const plan: MockTurnPlan = { prompt: "p", entries: TURN, preloaded: TURN.length };
    const backend = new MockReplayBackend({ sessionId: "s", activeTurn: plan });
    const fetch = createMockFetch(backend.handlers);
    expect(backend.buffer).toHaveLength(TURN.length);
    for (const cursor of cursorsOf(backend.buffer)) {
      const response = await fetch(streamRequest(cursor));
      expect(readAttachHeaders(response.headers)).toEqual({ mode: "resume", cursor: "valid" });
      const events = await eventsOf(response);
      expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "start" });
      expect(events.slice(-2).map((event) => event.data)).toEqual(['{"type":"finish"}', "[DONE]"]);
      expect({ cursor, frames: events.slice(1, -2) }).toEqual({
        cursor,
        frames: expectedEvents(backend.buffer, cursor),
      });
    }
    backend.dispose();
  });

  it("§8.70 resuming a running turn at every position sends exactly replayFrames(buffer, cursor)", async () => {
    const content = TURN.length - 1;
    // Held before its end marker: running until the test cancels it, which ends every reader.
    const plan: MockTurnPlan = { prompt: "p", entries: TURN, preloaded: content, holdAt: content };
    const cursors = cursorsOf(new MockReplayBackend({ sessionId: "s", activeTurn: plan }).buffer);
    for (const cursor of cursors) {
      const backend = new MockReplayBackend({ sessionId: "s", activeTurn: plan });
      const fetch = createMockFetch(backend.handlers);
      const response = await fetch(streamRequest(cursor));
      expect(readAttachHeaders(response.headers)).toEqual({ mode: "resume", cursor: "valid" });
      const reading = eventsOf(response);
      await fetch(new Request("http://preview.local/api/sessions/s/cancel", { method: "POST" }));
      const events = await reading;
      expect({ cursor, frames: events.slice(1, -2) }).toEqual({
        cursor,
        frames: expectedEvents(backend.buffer, cursor),
      });
      backend.dispose();
    }
  });

  it("§6 answers a stale cursor with a full replay while running and finish-only once ended", async () => {
    const held: MockTurnPlan = { prompt: "p", entries: TURN, preloaded: 3, holdAt: 3 };
    const running = new MockReplayBackend({ sessionId: "s", activeTurn: held });
    const stale = await createMockFetch(running.handlers)(streamRequest("99999999999999-0:0"));
    expect(readAttachHeaders(stale.headers)).toEqual({ mode: "full", cursor: "stale" });
    await stale.body?.cancel();
    running.dispose();

    const ended = new MockReplayBackend({
      sessionId: "s",
      activeTurn: { prompt: "p", entries: TURN, preloaded: TURN.length },
    });
    const fetch = createMockFetch(ended.handlers);
    const finishOnly = await fetch(streamRequest("99999999999999-0:0"));
    expect(readAttachHeaders(finishOnly.headers)).toEqual({ mode: "finish-only", cursor: "stale" });
    expect(await finishOnly.text()).toBe('data: {"type":"finish"}\n\ndata: [DONE]\n\n');
    const noCursor = await fetch(new Request("http://preview.local/api/sessions/s/stream"));
    expect(noCursor.status).toBe(204);
    expect(readAttachHeaders(noCursor.headers)).toEqual({ mode: "no-content", cursor: "none" });
  });
});
