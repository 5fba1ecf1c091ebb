import { parseEventId } from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { MemoryStreamStore } from "../src/memory-stream-store";
import {
  assemble,
  chunksOf,
  gatedModel,
  InstrumentedStreamStore,
  idsOf,
  normalize,
  readEvents,
  type SseEvent,
  startServer,
} from "./harness";

const MIXED = "Tell me about replay [[words=24]] [[reasoning=6]] [[tool=search]] [[chunk=7]]";

async function finishedTurn(prompt = MIXED) {
  const server = await startServer();
  const sessionId = await server.client.createSession();
  const { events } = await readEvents(await server.client.send(sessionId, prompt));
  return { ...server, sessionId, events };
}

describe("attach and resume (§6)", () => {
  it("§8.22 §8.23 resuming at every frame of a turn with reasoning, text and a tool call gives exactly the uninterrupted stream", async () => {
    const { client, sessionId, events } = await finishedTurn();
    const full = events.filter((event) => event.id !== undefined);
    const uninterrupted = await assemble(chunksOf(events));
    expect(uninterrupted?.parts.map((part) => part.type)).toEqual([
      "reasoning",
      "tool-search",
      "reasoning",
      "text",
    ]);
    for (let position = 0; position < full.length; position++) {
      const response = await client.stream(sessionId, full[position]!.id);
      expect(response.headers.get("x-chat-replay-mode")).toBe("resume");
      const resumed = (await readEvents(response)).events;
      expect(JSON.parse(resumed[0]!.data)).toEqual(JSON.parse(events[0]!.data)); // same start
      const tail = resumed.filter((event) => event.id !== undefined);
      expect([...full.slice(0, position + 1), ...tail]).toEqual(full);
      // The client that applied the prefix and then the resumed tail holds the same message.
      const prefix = chunksOf([events[0]!, ...full.slice(0, position + 1)]);
      const rebuilt = await assemble([...prefix, ...chunksOf(resumed.slice(1))]);
      expect(normalize(rebuilt)).toEqual(normalize(uninterrupted));
    }
  });

  it("§8.24 a plain entry cursor E suppresses all of E's frames", async () => {
    // The error marker is one entry with four frames.
    const { client, sessionId, events } = await finishedTurn("fails [[words=10]] [[fail_after=3]]");
    const ids = idsOf(events);
    const multi = ids.find(
      (id, index) => parseEventId(ids[index + 1])?.entryId === parseEventId(id)!.entryId,
    )!;
    const entry = parseEventId(multi)!.entryId;
    const { events: resumed } = await readEvents(await client.stream(sessionId, entry));
    expect(idsOf(resumed).every((id) => parseEventId(id)!.entryId !== entry)).toBe(true);
    const after = ids.filter(
      (id) => parseEventId(id)!.entryId !== entry && ids.indexOf(id) > ids.indexOf(multi),
    );
    expect(idsOf(resumed)).toEqual(after);
  });

  it("§8.21 running, no cursor: an observer gets frames equal to the POST response's, then live", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "observe me [[words=60]] [[delay=3]] [[reasoning=5]]");
    const postReading = readEvents(post);
    await client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const observer = await client.stream(sessionId);
    expect(observer.headers.get("x-chat-replay-mode")).toBe("full");
    const [fromPost, fromObserver] = await Promise.all([postReading, readEvents(observer)]);
    expect(fromObserver.events).toEqual(fromPost.events);
  });

  it("§8.48 (server side) a client that drops mid-part while running resumes with its cursor and ends with the uninterrupted message", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "drop me [[words=80]] [[delay=2]] [[chunk=5]]");
    const before = await readEvents(post, { stopAfter: 12 });
    const cursor = idsOf(before.events).at(-1)!;
    const resumed = await readEvents(await client.stream(sessionId, cursor));
    const observer = await readEvents(await client.stream(sessionId, idsOf(before.events)[0]!));
    const full = [...before.events, ...resumed.events.slice(1)];
    expect(idsOf(full)).toEqual([idsOf(before.events)[0]!, ...idsOf(observer.events)]);
    expect(new Set(idsOf(full)).size).toBe(idsOf(full).length);
    const text = (await assemble(chunksOf(full)))?.parts.find((part) => part.type === "text");
    expect(text && "text" in text ? text.text.split(" ").length : 0).toBe(80);
  });

  it("§8.25 running with a stale cursor (future, other turn, trimmed) → full replay marked stale", async () => {
    const gate = gatedModel();
    const streamStore = new MemoryStreamStore({ maxLength: 20 });
    const { client } = await startServer({ model: gate.model, streamStore });
    const sessionId = await client.createSession();
    const first = await readEvents(
      await (async () => {
        gate.open();
        return client.send(sessionId, "first [[words=5]]");
      })(),
    );
    const otherTurnId = idsOf(first.events)[0]!;
    const post = await client.send(sessionId, "second [[words=200]] [[delay=2]]");
    const early = await readEvents(post, { stopAfter: 2 });
    const earlyCursor = idsOf(early.events)[0]!;
    // Wait until the buffer trimmed past the early cursor.
    for (;;) {
      const probe = await client.stream(sessionId, earlyCursor);
      await probe.body?.cancel();
      if (probe.headers.get("x-chat-replay-cursor") === "stale") break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const cursor of ["99999999999999-0:0", otherTurnId, earlyCursor]) {
      const response = await client.stream(sessionId, cursor);
      expect(response.headers.get("x-chat-replay-cursor")).toBe("stale");
      expect(response.headers.get("x-chat-replay-mode")).toBe("full");
      const { events } = await readEvents(response, { stopAfter: 1 });
      expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "start" });
    }
  });

  it("§8.26 waiting, no cursor → full replay that ends at the pause end with finish", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events: posted } = await readEvents(
      await client.send(sessionId, "needs approval [[approval]] [[words=5]]"),
    );
    expect((await client.status(sessionId)).turn_status).toBe("waiting_for_approval");
    const response = await client.stream(sessionId);
    expect(response.headers.get("x-chat-replay-mode")).toBe("full");
    const { events } = await readEvents(response);
    // The pause refreshed the snapshot: the replay is the snapshot (few frames) + the pause end.
    expect(await assemble(chunksOf(events))).toEqual(await assemble(chunksOf(posted)));
    expect(events.length).toBeLessThan(posted.length);
    expect(events[0]).toEqual(posted[0]); // the same start
    expect(events.filter((event) => event.id === undefined).length).toBeGreaterThan(2); // unnumbered snapshot frames
    expect(chunksOf(events).map((chunk) => chunk.type)).toContain("tool-approval-request");
    expect(events.at(-2)?.data).toBe('{"type":"finish"}');
  });

  it("§8.27 ended, valid cursor within the TTL → the remaining frames, start of that run, then finish", async () => {
    const { client, sessionId, events } = await finishedTurn();
    const ids = idsOf(events);
    const response = await client.stream(sessionId, ids[ids.length - 4]!);
    const { events: resumed } = await readEvents(response);
    expect(resumed[0]).toEqual(events[0]);
    expect(idsOf(resumed)).toEqual(ids.slice(-3));
    expect(resumed.slice(-2).map((event) => event.data)).toEqual(['{"type":"finish"}', "[DONE]"]);
  });

  it("§8.28 ended: no cursor → 204; stale cursor or no run → finish-only", async () => {
    const { client, sessionId } = await finishedTurn("short [[words=3]]");
    expect((await client.stream(sessionId)).status).toBe(204);
    const stale = await client.stream(sessionId, "99999999999999-0:0");
    expect(stale.headers.get("x-chat-replay-cursor")).toBe("stale");
    expect((await readEvents(stale)).events.map((event) => event.data)).toEqual([
      '{"type":"finish"}',
      "[DONE]",
    ]);
    const fresh = await client.createSession();
    expect((await client.stream(fresh)).status).toBe(204);
    expect((await readEvents(await client.stream(fresh, "5-0:1"))).events.map((event) => event.data)).toEqual(
      ['{"type":"finish"}', "[DONE]"],
    );
  });

  it("§8.19 a malformed Last-Event-ID is treated as absent and flagged, never a 5xx", async () => {
    const { client, sessionId } = await finishedTurn("short [[words=3]]");
    for (const value of ["", ":3", "E:", "1-0:-1", "1-0:x", "garbage", "9".repeat(200)]) {
      const response = await client.stream(sessionId, value);
      expect(response.status).toBe(204);
      expect(response.headers.get("x-chat-replay-cursor")).toBe("ignored");
    }
    const viaQuery = await client.request(
      `/api/sessions/${sessionId}/stream?last_event_id=${encodeURIComponent("1-0\u0000:1")}`,
    );
    expect(viaQuery.status).toBe(204);
    expect(viaQuery.headers.get("x-chat-replay-cursor")).toBe("ignored");
  });

  it("§8.29 (regression 8: never running forever) a runner whose lease expired while running → error and final end appended once; readers get the failure, error, finish; status failed", async () => {
    const gate = gatedModel();
    const sessionStore = new MemorySessionStore();
    // The runner's heartbeats never reach the store: the turn looks orphaned.
    sessionStore.renewLease = async () => true;
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({
      model: gate.model,
      sessionStore,
      streamStore,
      timing: { leaseMs: 100 },
    });
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "orphan [[words=5]]");
    const reading = readEvents(post);
    const status = await client.waitForStatus(sessionId, (s) => s.turn_status === "failed");
    expect(status.curr_run_id).toBeNull();
    const { events } = await reading;
    const types = chunksOf(events).map((chunk) => chunk.type);
    expect(types).toEqual(["start", "text-start", "text-delta", "text-end", "error", "finish"]);
    const appendsAfterFailure = streamStore.appends;
    await client.status(sessionId);
    await client.status(sessionId);
    expect(streamStore.appends).toBe(appendsAfterFailure);
    expect(appendsAfterFailure).toBe(2);
  });

  it("§8.30 a client that disconnects stops its reader promptly; the turn continues", async () => {
    const { client } = await startServer({ limits: { maxStreamsPerSession: 2 } });
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "keep going [[words=100]] [[delay=3]]");
    const postReading = readEvents(post);
    const abort = new AbortController();
    const observer = await client.stream(sessionId, undefined, { signal: abort.signal });
    await readEvents(observer, { stopAfter: 2, abort });
    // The observer's slot frees once its reader stops: a new stream is accepted.
    for (;;) {
      const probe = await client.stream(sessionId);
      await probe.body?.cancel();
      if (probe.status === 200) break;
      expect(probe.status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { events } = await postReading;
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect((await client.waitForStatus(sessionId, (s) => s.turn_status === "idle")).turn_status).toBe("idle");
  });

  it("§8.31 transient buffer read failures are retried without error frames", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const { events: original } = await readEvents(await client.send(sessionId, "flaky [[words=20]]"));
    streamStore.failReads = 3;
    const response = await client.stream(sessionId, idsOf(original)[0]!);
    const { events } = await readEvents(response);
    expect(chunksOf(events).some((chunk) => chunk.type === "error")).toBe(false);
    expect(idsOf(events)).toEqual(idsOf(original).slice(1));
  });

  it("§8.31 a reader that gives up aborts the connection without finish", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const { events: original } = await readEvents(await client.send(sessionId, "broken [[words=20]]"));
    streamStore.failReads = 1_000;
    const response = await client.stream(sessionId, idsOf(original)[0]!);
    const received: SseEvent[] = [];
    await expect(readEvents(response, { onEvent: (event) => received.push(event) })).rejects.toThrow();
    expect(received.some((event) => event.data.includes("finish"))).toBe(false);
  });

  it("§8.32 frames of a new turn never appear on a reader of the previous turn's buffer", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const first = await readEvents(await client.send(sessionId, "turn one [[words=5]]"));
    const firstIds = new Set(idsOf(first.events));
    const lastOfFirst = idsOf(first.events).at(-1)!;
    const second = await readEvents(await client.send(sessionId, "turn two [[words=5]]"));
    expect(idsOf(second.events).some((id) => firstIds.has(id))).toBe(false);
    // A cursor from turn one is stale for turn two's buffer: no turn-two frames under it.
    const { events } = await readEvents(await client.stream(sessionId, lastOfFirst));
    expect(events.map((event) => event.data)).toEqual(['{"type":"finish"}', "[DONE]"]);
  });
});

