// On Node (`serveNode`, `toNodeHandler`), an SSE reader writes its bytes to the response
// itself instead of through a web stream: the same bytes, backpressure through the socket's
// `drain`, and a client that goes away ends the reader.
import { connect, type Socket } from "node:net";
import { afterEach, expect, it, vi } from "vitest";
import * as frameStream from "../src/frame-stream/create-frame-stream";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { createScriptedModel } from "../src/scripted-model";
import { gatedModel, readText, startServer } from "./harness";

vi.mock("../src/frame-stream/create-frame-stream", { spy: true });

afterEach(() => {
  vi.mocked(frameStream.takeOverFrameStream).mockClear();
});

/** A raw HTTP/1.1 GET whose socket starts paused: nothing is read until `resume()`. */
function pausedReader(baseUrl: string, path: string, cookie: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nCookie: ${cookie}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
  });
}

it("a Node response carries a reader's bytes written by the reader, the same bytes the fetch handler answers", async () => {
  const gate = gatedModel();
  const { server, client } = await startServer({ model: gate.model });
  const sessionId = await client.createSession();
  const post = await client.send(sessionId, "replay me [[words=50]] [[reasoning=3]] [[tool=search]]");
  const takeovers = vi.mocked(frameStream.takeOverFrameStream);
  expect(takeovers).toHaveBeenCalledTimes(1); // the POST's own stream
  // Two observers of the held turn: over Node, and straight through fetch (a web stream).
  const overNode = await client.stream(sessionId);
  expect(takeovers).toHaveBeenCalledTimes(2);
  expect(takeovers.mock.results.map((result) => result.value === null)).toEqual([false, false]);
  const direct = await server.fetch(
    new Request(`http://local/api/sessions/${sessionId}/stream`, { headers: { cookie: client.cookie! } }),
  );
  gate.open();
  const [fromNode, fromFetch, fromPost] = await Promise.all([
    readText(overNode),
    direct.text(),
    readText(post),
  ]);
  expect(fromNode).toBe(fromFetch);
  expect(fromNode).toContain("data: [DONE]");
  expect(fromPost).toContain("data: [DONE]");
});

it("a client that stops reading a long live turn gets all of it, in order, once it reads again", async () => {
  const { client, baseUrl } = await startServer({
    streamStore: new MemoryStreamStore({ maxLength: 100_000 }),
    model: createScriptedModel({ defaults: { delayMs: 0 }, limits: { maxWords: 40_000 } }),
  });
  const sessionId = await client.createSession();
  const post = await client.send(sessionId, "long [[words=40000]] [[delay=0]] [[chunk=20]]");
  const paused = await pausedReader(baseUrl, `/api/sessions/${sessionId}/stream`, client.cookie!);
  const fromPost = await readText(post);
  // The turn is over; the paused socket holds far less than it. Now read it all.
  let received = "";
  const ended = new Promise<void>((resolve) => {
    paused.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("data: [DONE]")) resolve();
    });
  });
  paused.resume();
  await ended;
  paused.destroy();
  const deltas = (text: string) => [...text.matchAll(/"delta":"([^"]*)"/g)].map((match) => match[1]).join("");
  expect(deltas(received)).toBe(deltas(fromPost));
  expect(deltas(fromPost).length).toBeGreaterThan(100_000);
});

it("a client that goes away ends its reader: its stream slot is free again", async () => {
  const gate = gatedModel();
  const { client, baseUrl } = await startServer({ model: gate.model, limits: { maxStreamsPerSession: 2 } });
  const sessionId = await client.createSession();
  // A held turn: its POST stream takes one slot, each reader below the other.
  const post = client.send(sessionId, "held [[words=3]]");
  for (let round = 0; round < 3; round++) {
    await vi.waitFor(
      async () => {
        const socket = await pausedReader(baseUrl, `/api/sessions/${sessionId}/stream`, client.cookie!);
        socket.resume();
        const head = await new Promise<string>((resolve) =>
          socket.once("data", (chunk) => resolve(String(chunk))),
        );
        socket.destroy();
        // Refused while the previous reader still holds the slot; freed as the server sees its socket close.
        expect(head).toMatch(/^HTTP\/1\.1 200/);
      },
      { timeout: 5_000, interval: 20 },
    );
  }
  gate.open();
  expect(await readText(await post)).toContain("data: [DONE]");
});
