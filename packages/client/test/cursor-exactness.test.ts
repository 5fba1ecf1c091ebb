import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { UIMessageChunk } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { StaleCursorError } from "../src/replay-errors";
import { createReplayTransport } from "../src/replay-transport";
import { lastEventIdRequest, MAX_SENT_CURSOR_BYTES } from "../src/send-cursor";

/**
 * §8.72 Spec-exact cursor: the id of every dispatched event is committed when the AI SDK
 * reaches it (whatever its data: `start`, `[DONE]`, non-JSON, id-only), ids travel back
 * byte-exact as UTF-8 (split across reads anywhere, even inside a code point), and no id
 * makes a reconnect fail. A real node:http server on loopback records what arrives.
 */

interface Seen {
  readonly lastEventIdBytes: Buffer | null;
  readonly query: URLSearchParams;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * Serves `bodies[i]` to the i-th stream request, written one byte per write (so every
 * split, inside a UTF-8 sequence too, reaches the client), then closes without `finish`
 * unless the body has it. Records each request's raw `Last-Event-ID` bytes.
 */
async function scriptedServer(bodies: (string | Buffer)[]) {
  const seen: Seen[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const raw = rawHeader(request, "last-event-id");
    seen.push({
      lastEventIdBytes: raw === null ? null : Buffer.from(raw, "latin1"),
      query: new URL(request.url ?? "/", "http://x").searchParams,
    });
    const body = bodies[seen.length - 1];
    if (body === undefined) {
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "x-chat-replay-mode": "resume" });
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    for (const byte of bytes) {
      response.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, baseUrl };
}

function rawHeader(request: IncomingMessage, name: string): string | null {
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    if (request.rawHeaders[index]?.toLowerCase() === name) return request.rawHeaders[index + 1] ?? null;
  }
  return null;
}

async function readAll(stream: ReadableStream<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const START = 'data: {"type":"start","messageId":"s1:r1"}\n\n';
const FINISH = 'data: {"type":"finish"}\n\ndata: [DONE]\n\n';
const delta = (id: string, text: string) =>
  `id: ${id}\ndata: ${JSON.stringify({ type: "text-delta", id: "t", delta: text })}\n\n`;
const TEXT_START = 'data: {"type":"text-start","id":"t"}\n\n';

async function followTwice(first: string, second = FINISH) {
  const server = await scriptedServer([first, second]);
  const transport = createReplayTransport({
    baseUrl: server.baseUrl,
    sessionId: "s1",
    reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
  });
  const stream = await transport.reconnectToStream({ chatId: "s1" });
  if (!stream) throw new Error("expected a stream");
  const chunks = await readAll(stream);
  return { seen: server.seen, chunks, transport };
}

describe("spec-exact cursor (§7 Cursor)", () => {
  it("commits the id carried by the start event", async () => {
    const { seen, chunks } = await followTwice('id: 7-0:0\ndata: {"type":"start","messageId":"s1:r1"}\n\n');
    expect(chunks.map((chunk) => chunk.type)).toEqual(["start", "finish"]);
    expect(seen[1]?.lastEventIdBytes?.toString("utf8")).toBe("7-0:0");
  });

  it("commits ids of events whose data is no UI message chunk ([DONE], non-JSON, JSON without type, id-only)", async () => {
    for (const event of [
      "id: 8-0:0\ndata: [DONE]\n\n",
      "id: 8-0:0\ndata: {not json\n\n",
      'id: 8-0:0\ndata: {"x":1}\n\n',
      "id: 8-0:0\n\n",
    ]) {
      const { seen } = await followTwice(START + TEXT_START + delta("5-0:0", "a") + event);
      expect(seen[1]?.lastEventIdBytes?.toString("utf8")).toBe("8-0:0");
    }
  });

  it("sends a non-ASCII id back as its exact UTF-8 bytes, whatever the read splits (one byte per read, inside code points)", async () => {
    const id = "é-ü:☃😀";
    const { seen, chunks } = await followTwice(START + TEXT_START + delta(id, "a"));
    expect(chunks.filter((chunk) => chunk.type === "text-delta")).toHaveLength(1);
    expect(seen[1]?.lastEventIdBytes?.equals(Buffer.from(id, "utf8"))).toBe(true);
  });

  it("an id with leading or trailing spaces, which a header would trim, travels byte-exact in last_event_id", async () => {
    const id = " 5-0:0 ";
    // `id: <value>` strips one space after the colon: write two to keep a leading one.
    const { seen } = await followTwice(
      `${START + TEXT_START}id:  5-0:0 \ndata: {"type":"text-delta","id":"t","delta":"a"}\n\n`,
    );
    expect(seen[1]?.lastEventIdBytes).toBeNull();
    expect(seen[1]?.query.get("last_event_id")).toBe(id);
  });

  it("a very long id never makes the reconnect fail: it is not sent, and the full replay that answers is rebuilt, not duplicated", async () => {
    const id = "9".repeat(40_000); // far past every server's header limit (16 KiB on Node)
    expect(lastEventIdRequest(id)).toBeNull();
    const server = await scriptedServer([START + TEXT_START + delta(id, "a")]);
    const transport = createReplayTransport({
      baseUrl: server.baseUrl,
      sessionId: "s1",
      reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    const stream = await transport.reconnectToStream({ chatId: "s1" });
    // The second request reached the server (no 431) without the id; its 204 (nothing
    // more to attach) ends the stream cleanly.
    const chunks = await readAll(stream!);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1]?.lastEventIdBytes).toBeNull();
    expect(chunks.map((chunk) => chunk.type)).toEqual(["start", "text-start", "text-delta"]);
  });

  it("a full replay answering an unsent (too long) cursor mid-stream ends the stream with StaleCursorError, so the controller rebuilds", async () => {
    const id = "9".repeat(MAX_SENT_CURSOR_BYTES + 1);
    const server = await scriptedServer([START + TEXT_START + delta(id, "a")]);
    // The second answer is a full replay of a running turn (mode header full).
    const transport = createReplayTransport({
      baseUrl: server.baseUrl,
      sessionId: "s1",
      reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (server.seen.length < 2) return response;
        return new Response(START + TEXT_START + delta("1-0:0", "a"), {
          headers: { "content-type": "text/event-stream", "x-chat-replay-mode": "full" },
        });
      },
    });
    const stream = await transport.reconnectToStream({ chatId: "s1" });
    await expect(readAll(stream!)).rejects.toBeInstanceOf(StaleCursorError);
  });
});