describe("resume on long turns (checkpoints)", () => {
  it("§8.22 resuming a 2,000-entry turn at positions across checkpoint boundaries gives exactly the tail", async () => {
    const { client, sessionId, events } = await finishedTurn("long [[words=2000]] [[delay=0]]");
    const full = events.filter((event) => event.id !== undefined);
    expect(full.length).toBeGreaterThan(2000);
    for (const position of [0, 1, 511, 512, 513, 1023, 1500, full.length - 2]) {
      // Twice: the first resume may fold from the start, the second from a checkpoint.
      for (let round = 0; round < 2; round++) {
        const { events: resumed } = await readEvents(await client.stream(sessionId, full[position]!.id));
        expect(resumed.filter((event) => event.id !== undefined)).toEqual(full.slice(position + 1));
      }
    }
  });
});

describe("positions before the first frame", () => {
  it("a new turn's response carries `id: 0-0` after start; resuming there (with run_id) replays the whole turn even after it ended", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const text = await (await client.send(sessionId, "position [[words=6]]")).text();
    const [startLine, positionLine] = text.split("\n\n");
    expect(startLine).toMatch(/^data: \{"type":"start"/);
    expect(positionLine).toBe("id: 0-0");
    const startChunk = JSON.parse(startLine!.slice("data: ".length)) as { messageId: string };
    const runId = startChunk.messageId.split(":")[1]!;
    const response = await client.request(`/api/sessions/${sessionId}/stream?run_id=${runId}`, {
      headers: { "last-event-id": "0-0" },
    });
    expect(response.headers.get("x-chat-replay-mode")).toBe("resume");
    const { events } = await readEvents(response);
    expect(chunksOf(events).map((chunk) => chunk.type)).toContain("text-delta");
    expect(events.at(-1)?.data).toBe("[DONE]");
  });

  it("a cursor sent with another run's id is stale, never resumed into this turn", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "runs [[words=6]]"));
    const response = await client.request(`/api/sessions/${sessionId}/stream?run_id=someone-else`, {
      headers: { "last-event-id": idsOf(events)[0]! },
    });
    expect(response.headers.get("x-chat-replay-cursor")).toBe("stale");
    expect((await readEvents(response)).events.map((event) => event.data)).toEqual([
      '{"type":"finish"}',
      "[DONE]",
    ]);
  });
});

