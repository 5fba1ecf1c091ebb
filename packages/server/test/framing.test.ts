import { parseEventId } from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { createScriptedModel } from "../src/scripted-model";
import {
  assemble,
  chunksOf,
  gatedModel,
  InstrumentedStreamStore,
  idsOf,
  readEvents,
  readText,
  startServer,
  TEST_SECRET,
} from "./harness";

describe("SSE framing over HTTP", () => {
  it("§8.8 the POST response starts with start {messageId: <s>:<r>} without an id, with the protocol headers", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "hi [[words=3]]");
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(response.headers.get("cache-control")).toBe("private, no-store, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const { events } = await readEvents(response);
    const [history] = [await client.history(sessionId)];
    const bubble = history.find((message) => message.role === "assistant")!;
    expect(events[0]).toEqual({
      id: undefined,
      data: JSON.stringify({ type: "start", messageId: bubble.id }),
    });
    expect(bubble.id).toMatch(new RegExp(`^${sessionId}:[0-9a-f-]{36}$`));
  });

  it("§8.9 ids are <entry>:<k>, strictly increasing, restarting at 0 per entry", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events } = await readEvents(
      await client.send(sessionId, "ids [[words=12]] [[reasoning=4]] [[tool=search]]"),
    );
    const cursors = idsOf(events).map((id) => parseEventId(id)!);
    for (let index = 1; index < cursors.length; index++) {
      const previous = cursors[index - 1]!;
      const current = cursors[index]!;
      if (previous.entryId === current.entryId) expect(current.frame).toBe(previous.frame + 1);
      else expect(current.frame).toBe(0);
    }
    expect(new Set(idsOf(events)).size).toBe(cursors.length);
  });

  it("§8.10 §8.20 an idle running turn gets keepalives without ids, then its first entry's frames", async () => {
    const gate = gatedModel();
    const { client } = await startServer({ model: gate.model, timing: { keepaliveMs: 30 } });
    const sessionId = await client.createSession();
    const post = client.send(sessionId, "slow start [[words=3]]");
    await client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const order: string[] = [];
    let keepalives = 0;
    const observer = await client.stream(sessionId);
    expect(observer.status).toBe(200);
    const reading = readEvents(observer, {
      onEvent: (event) => order.push(event.id ? "frame" : "plain"),
      onComment: (comment) => {
        order.push(comment.trim());
        if (comment.trim() === "keepalive" && ++keepalives === 2) gate.open();
      },
    });
    const { events } = await reading;
    expect(order.slice(0, 3)).toEqual(["plain", "keepalive", "keepalive"]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "start" });
    expect(events.filter((event) => event.data.includes("keepalive"))).toEqual([]);
    expect(idsOf(events).length).toBeGreaterThan(3);
    await readEvents(await post);
  });

  it("§8.11 a cancel mid-text closes the open part with the end entry's ids, then finish and [DONE], nothing after", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "long [[words=400]] [[delay=5]]");
    const seen: string[] = [];
    const reading = readEvents(response, { onEvent: (event) => event.id && seen.push(event.id) });
    while (seen.length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(
      (await client.request(`/api/sessions/${sessionId}/cancel`, { method: "POST", body: "{}" })).status,
    ).toBe(200);
    const { events } = await reading;
    const tail = events.slice(-4);
    expect(JSON.parse(tail[0]!.data)).toMatchObject({ type: "data-interrupt" });
    expect(JSON.parse(tail[1]!.data)).toMatchObject({ type: "text-end" });
    const interruptEntry = parseEventId(tail[0]!.id)!.entryId;
    const endEntry = parseEventId(tail[1]!.id)!;
    expect(endEntry.entryId).not.toBe(interruptEntry);
    expect(endEntry.frame).toBe(0);
    expect(tail[2]).toEqual({ id: undefined, data: '{"type":"finish"}' });
    expect(tail[3]).toEqual({ id: undefined, data: "[DONE]" });
  });

  it("§8.12 two readers, and a reader on a restarted server over the same stores, get byte-identical frames", async () => {
    const streamStore = new InstrumentedStreamStore();
    const sessionStore = new MemorySessionStore();
    const first = await startServer({ streamStore, sessionStore });
    const sessionId = await first.client.createSession();
    const { events } = await readEvents(
      await first.client.send(sessionId, "same bytes [[words=20]] [[tool=search]]"),
    );
    const cursor = idsOf(events)[0]!;
    const a = await readText(await first.client.stream(sessionId, cursor));
    const b = await readText(await first.client.stream(sessionId, cursor));
    expect(a).toBe(b);
    // A new server instance (a restart) over the same stores.
    const { createReplayServer } = await import("../src/replay-server");
    const restarted = createReplayServer({
      streamStore,
      sessionStore,
      model: createScriptedModel(),
      secret: TEST_SECRET,
    });
    const request = new Request(`${first.baseUrl}/api/sessions/${sessionId}/stream`, {
      headers: { cookie: first.client.cookie!, "last-event-id": cursor },
    });
    expect(await (await restarted.fetch(request)).text()).toBe(a);
  });

  it("§8.17 a failing model gives a text part with the failure and an error chunk, all with ids, then finish", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "fail [[words=30]] [[fail_after=4]]"));
    const errorIndex = events.findIndex(
      (event) => JSON.parse(event.data === "[DONE]" ? "{}" : event.data).type === "error",
    );
    expect(errorIndex).toBeGreaterThan(0);
    const markerFrames = events.slice(errorIndex - 3, errorIndex + 1);
    expect(markerFrames.map((event) => JSON.parse(event.data).type)).toEqual([
      "text-start",
      "text-delta",
      "text-end",
      "error",
    ]);
    expect(markerFrames.every((event) => event.id !== undefined)).toBe(true);
    expect(events.at(-2)?.data).toBe('{"type":"finish"}');
    expect((await client.status(sessionId)).turn_status).toBe("failed");
  });

  it("§8.18 a finish-only stream carries no start, so the client's message list is unchanged", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    await readEvents(await client.send(sessionId, "short [[words=2]]"));
    const response = await client.stream(sessionId, "1-0:0");
    const { events } = await readEvents(response);
    expect(events).toEqual([
      { id: undefined, data: '{"type":"finish"}' },
      { id: undefined, data: "[DONE]" },
    ]);
    expect(await assemble(chunksOf(events))).toBeUndefined();
  });

  it("§8.5 a reader that consumes a whole turn performs zero writes", async () => {
    const streamStore = new InstrumentedStreamStore();
    const { client } = await startServer({ streamStore });
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "count writes [[words=10]]"));
    const before = { appends: streamStore.appends, expires: streamStore.expires };
    await readText(await client.stream(sessionId, idsOf(events)[0]!));
    await readText(await client.stream(sessionId, idsOf(events)[2]!));
    expect({ appends: streamStore.appends, expires: streamStore.expires }).toEqual(before);
  });
});
