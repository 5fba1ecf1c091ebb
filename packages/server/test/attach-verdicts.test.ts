import {
  type AttachDecision,
  type BufferEntry,
  parseEventId,
  readAttachHeaders,
  replayFrames,
} from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { gatedModel, idsOf, readEvents, type SseEvent, startServer, type TestClient } from "./harness";

/** A memory store that remembers which buffers were written, so a test can read one back. */
class KeyRecordingStore extends MemoryStreamStore {
  readonly keys: string[] = [];
  override append(key: string, entry: BufferEntry): Promise<string> {
    if (!this.keys.includes(key)) this.keys.push(key);
    return super.append(key, entry);
  }
  override appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]> {
    if (!this.keys.includes(key)) this.keys.push(key);
    return super.appendMany(key, entries);
  }
}

type Verdict = Pick<AttachDecision, "mode" | "cursor">;

/** Opens `/stream` and returns the decision its headers state; the body is dropped. */
async function verdictOf(client: TestClient, sessionId: string, lastEventId?: string, runId?: string) {
  const query = runId === undefined ? "" : `?run_id=${encodeURIComponent(runId)}`;
  const headers: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId };
  const response = await client.request(`/api/sessions/${sessionId}/stream${query}`, { headers });
  await response.body?.cancel();
  const verdict = readAttachHeaders(response.headers);
  // A 204 is exactly the `no-content` answer.
  expect(response.status === 204).toBe(verdict.mode === "no-content");
  return verdict;
}

const FUTURE = "99999999999999-0:0";
const MALFORMED = "1-0:x";

describe("the /stream headers state the §6 decision", () => {
  it("§8.69 never ran: 204 no-content without a usable cursor, finish-only for a stale one", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    expect(await verdictOf(client, sessionId)).toEqual<Verdict>({ mode: "no-content", cursor: "none" });
    expect(await verdictOf(client, sessionId, MALFORMED)).toEqual<Verdict>({
      mode: "no-content",
      cursor: "ignored",
    });
    expect(await verdictOf(client, sessionId, "5-0:1")).toEqual<Verdict>({
      mode: "finish-only",
      cursor: "stale",
    });
  });

  it("§8.69 running: full replay without a valid cursor, resume with one", async () => {
    const gate = gatedModel();
    const { client } = await startServer({ model: gate.model });
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "held [[words=3]]");
    await post.body?.cancel();
    const { curr_run_id: runId } = await client.waitForStatus(sessionId, (s) => s.turn_status === "running");
    expect(await verdictOf(client, sessionId)).toEqual<Verdict>({ mode: "full", cursor: "none" });
    expect(await verdictOf(client, sessionId, MALFORMED)).toEqual<Verdict>({
      mode: "full",
      cursor: "ignored",
    });
    expect(await verdictOf(client, sessionId, FUTURE)).toEqual<Verdict>({ mode: "full", cursor: "stale" });
    // `0-0` is valid while the turn is active (§5 position event), unless it names another run.
    expect(await verdictOf(client, sessionId, "0-0")).toEqual<Verdict>({ mode: "resume", cursor: "valid" });
    expect(await verdictOf(client, sessionId, "0-0", runId ?? "")).toEqual<Verdict>({
      mode: "resume",
      cursor: "valid",
    });
    expect(await verdictOf(client, sessionId, "0-0", "another-run")).toEqual<Verdict>({
      mode: "full",
      cursor: "stale",
    });
    gate.open();
    await client.waitForStatus(sessionId, (s) => s.turn_status === "idle");
  });

  it("§8.69 ended: 204 no-content without a cursor, resume with a valid one, finish-only with a stale one", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "done [[words=4]]"));
    await client.waitForStatus(sessionId, (s) => s.turn_status === "idle");
    const ids = idsOf(events);
    expect(await verdictOf(client, sessionId)).toEqual<Verdict>({ mode: "no-content", cursor: "none" });
    expect(await verdictOf(client, sessionId, MALFORMED)).toEqual<Verdict>({
      mode: "no-content",
      cursor: "ignored",
    });
    expect(await verdictOf(client, sessionId, ids[1])).toEqual<Verdict>({ mode: "resume", cursor: "valid" });
    expect(await verdictOf(client, sessionId, FUTURE)).toEqual<Verdict>({
      mode: "finish-only",
      cursor: "stale",
    });
    expect(await verdictOf(client, sessionId, ids[1], "another-run")).toEqual<Verdict>({
      mode: "finish-only",
      cursor: "stale",
    });
  });
});

describe("finish-only answers say so", () => {
  it("§8.37 an identical continue after the continuation is labelled finish-only", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "deploy it [[approval]] [[words=4]]"));
    const request = events.map((event) => event.data).find((data) => data.includes("tool-approval-request"));
    const { approvalId } = JSON.parse(request!) as { approvalId: string };
    const body = JSON.stringify({ decisions: [{ approvalId, approved: true }] });
    const continued = await client.request(`/api/sessions/${sessionId}/continue`, { method: "POST", body });
    await readEvents(continued);
    const duplicate = await client.request(`/api/sessions/${sessionId}/continue`, { method: "POST", body });
    expect(readAttachHeaders(duplicate.headers).mode).toBe("finish-only");
    expect(await duplicate.text()).toBe('data: {"type":"finish"}\n\ndata: [DONE]\n\n');
  });
});

describe("the server's reader follows framesAfter", () => {
  it("§8.70 resuming at every position of a turn sends exactly replayFrames(buffer, cursor)", async () => {
    const streamStore = new KeyRecordingStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const prompt = "Frames [[words=12]] [[reasoning=4]] [[tool=search]] [[chunk=5]]";
    const { events } = await readEvents(await client.send(sessionId, prompt));
    await client.waitForStatus(sessionId, (s) => s.turn_status === "idle");
    const entries = await streamStore.range(streamStore.keys[0]!, "-", "+");
    const positions = idsOf(events).flatMap((id) => [id, parseEventId(id)!.entryId]);
    for (const position of new Set(positions)) {
      const response = await client.stream(sessionId, position);
      expect(response.headers.get("x-chat-replay-mode")).toBe("resume");
      const resumed = (await readEvents(response)).events;
      const expected = [...replayFrames(entries, { cursor: parseEventId(position) })].map(
        (frame): SseEvent => ({ id: frame.id ?? undefined, data: JSON.stringify(frame.chunk) }),
      );
      // start … frames … finish, [DONE]
      expect({ position, frames: resumed.slice(1, -2) }).toEqual({ position, frames: expected });
    }
  });
});
