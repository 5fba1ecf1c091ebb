import type { Socket } from "node:net";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { createScriptedModel } from "../src/scripted-model";
import { chunksOf, gatedModel, readEvents, startServer } from "./harness";

/** Opens a raw HTTP/1.1 GET that never reads its response: a reader at 0 bytes per second. */
function stalledReader(baseUrl: string, path: string, cookie: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nCookie: ${cookie}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.setNoDelay(true);
  });
}

describe("load and slow readers", () => {
  it("a reader that never reads holds a bounded buffer on the server and does not delay other observers", async () => {
    const server = await startServer({
      streamStore: new MemoryStreamStore({ maxLength: 100_000 }),
      // A big turn on purpose: the scripted model's word bound is raised explicitly.
      model: createScriptedModel({ defaults: { delayMs: 0 }, limits: { maxWords: 150_000 } }),
    });
    const serverSockets: Socket[] = [];
    server.http.on("connection", (socket: Socket) => serverSockets.push(socket));
    const { client } = server;
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "big [[words=150000]] [[delay=0]] [[chunk=40]]");
    const slow = await stalledReader(server.baseUrl, `/api/sessions/${sessionId}/stream`, client.cookie!);
    const observer = await client.stream(sessionId);
    const [fromPost, fromObserver] = await Promise.all([readEvents(post), readEvents(observer)]);
    expect(fromObserver.events).toEqual(fromPost.events);
    const bytes = fromPost.events.reduce((sum, event) => sum + event.data.length, 0);
    expect(bytes).toBeGreaterThan(2_000_000);
    // The paused reader's socket holds at most a little more than one batch in userland.
    const buffered = Math.max(...serverSockets.map((socket) => socket.writableLength));
    expect(buffered).toBeLessThan(512 * 1024);
    slow.destroy();
  }, 60_000); // 150,000 words: seconds on an idle machine, more on a loaded CI box

  it("1,000 concurrent observers of one turn all receive it; the server keeps answering", async () => {
    const gate = gatedModel();
    const server = await startServer({
      model: gate.model,
      limits: { maxStreamsPerSession: 2000, maxStreamsPerOwner: 2000 },
    });
    const { client } = server;
    const sessionId = await client.createSession();
    const post = await client.send(sessionId, "crowd [[words=60]] [[delay=2]]");
    const postReading = readEvents(post);
    const observers = await Promise.all(Array.from({ length: 1000 }, () => client.stream(sessionId)));
    gate.open();
    expect(observers.filter((response) => response.status !== 200)).toEqual([]);
    const status = await client.status(sessionId);
    expect(["running", "idle"]).toContain(status.turn_status);
    const [fromPost, ...seen] = await Promise.all([
      postReading,
      ...observers.map((response) => readEvents(response)),
    ]);
    const expected = JSON.stringify(chunksOf(fromPost.events));
    expect(seen.every((result) => JSON.stringify(chunksOf(result.events)) === expected)).toBe(true);
  }, 60_000);

  it("1,000 idle sessions with polling clients all get answers", async () => {
    const { client } = await startServer();
    const first = await client.createSession(); // mints the owner cookie once
    const sessions = [
      first,
      ...(await Promise.all(Array.from({ length: 999 }, () => client.createSession()))),
    ];
    for (let round = 0; round < 2; round++) {
      const statuses = await Promise.all(sessions.map((id) => client.status(id)));
      expect(statuses.every((status) => status.turn_status === "idle")).toBe(true);
    }
  }, 60_000);
});