describe("regressions reported against other stacks (server side)", () => {
  it.each([
    ["text", "kind text [[words=30]] [[chunk=4]]"],
    ["reasoning and tool", "kind tool [[reasoning=10]] [[tool=search]] [[words=15]]"],
    ["tool error", "kind tool error [[tool=fail]] [[words=8]]"],
    ["failed model", "kind fail [[words=40]] [[fail_after=6]]"],
  ])(
    "5. a recorded %s turn: the first k frames + resume(k) equal the full turn, for every k",
    async (_kind, prompt) => {
      const { client, sessionId, events } = await finishedTurn(prompt);
      const full = events.filter((event) => event.id !== undefined);
      for (let k = 0; k < full.length; k++) {
        const { events: resumed } = await readEvents(await client.stream(sessionId, full[k]!.id));
        expect([...full.slice(0, k + 1), ...resumed.filter((event) => event.id !== undefined)]).toEqual(full);
      }
    },
  );

  it("5. a recorded two-phase approval turn: the first k frames + resume(k) equal the full turn, for every k", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const phase0 = (await readEvents(await client.send(sessionId, "kind approval [[approval]] [[words=10]]")))
      .events;
    const request = chunksOf(phase0).find((chunk) => chunk.type === "tool-approval-request");
    const approvalId = request && "approvalId" in request ? request.approvalId : "";
    const phase1 = (
      await readEvents(
        await client.request(`/api/sessions/${sessionId}/continue`, {
          method: "POST",
          body: JSON.stringify({ decisions: [{ approvalId, approved: true }] }),
        }),
      )
    ).events;
    const full = [...phase0, ...phase1].filter((event) => event.id !== undefined);
    for (let k = 0; k < full.length; k++) {
      const { events: resumed } = await readEvents(await client.stream(sessionId, full[k]!.id));
      expect([...full.slice(0, k + 1), ...resumed.filter((event) => event.id !== undefined)]).toEqual(full);
    }
  });
});
