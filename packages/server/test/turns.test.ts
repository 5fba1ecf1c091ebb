import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import {
  assemble,
  chunksOf,
  gatedModel,
  InstrumentedStreamStore,
  idsOf,
  readEvents,
  startServer,
  type TestClient,
  userMessage,
} from "./harness";

function post(client: TestClient, sessionId: string, route: "continue" | "cancel", body: unknown) {
  return client.request(`/api/sessions/${sessionId}/${route}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
}

async function pendingApproval(
  client: TestClient,
  sessionId: string,
  prompt = "deploy it [[approval]] [[words=6]]",
) {
  const { events } = await readEvents(await client.send(sessionId, prompt));
  const request = chunksOf(events).find((chunk) => chunk.type === "tool-approval-request");
  if (request?.type !== "tool-approval-request") throw new Error("no approval request");
  return { events, approvalId: request.approvalId };
}

describe("turn lifecycle over HTTP (§2, §3)", () => {
  it("§8.33 a turn finalized before its POST response is read still starts with the minted run id", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "fast [[words=3]]");
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const { events } = await readEvents(response);
    const assistant = (await client.history(sessionId)).find((message) => message.role === "assistant")!;
    expect(JSON.parse(events[0]!.data)).toEqual({ type: "start", messageId: assistant.id });
  });

  it("§8.34 a validation failure creates no buffer and starts no runner", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const before = await client.status(sessionId);
    for (const body of [
      "{",
      "{}",
      JSON.stringify({ message: { id: "m", role: "user", parts: [{ type: "text", text: "  " }] } }),
    ]) {
      const response = await client.request(`/api/sessions/${sessionId}/messages`, { method: "POST", body });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    }
    expect(streamStore.appends).toBe(0);
    expect(await client.status(sessionId)).toEqual(before);
  });

  it("§8.35 a runner that fails to start → error + final end in the fresh buffer, pointers cleared, 500", async () => {
    const streamStore = new InstrumentedStreamStore();
    const sessionStore = new MemorySessionStore();
    const upsertHistory = sessionStore.upsertHistory.bind(sessionStore);
    sessionStore.upsertHistory = async () => {
      throw new Error("history unavailable");
    };
    const { client } = await startServer({ streamStore, sessionStore });
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "start fails");
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("runner_start_failed");
    const session = (await sessionStore.getSession(sessionId))!;
    expect(session.currRunId).toBeNull();
    expect(session.turnStatus).toBe("failed");
    const entries = await streamStore.range(`chat-replay:{${sessionId}}:${session.lastStreamId}`, "-", "+");
    expect(entries.map((stored) => stored.entry.type)).toEqual(["error", "end"]);
    // A reader of that buffer terminates: resume from its first entry ends with finish.
    const { events } = await readEvents(await client.stream(sessionId, `${entries[0]!.id}:0`));
    expect(events.slice(-2).map((event) => event.data)).toEqual(['{"type":"finish"}', "[DONE]"]);
    sessionStore.upsertHistory = upsertHistory;
    expect((await client.send(sessionId, "works again [[words=2]]")).status).toBe(200);
  });

  it("§8.36 a second prompt while running → 409 turn_active, while waiting → 409 awaiting_approval; nothing appended", async () => {
    const gate = gatedModel();
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ model: gate.model, streamStore });
    const sessionId = await client.createSession();
    const first = await client.send(sessionId, "first [[words=3]]");
    const refused = await client.send(sessionId, "second");
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("turn_active");
    expect(streamStore.appends).toBe(0);
    gate.open();
    await readEvents(first);
    await pendingApproval(client, sessionId);
    const appends = streamStore.appends;
    const waiting = await client.send(sessionId, "third");
    expect(waiting.status).toBe(409);
    expect(((await waiting.json()) as { error: { code: string } }).error.code).toBe("awaiting_approval");
    expect(streamStore.appends).toBe(appends);
  });

  it("§8.37 continue: no run → 404, not waiting → 409, identical duplicate → finish-only with the runner called once", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const noRun = await post(client, sessionId, "continue", {
      decisions: [{ approvalId: "x", approved: true }],
    });
    expect(noRun.status).toBe(404);
    expect(((await noRun.json()) as { error: { code: string } }).error.code).toBe("no_active_run");
    const { approvalId } = await pendingApproval(client, sessionId);
    const decisions = { decisions: [{ approvalId, approved: true }] };
    const continued = await readEvents(await post(client, sessionId, "continue", decisions));
    expect(chunksOf(continued.events)[0]).toMatchObject({ type: "start" });
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const appends = streamStore.appends;
    const duplicate = await post(client, sessionId, "continue", decisions);
    expect(duplicate.status).toBe(200);
    expect((await readEvents(duplicate)).events.map((event) => event.data)).toEqual([
      '{"type":"finish"}',
      "[DONE]",
    ]);
    expect(streamStore.appends).toBe(appends);
    const assistant = (await client.history(sessionId)).filter((message) => message.role === "assistant");
    expect(assistant).toHaveLength(1);
    const outputs = assistant[0]!.parts.filter(
      (part) => "state" in part && part.state === "output-available",
    );
    expect(outputs).toHaveLength(1);
    // A different submission once the turn is over finds no run.
    const other = await post(client, sessionId, "continue", {
      decisions: [{ approvalId: "other", approved: true }],
    });
    expect(other.status).toBe(404);
  });

  it("§8.37 an identical continue while the continuation runs → finish-only; a different one → 409", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const { approvalId } = await pendingApproval(
      client,
      sessionId,
      "deploy [[approval]] [[words=300]] [[delay=3]]",
    );
    const decisions = { decisions: [{ approvalId, approved: true }] };
    const first = readEvents(await post(client, sessionId, "continue", decisions));
    const duplicate = await post(client, sessionId, "continue", decisions);
    expect((await readEvents(duplicate)).events.map((event) => event.data)).toEqual([
      '{"type":"finish"}',
      "[DONE]",
    ]);
    const other = await post(client, sessionId, "continue", {
      decisions: [{ approvalId: "zzz", approved: false }],
    });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("not_waiting");
    await post(client, sessionId, "cancel", {});
    const types = chunksOf((await first).events).map((chunk) => chunk.type);
    expect(types.filter((type) => type === "tool-output-available")).toHaveLength(1);
  });

  it("§8.37 continue while running → 409 not_waiting", async () => {
    const gate = gatedModel();
    const { client } = await startServer({ model: gate.model });
    const sessionId = await client.createSession();
    const running = await client.send(sessionId, "busy [[words=3]]");
    const response = await post(client, sessionId, "continue", {
      decisions: [{ approvalId: "x", approved: true }],
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_waiting");
    gate.open();
    await readEvents(running);
  });

  it("§8.38 entries the runner writes before the continue response starts are delivered; the approval request is not resent", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { approvalId } = await pendingApproval(client, sessionId);
    const response = await post(client, sessionId, "continue", {
      decisions: [{ approvalId, approved: true }],
    });
    // The continuation (tool result + answer) runs to the end before we read a byte.
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const types = chunksOf((await readEvents(response)).events).map((chunk) => chunk.type);
    expect(types[0]).toBe("start");
    expect(types).toContain("tool-output-available");
    expect(types).toContain("text-delta");
    expect(types).not.toContain("tool-approval-request");
    expect(types.at(-1)).toBe("finish");
  });

  it("§8.39 §8.52 a full replay during phase 1 folds the pause without stopping: one bubble with every phase", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events: phase0, approvalId } = await pendingApproval(
      client,
      sessionId,
      "deploy [[approval]] [[words=80]] [[delay=3]]",
    );
    const continued = await post(client, sessionId, "continue", {
      decisions: [{ approvalId, approved: true }],
    });
    const phase1 = readEvents(continued);
    await client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const replay = await readEvents(await client.stream(sessionId));
    const live = await assemble([...chunksOf(phase0), ...chunksOf((await phase1).events)]);
    const replayed = await assemble(chunksOf(replay.events));
    expect(replayed?.id).toBe(live?.id);
    expect(JSON.parse(JSON.stringify(replayed))).toEqual(JSON.parse(JSON.stringify(live)));
    expect(replayed?.parts.some((part) => part.type === "text")).toBe(true);
    const ids = idsOf(replay.events);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("approval denied: the continuation reports the denial and the turn ends idle", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { approvalId } = await pendingApproval(client, sessionId);
    const response = await post(client, sessionId, "continue", {
      decisions: [{ approvalId, approved: false, reason: "not today" }],
    });
    const chunks = chunksOf((await readEvents(response)).events);
    expect(chunks.map((chunk) => chunk.type)).toContain("tool-output-denied");
    const text = chunks.flatMap((chunk) => (chunk.type === "text-delta" ? [chunk.delta] : [])).join("");
    expect(text).toMatch(/denied/);
    expect((await client.status(sessionId)).turn_status).toBe("idle");
  });

  it("§8.40 cancel while running: 200 {run_id, turn_status}; the stream ends with data-interrupt, closing frames and finish; partial answer kept", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "cancel me [[words=500]] [[delay=3]]");
    let frames = 0;
    const reading = readEvents(response, { onEvent: () => frames++ });
    const { curr_run_id: runId } = await client.waitForStatus(
      sessionId,
      (status) => status.turn_status === "running",
    );
    while (frames < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelled = await post(client, sessionId, "cancel", { reason: "user_cancel" });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toEqual({
      session_id: sessionId,
      run_id: runId,
      reason: "user_cancel",
      turn_status: "stopped",
    });
    const types = chunksOf((await reading).events).map((chunk) => chunk.type);
    expect(types.slice(-3)).toEqual(["data-interrupt", "text-end", "finish"]);
    const assistant = (await client.history(sessionId)).find((message) => message.role === "assistant");
    expect(assistant?.parts.some((part) => part.type === "data-interrupt")).toBe(true);
    expect(assistant?.parts.some((part) => part.type === "text" && part.text.length > 0)).toBe(true);
  });

  it("§8.40 cancel while waiting ends the paused turn; idle → 409 no_active_turn with the status", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    await pendingApproval(client, sessionId);
    const cancelled = await post(client, sessionId, "cancel", {});
    expect(((await cancelled.json()) as { turn_status: string }).turn_status).toBe("stopped");
    const again = await post(client, sessionId, "cancel", {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "no_active_turn" }, status: "stopped" });
  });

  it("§8.41 a stale finalize of run A after run B started leaves B's pointers intact", async () => {
    const store = new MemorySessionStore();
    await store.createSession({ id: "s", ownerId: "o", title: "t" });
    const turn = (runId: string) => ({
      runId,
      streamId: `stream-${runId}`,
      prompt: "p",
      promptMessageId: "m",
      leaseMs: 1000,
    });
    expect((await store.beginTurn("s", turn("A"))).ok).toBe(true);
    expect(await store.finalizeTurn("s", "A", "idle")).toBe(true);
    expect((await store.beginTurn("s", turn("B"))).ok).toBe(true);
    expect(await store.finalizeTurn("s", "A", "failed")).toBe(false);
    expect(await store.abandonTurn("s", "stream-A")).toBe(false);
    expect(await store.renewLease("s", "A", 1000)).toBe(false);
    expect(await store.getSession("s")).toMatchObject({
      currRunId: "B",
      streamId: "stream-B",
      turnStatus: "running",
    });
  });

  it("§8.42 history hides every row of the active run (prompt, assistant, reconciled tool results) and reveals them at once with live ids", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    await readEvents(await client.send(sessionId, "earlier turn [[words=3]]"));
    const earlier = await client.history(sessionId);
    expect(earlier).toHaveLength(2);
    const prompt = userMessage("deploy now [[approval]] [[words=4]]");
    const posted = await readEvents(
      await client.request(`/api/sessions/${sessionId}/messages`, {
        method: "POST",
        body: JSON.stringify({ message: prompt }),
      }),
    );
    expect(await client.history(sessionId)).toEqual(earlier);
    const request = chunksOf(posted.events).find((chunk) => chunk.type === "tool-approval-request");
    const approvalId = request && "approvalId" in request ? request.approvalId : "";
    await readEvents(
      await post(client, sessionId, "continue", { decisions: [{ approvalId, approved: true }] }),
    );
    const status = await client.waitForStatus(sessionId, (s) => s.turn_status === "idle");
    expect(status.curr_run_id).toBeNull();
    const after = await client.history(sessionId);
    expect(after.slice(0, 2)).toEqual(earlier);
    expect(after.map((message: UIMessage) => message.id).slice(2)).toEqual([
      prompt.id,
      JSON.parse(posted.events[0]!.data).messageId,
    ]);
  });

  it("§8.43 status: prompt and prompt_message_id while active, nulls when idle, ETag → 304, version grows on every transition", async () => {
    const gate = gatedModel();
    const { client } = await startServer({ model: gate.model });
    const sessionId = await client.createSession();
    const idle = await client.request(`/api/sessions/${sessionId}/status`);
    const etag = idle.headers.get("etag")!;
    expect(await idle.json()).toEqual({
      turn_status: "idle",
      curr_run_id: null,
      prompt: null,
      prompt_message_id: null,
      version: 0,
    });
    const notModified = await client.request(`/api/sessions/${sessionId}/status`, {
      headers: { "if-none-match": etag },
    });
    expect(notModified.status).toBe(304);
    const prompt = userMessage("status please [[approval]] [[words=3]]");
    const response = await client.request(`/api/sessions/${sessionId}/messages`, {
      method: "POST",
      body: JSON.stringify({ message: prompt }),
    });
    const running = await client.status(sessionId);
    expect(running).toMatchObject({
      turn_status: "running",
      prompt: prompt.parts[0] && "text" in prompt.parts[0] ? prompt.parts[0].text : "",
      prompt_message_id: prompt.id,
      version: 1,
    });
    const changed = await client.request(`/api/sessions/${sessionId}/status`, {
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    gate.open();
    await readEvents(response);
    const waiting = await client.status(sessionId);
    expect(waiting).toMatchObject({
      turn_status: "waiting_for_approval",
      prompt_message_id: prompt.id,
      version: 2,
    });
    await post(client, sessionId, "cancel", {});
    expect(await client.status(sessionId)).toEqual({
      turn_status: "stopped",
      curr_run_id: null,
      prompt: null,
      prompt_message_id: null,
      version: 3,
    });
  });

  it("§8.53 a turn that starts and ends between two polls still changes version", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const before = await client.status(sessionId);
    await readEvents(await client.send(sessionId, "blink [[words=1]]"));
    const after = await client.status(sessionId);
    expect(after.turn_status).toBe(before.turn_status);
    expect(after.version).toBeGreaterThan(before.version);
  });
});
