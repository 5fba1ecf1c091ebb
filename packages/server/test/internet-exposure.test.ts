import { request as httpRequest } from "node:http";
import type { LanguageModelV4, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { sessionPath } from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { mintOwnerToken } from "../src/identity";
import { MemorySessionStore } from "../src/memory-session-store";
import { createRedisStores } from "../src/redis-stores";
import { createReplayServer } from "../src/replay-server";
import { createScriptedModel } from "../src/scripted-model";
import {
  chunksOf,
  gatedModel,
  readEvents,
  startServer,
  TEST_SECRET,
  type TestClient,
  type TestServer,
  userMessage,
} from "./harness";

// Issue "safe to expose on the internet": one test per item, over real HTTP. The storage
// items run on Redis too (redis-protocol.test.ts imports this file with Redis stores).

const json = (body: unknown = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** A client that sends `Authorization: Bearer <token>` and no cookie. */
function bearer(server: TestServer, token: string) {
  return (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(`${server.baseUrl}${path}`, { ...init, headers });
  };
}

/** A raw request with headers fetch would refuse to set (Host), on its own connection. */
function rawRequest(
  server: TestServer,
  path: string,
  headers: Record<string, string>,
  method = "POST",
  body = "{}",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        agent: false,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const SLOW = "keep going [[words=400]] [[delay=20]]";

describe("identity: signed owner tokens", () => {
  it("a self-chosen token is refused: 401 as a bearer, anonymous as a cookie (no session access)", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    for (const forged of ["A".repeat(43), `${"A".repeat(43)}.${"B".repeat(43)}`, "x".repeat(64)]) {
      const response = await bearer(server, forged)(sessionPath("status", sessionId));
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe("unauthorized");
      const asCookie = await fetch(`${server.baseUrl}${sessionPath("status", sessionId)}`, {
        headers: { cookie: `chat_replay_owner=${forged}` },
      });
      expect(asCookie.status).toBe(404);
    }
  });

  it("tokens minted under one secret work on every instance sharing it, and across a rotation", async () => {
    const streams = await startServer();
    const sessionId = await streams.client.createSession();
    const token = streams.client.cookie!.split("=")[1]!;
    // Same secret (another instance over the same stores): accepted.
    const sibling = createReplayServer({ model: createScriptedModel(), secret: TEST_SECRET });
    const probe = (server: { fetch(request: Request): Promise<Response> }, value: string) =>
      server.fetch(
        new Request("http://127.0.0.1/api/sessions", {
          ...json(),
          headers: { "content-type": "application/json", authorization: `Bearer ${value}` },
        }),
      );
    expect((await probe(sibling, token)).status).toBe(201);
    // Rotation: the new secret first, the old one still verifies; without it, refused.
    const rotated = createReplayServer({
      model: createScriptedModel(),
      secret: ["rotated-secret-0123456789", TEST_SECRET],
    });
    expect((await probe(rotated, token)).status).toBe(201);
    const replaced = createReplayServer({
      model: createScriptedModel(),
      secret: "rotated-secret-0123456789",
    });
    expect((await probe(replaced, token)).status).toBe(401);
    expect((await probe(replaced, await mintOwnerToken("rotated-secret-0123456789"))).status).toBe(201);
    await Promise.all([sibling.close(), rotated.close(), replaced.close()]);
    expect(sessionId).toBeTruthy();
  });

  it("a malformed bearer is 401 even next to a valid cookie, and never mints a new identity", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    for (const authorization of ["Bearer nope", "Basic abc", "Bearer "]) {
      const read = await server.client.request(sessionPath("status", sessionId), {
        headers: { authorization },
      });
      expect(read.status).toBe(401);
      const create = await server.client.request("/api/sessions", {
        ...json(),
        headers: { "content-type": "application/json", authorization },
      });
      expect(create.status).toBe(401);
      expect(create.headers.get("set-cookie")).toBeNull();
    }
  });

  it("the cookie is Secure with the __Host- prefix except on plain-HTTP loopback", async () => {
    const server = await startServer();
    const local = await rawRequest(server, "/api/sessions", { "content-type": "application/json" });
    expect(String(local.headers["set-cookie"])).toMatch(/^chat_replay_owner=[^;]+;/);
    expect(String(local.headers["set-cookie"])).not.toMatch(/Secure/);
    // Behind a TLS proxy the request is plain HTTP to a public host name.
    const proxied = await rawRequest(server, "/api/sessions", {
      "content-type": "application/json",
      host: "chat.example.com",
    });
    const cookie = String(proxied.headers["set-cookie"]);
    expect(cookie).toMatch(/^__Host-chat_replay_owner=[^;]+;/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
  });

  it("with identify, the app's identity is the owner and anonymous callers cannot create sessions", async () => {
    const server = await startServer({
      identify: (request) => request.headers.get("x-user") ?? null,
    });
    const as =
      (user: string | null) =>
      (path: string, init: RequestInit = {}) =>
        fetch(`${server.baseUrl}${path}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), ...(user ? { "x-user": user } : {}) },
        });
    expect((await as(null)("/api/sessions", json())).status).toBe(401);
    const created = await as("alice")("/api/sessions", json());
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await as("alice")(sessionPath("status", id))).status).toBe(200);
    expect((await as("bob")(sessionPath("status", id))).status).toBe(404);
  });
});

describe("limits (429 with Retry-After and a code)", () => {
  it("sessions per owner", async () => {
    const server = await startServer({ limits: { maxSessionsPerOwner: 3 } });
    for (let index = 0; index < 3; index++) await server.client.createSession();
    const refused = await server.client.request("/api/sessions", json());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(refused)).code).toBe("too_many_sessions");
    // Another owner is not affected.
    expect(await server.newClient().createSession()).toBeTruthy();
  });

  it("turns per owner per minute", async () => {
    const server = await startServer({ limits: { maxTurnsPerMinute: 2 } });
    const sessionId = await server.client.createSession();
    for (let index = 0; index < 2; index++)
      await readEvents(await server.client.send(sessionId, "hi [[words=2]]"));
    const refused = await server.client.send(sessionId, "one more [[words=2]]");
    expect(refused.status).toBe(429);
    const seconds = Number(refused.headers.get("retry-after"));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect((await errorOf(refused)).code).toBe("rate_limited");
    expect((await server.client.status(sessionId)).turn_status).toBe("idle");
  });

  it("history bytes per session", async () => {
    const server = await startServer({ limits: { maxHistoryBytes: 2_000 } });
    const sessionId = await server.client.createSession();
    await readEvents(await server.client.send(sessionId, "fill it [[words=300]]"));
    const refused = await server.client.send(sessionId, "more [[words=2]]");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect((await errorOf(refused)).code).toBe("history_full");
  });

  it("open streams per owner and in total", async () => {
    const gate = gatedModel();
    const server = await startServer({ model: gate.model, limits: { maxStreamsPerOwner: 2, maxStreams: 3 } });
    const sessionId = await server.client.createSession();
    const abort = new AbortController();
    const sent = await server.client.send(sessionId, "wait", { signal: abort.signal });
    const observer = await server.client.stream(sessionId, undefined, { signal: abort.signal });
    expect([sent.status, observer.status]).toEqual([200, 200]);
    const third = await server.client.stream(sessionId);
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBeTruthy();
    expect((await errorOf(third)).code).toBe("too_many_streams");
    // A second owner may open one more, then the server's total is reached.
    const other = server.newClient();
    const otherSession = await other.createSession();
    const otherStream = await other.send(otherSession, "wait", { signal: abort.signal });
    expect(otherStream.status).toBe(200);
    const overTotal = await other.stream(otherSession);
    expect(overTotal.status).toBe(429);
    gate.open();
    abort.abort();
  });

  it("scripted-model directives are clamped: [[words=100000000]] streams 5,000 words", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const { events } = await readEvents(
      await server.client.send(sessionId, "huge [[words=100000000]] [[delay=0]]"),
    );
    const deltas = chunksOf(events).filter((chunk) => chunk.type === "text-delta");
    expect(deltas.length).toBeLessThanOrEqual(5_000);
    expect(deltas.length).toBeGreaterThan(4_000);
  });
});

describe("lifecycle", () => {
  it("DELETE ends an active turn and removes the session, its history and buffers; other owners get 404", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    await readEvents(await server.client.send(sessionId, "first [[words=3]]"));
    const running = await server.client.send(sessionId, SLOW);
    const reading = readEvents(running);
    await server.client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const stranger = await server
      .newClient()
      .request(sessionPath("session", sessionId), { method: "DELETE" });
    expect(stranger.status).toBe(404);
    const deleted = await server.client.request(sessionPath("session", sessionId), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    const { events } = await reading;
    expect(chunksOf(events).some((chunk) => chunk.type === "data-interrupt")).toBe(true);
    for (const route of ["session", "status", "stream"] as const) {
      expect((await server.client.request(sessionPath(route, sessionId))).status).toBe(404);
    }
    expect(
      (await server.client.request(sessionPath("session", sessionId), { method: "DELETE" })).status,
    ).toBe(404);
  });

  it("idle sessions expire after the session TTL (injected clock)", async () => {
    let now = Date.now();
    const sessionStore = new MemorySessionStore({ now: () => now, sessionTtlMs: 60_000 });
    const server = await startServer({ sessionStore });
    const sessionId = await server.client.createSession();
    now += 30_000;
    expect((await server.client.request(sessionPath("status", sessionId))).status).toBe(200);
    now += 61_000;
    expect((await server.client.request(sessionPath("status", sessionId))).status).toBe(404);
  });
});

describe("cross-site writes", () => {
  it("a text/plain POST does not start a turn: 415", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const response = await server.client.request(sessionPath("messages", sessionId), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ message: userMessage("hi") }),
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe("unsupported_media_type");
    expect((await server.client.status(sessionId)).version).toBe(0);
  });

  it("a cancel from another origin is refused (403) and the turn keeps running; same origin and non-browser callers pass", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const reading = readEvents(await server.client.send(sessionId, SLOW));
    await server.client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const crossSite: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of crossSite) {
      const response = await server.client.request(sessionPath("cancel", sessionId), {
        ...json(),
        headers: { "content-type": "application/json", ...headers },
      });
      expect(response.status).toBe(403);
      expect((await errorOf(response)).code).toBe("forbidden");
    }
    expect((await server.client.status(sessionId)).turn_status).toBe("running");
    const sameOrigin = await server.client.request(sessionPath("cancel", sessionId), {
      ...json(),
      headers: {
        "content-type": "application/json",
        origin: server.baseUrl,
        "sec-fetch-site": "same-origin",
      },
    });
    expect(sameOrigin.status).toBe(200);
    await reading;
  });

  it("allowed origins may write; CORS answers preflights for its origins only", async () => {
    const server = await startServer({ cors: { origins: ["https://ui.example"] } });
    const sessionId = await server.client.createSession();
    const preflight = await fetch(`${server.baseUrl}${sessionPath("messages", sessionId)}`, {
      method: "OPTIONS",
      headers: {
        origin: "https://ui.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://ui.example");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    const foreign = await fetch(`${server.baseUrl}${sessionPath("messages", sessionId)}`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const write = await server.client.request(sessionPath("cancel", sessionId), {
      ...json(),
      headers: { "content-type": "application/json", origin: "https://ui.example" },
    });
    expect(write.status).toBe(409); // allowed through; nothing to cancel
    expect(write.headers.get("access-control-expose-headers")).toMatch(/x-chat-replay-mode/);
  });
});

/** Streams two tool calls that both need approval (the scripted model calls one). */
function twoApprovalsModel(): LanguageModelV4 {
  const inner = createScriptedModel({ defaults: { delayMs: 0 } });
  return {
    ...inner,
    doGenerate: (options) => inner.doGenerate(options),
    doStream: async (options) => {
      const result = await inner.doStream(options);
      const twice = new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
        transform(part, controller) {
          controller.enqueue(part);
          if (part.type === "tool-call") controller.enqueue({ ...part, toolCallId: `${part.toolCallId}-b` });
        },
      });
      return { ...result, stream: result.stream.pipeThrough(twice) };
    },
  };
}

describe("history integrity", () => {
  it("a prompt reusing a stored message's id is 409 and history is unchanged", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    await readEvents(await server.client.send(sessionId, "hello [[words=3]]"));
    await server.client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const before = await server.client.history(sessionId);
    const assistant = before.find((message) => message.role === "assistant")!;
    const response = await server.client.request(sessionPath("messages", sessionId), {
      ...json({ message: { ...userMessage("overwrite"), id: assistant.id } }),
    });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe("conflict");
    expect(await server.client.history(sessionId)).toEqual(before);
  });

  it("continue must decide exactly the pending approvals, each once", async () => {
    const server = await startServer({ model: twoApprovalsModel() });
    const sessionId = await server.client.createSession();
    const { events } = await readEvents(
      await server.client.send(sessionId, "deploy [[approval]] [[words=3]]"),
    );
    const ids = chunksOf(events).flatMap((chunk) =>
      chunk.type === "tool-approval-request" ? [chunk.approvalId] : [],
    );
    expect(ids).toHaveLength(2);
    const continueWith = (decisions: unknown[]) =>
      server.client.request(sessionPath("continue", sessionId), json({ decisions }));
    const duplicate = await continueWith([
      { approvalId: ids[0], approved: true },
      { approvalId: ids[0], approved: false },
    ]);
    expect(duplicate.status).toBe(400);
    expect((await errorOf(duplicate)).message).toMatch(/decided twice/);
    expect((await server.client.status(sessionId)).turn_status).toBe("waiting_for_approval");
    const both = await continueWith(ids.map((approvalId) => ({ approvalId, approved: true })));
    expect(both.status).toBe(200);
    await readEvents(both);
  });
});

describe("quiet errors and headers", () => {
  it("a model failure reaches clients and history as a generic message with an error id", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const { events } = await readEvents(
      await server.client.send(sessionId, "fail [[words=40]] [[fail_after=4]]"),
    );
    const text = events.map((event) => event.data).join("\n");
    expect(text).not.toMatch(/Scripted failure/);
    expect(text).toMatch(/The assistant failed \(error [0-9a-f]{8}\)/);
    await server.client.waitForStatus(sessionId, (status) => status.turn_status === "failed");
    expect(JSON.stringify(await server.client.history(sessionId))).not.toMatch(/Scripted failure/);
  });

  it("the Redis 503 names neither the URL nor the user", async () => {
    const stores = createRedisStores({
      url: "redis://admin:hunter2@127.0.0.1:1/0",
      keyPrefix: "exposure",
      log: () => {}, // the log may name the host (redacted); only the response body matters here
    });
    const guarded = stores.guard(async () => new Response("unreachable"));
    const response = await guarded(new Request("http://127.0.0.1/api/sessions"));
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).not.toMatch(/redis:|admin|hunter2|127\.0\.0\.1/);
    await Promise.all([stores.streamStore.close(), stores.sessionStore.close()]);
  });

  it("the depth error never echoes the client's keys", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    let nested = "1";
    for (let depth = 0; depth < 40; depth++) nested = `{"<script>k${depth}":${nested}}`;
    const response = await server.client.request(sessionPath("messages", sessionId), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"message":{"id":"m","role":"user","parts":[{"type":"text","text":"x","providerMetadata":${nested}}]}}`,
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).not.toMatch(/script|k\d/);
  });

  it("nosniff everywhere, no-store on history and streams, revalidation on status, Vary on the caller", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const history = await server.client.request(sessionPath("session", sessionId));
    const status = await server.client.request(sessionPath("status", sessionId));
    const missing = await server.client.request("/api/nope");
    for (const response of [history, status, missing]) {
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(history.headers.get("cache-control")).toBe("private, no-store");
    expect(history.headers.get("vary")).toMatch(/Cookie, Authorization/);
    expect(status.headers.get("cache-control")).toBe("private, no-cache");
    expect(status.headers.get("etag")).toBeTruthy();
    const stream = await server.client.send(sessionId, "hi [[words=2]]");
    expect(stream.headers.get("cache-control")).toBe("private, no-store, no-transform");
    expect(stream.headers.get("x-content-type-options")).toBe("nosniff");
    await readEvents(stream);
  });

  it("a 413 closes the connection explicitly, so the client's next request works", async () => {
    const server = await startServer({ limits: { maxBodyBytes: 1_000 } });
    const sessionId = await server.client.createSession();
    const big = await server.client.request(
      sessionPath("messages", sessionId),
      json({ pad: "x".repeat(50_000) }),
    );
    expect(big.status).toBe(413);
    expect(big.headers.get("connection")).toBe("close");
    for (let index = 0; index < 3; index++) {
      expect((await server.client.request(sessionPath("status", sessionId))).status).toBe(200);
    }
  });
});

describe("share links", () => {
  async function shared(server: TestServer, owner: TestClient) {
    const sessionId = await owner.createSession();
    await readEvents(await owner.send(sessionId, "shared answer [[words=5]]"));
    const minted = await owner.request(`${sessionPath("session", sessionId)}/share`, json());
    expect(minted.status).toBe(201);
    const link = (await minted.json()) as { token: string; link_id: string };
    return { sessionId, link, as: bearer(server, link.token) };
  }

  it("a link reads status, stream and history, and can change nothing", async () => {
    const server = await startServer();
    const { sessionId, as } = await shared(server, server.client);
    expect((await as(sessionPath("status", sessionId))).status).toBe(200);
    const history = await as(sessionPath("session", sessionId));
    expect(((await history.json()) as { messages: unknown[] }).messages).toHaveLength(2);
    expect([200, 204]).toContain((await as(sessionPath("stream", sessionId))).status);
    for (const [path, init] of [
      [sessionPath("messages", sessionId), json({ message: userMessage("no") })],
      [sessionPath("cancel", sessionId), json()],
      [sessionPath("continue", sessionId), json({ decisions: [] })],
      [sessionPath("session", sessionId), { method: "DELETE" }],
      [`${sessionPath("session", sessionId)}/share`, json()],
    ] as const) {
      const response = await as(path, init);
      expect(response.status, path).toBe(403);
      expect((await errorOf(response)).code).toBe("read_only");
    }
    expect((await as("/api/sessions", json())).status).toBe(403);
  });

  it("revoked links and links for another session read nothing; strangers cannot mint", async () => {
    const server = await startServer();
    const { sessionId, link, as } = await shared(server, server.client);
    const otherSession = await server.client.createSession();
    expect((await as(sessionPath("status", otherSession))).status).toBe(404);
    const stranger = await server.newClient().request(`${sessionPath("session", sessionId)}/share`, json());
    expect(stranger.status).toBe(404);
    const revoked = await server.client.request(
      `${sessionPath("session", sessionId)}/share/${link.link_id}`,
      {
        method: "DELETE",
      },
    );
    expect(revoked.status).toBe(204);
    expect((await as(sessionPath("status", sessionId))).status).toBe(404);
  });

  it("with identify, a link travels in x-chat-replay-share", async () => {
    const server = await startServer({ identify: (request) => request.headers.get("x-user") ?? null });
    const owner = (path: string, init: RequestInit = {}) =>
      fetch(`${server.baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), "x-user": "alice" },
      });
    const { id } = (await (await owner("/api/sessions", json())).json()) as { id: string };
    const { token } = (await (await owner(`${sessionPath("session", id)}/share`, json())).json()) as {
      token: string;
    };
    const read = await fetch(`${server.baseUrl}${sessionPath("status", id)}`, {
      headers: { "x-chat-replay-share": token },
    });
    expect(read.status).toBe(200);
    const bad = await fetch(`${server.baseUrl}${sessionPath("status", id)}`, {
      headers: { "x-chat-replay-share": "nope" },
    });
    expect(bad.status).toBe(401);
  });
});
