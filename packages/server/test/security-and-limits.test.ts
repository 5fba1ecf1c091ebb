import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { HEADERS, sessionPath } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import {
  assemble,
  chunksOf,
  readEvents,
  type SseEvent,
  startServer,
  type TestClient,
  type TestServer,
  userMessage,
} from "./harness";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const MIB = 1024 * 1024;
/** A turn that stays running for many seconds (cancelled or torn down by the test). */
const SLOW_PROMPT = "Keep talking [[words=2000]] [[delay=20]]";
/** A short turn that still spans several milliseconds, so its entry ids are distinct. */
const SHORT_PROMPT = "Short answer [[words=5]] [[delay=5]]";
/** Minted owner tokens: 256 random bits, a dot, their HMAC (§3 Identity). */
const OWNER_COOKIE_PATTERN = /^chat_replay_owner=([A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43})$/;

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Sends a request as some caller: a client plus extra headers (bearer, forged cookie...). */
type Caller = (path: string, init?: RequestInit) => Promise<Response>;

function callerOf(client: TestClient, extraHeaders: Record<string, string> = {}): Caller {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
    return client.request(path, { ...init, headers });
  };
}

/** A caller that sends exactly this Cookie header and never picks up a Set-Cookie. */
function callerWithCookie(server: TestServer, cookie: string): Caller {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", cookie);
    if (init.body !== undefined && !headers.has("content-type"))
      headers.set("content-type", "application/json");
    return fetch(`${server.baseUrl}${path}`, { ...init, headers });
  };
}

function ownerToken(client: TestClient): string {
  const token = OWNER_COOKIE_PATTERN.exec(client.cookie ?? "")?.[1];
  if (!token) throw new Error(`client has no owner cookie: ${client.cookie}`);
  return token;
}

const postJson = (body: unknown): RequestInit => ({
  method: "POST",
  body: typeof body === "string" ? body : JSON.stringify(body),
});

/** No stack frames, file paths or module paths in anything a client can read. */
function expectNoInternals(text: string): void {
  expect(text).not.toContain("/work");
  expect(text).not.toMatch(/\bat /);
  expect(text).not.toMatch(/node_modules|file:\/\/|\.[cm]?[jt]s:\d+/);
}

/** Asserts a §3 error: JSON `{ error: { code, message } }` (plus optional extras), nothing internal. */
async function expectJsonError(
  response: Response,
  status: number | readonly number[],
  code?: string,
): Promise<ErrorBody> {
  const allowed = typeof status === "number" ? [status] : status;
  expect(allowed, `unexpected status ${response.status}`).toContain(response.status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as ErrorBody;
  expect(body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  expect(body.error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(body.error.code).toBe(code);
  expectNoInternals(body.error.message);
  return body;
}

/** Reads until `idEvents` id-bearing events arrived, then drops the connection. */
async function firstEvents(response: Response, idEvents = 1): Promise<SseEvent[]> {
  return (await readEvents(response, { stopAfter: idEvents })).events;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `attempt` until it returns a value (awaited condition with a deadline, not a fixed sleep). */
async function eventually<T>(
  attempt: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Opens `/stream`, retrying while the server still counts a just-closed stream (429). */
async function openStreamWhenAccepted(client: TestClient, sessionId: string): Promise<Response> {
  return eventually(async () => {
    const response = await client.stream(sessionId);
    if (response.status !== 429) return response;
    await response.body?.cancel();
    return undefined;
  }, "a stream slot");
}

/** Starts a slow turn, reads a few frames to learn a real event id, and drops the POST stream. */
async function startSlowTurn(
  client: TestClient,
  sessionId: string,
): Promise<{ runId: string; eventId: string }> {
  const response = await client.send(sessionId, SLOW_PROMPT);
  expect(response.status).toBe(200);
  const events = await firstEvents(response, 3);
  const eventId = events.findLast((event) => event.id)?.id;
  const status = await client.status(sessionId);
  expect(status.turn_status).toBe("running");
  if (!eventId || !status.curr_run_id) throw new Error("slow turn did not start");
  return { runId: status.curr_run_id, eventId };
}

/** Runs a whole short turn and returns the ids of its frames. */
async function runShortTurn(client: TestClient, sessionId: string): Promise<string[]> {
  const response = await client.send(sessionId, SHORT_PROMPT);
  expect(response.status).toBe(200);
  const { events } = await readEvents(response);
  await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
  return events.flatMap((event) => (event.id ? [event.id] : []));
}

async function cancelTurn(client: TestClient, sessionId: string): Promise<void> {
  const response = await client.request(sessionPath("cancel", sessionId), postJson({}));
  expect(response.status).toBe(200);
  await client.waitForStatus(sessionId, (status) => status.turn_status === "stopped");
}

/** The server still serves an ordinary turn end to end: 200 SSE, an assistant message with text. */
async function expectNormalTurnWorks(server: TestServer): Promise<void> {
  const client = server.newClient();
  const sessionId = await client.createSession();
  const response = await client.send(sessionId, "Hello after the storm [[words=8]]");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const { events } = await readEvents(response);
  const message = await assemble(chunksOf(events));
  const text = message?.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
  expect(message?.role).toBe("assistant");
  expect(text?.trim().length).toBeGreaterThan(0);
  await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
  const history = await client.history(sessionId);
  expect(history.map((row) => row.role)).toEqual(["user", "assistant"]);
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** POSTs a body on its own connection (content-length or chunked), so a 413 cannot poison a pooled socket. */
function postOnOwnConnection(
  server: TestServer,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  options: { chunked: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.baseUrl);
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          ...headers,
          ...(options.chunked
            ? { "transfer-encoding": "chunked" }
            : { "content-length": String(body.length) }),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers as Record<string, string>,
            body: text,
          }),
        );
        response.on("error", reject);
      },
    );
    // The server may answer and close before the whole upload went out; that is fine.
    request.on("error", reject);
    void (async () => {
      for (let offset = 0; offset < body.length && !request.destroyed; offset += 64 * 1024) {
        if (!request.write(body.subarray(offset, offset + 64 * 1024))) {
          await new Promise((resolve) => request.once("drain", resolve));
        }
      }
      if (!request.destroyed) request.end();
    })().catch(() => {});
  });
}

/** Writes raw bytes on a socket (for requests fetch refuses to send) and parses the answer. */
function rawHttp(server: TestServer, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.baseUrl);
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head, "latin1"));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(":")).toLowerCase(),
          line.slice(line.indexOf(":") + 1).trim(),
        ]),
      );
      let body = text.slice(split + 4);
      if (headers["transfer-encoding"] === "chunked") body = decodeChunked(body);
      resolve({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: Buffer.from(body, "latin1").toString("utf8"),
      });
    });
  });
}

function decodeChunked(body: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!size) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Same checks as {@link expectJsonError}, for a response read off a raw connection. */
function expectRawJsonError(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as ErrorBody;
  expect(body.error).toEqual({ code, message: expect.any(String) });
  expectNoInternals(body.error.message);
}

/** Every session route of §3, callable by anyone, for the isolation tests. */
function sessionRouteCalls(
  sessionId: string,
  cursor: string,
): Array<{ route: string; call: (as: Caller) => Promise<Response> }> {
  return [
    { route: "GET /:id", call: (as) => as(sessionPath("session", sessionId)) },
    { route: "GET /:id/status", call: (as) => as(sessionPath("status", sessionId)) },
    { route: "GET /:id/stream", call: (as) => as(sessionPath("stream", sessionId)) },
    {
      route: "GET /:id/stream + Last-Event-ID",
      call: (as) => as(sessionPath("stream", sessionId), { headers: { [HEADERS.lastEventId]: cursor } }),
    },
    {
      route: "GET /:id/stream?last_event_id=",
      call: (as) => as(`${sessionPath("stream", sessionId)}?last_event_id=${encodeURIComponent(cursor)}`),
    },
    {
      route: "POST /:id/messages",
      call: (as) =>
        as(sessionPath("messages", sessionId), postJson({ message: userMessage("intruder [[words=3]]") })),
    },
    {
      route: "POST /:id/messages (malformed body)",
      call: (as) => as(sessionPath("messages", sessionId), postJson("{nope")),
    },
    {
      route: "POST /:id/continue",
      call: (as) =>
        as(
          sessionPath("continue", sessionId),
          postJson({ decisions: [{ approvalId: "call-1", approved: true }] }),
        ),
    },
    { route: "POST /:id/cancel", call: (as) => as(sessionPath("cancel", sessionId), postJson({})) },
  ];
}

/**
 * Asserts that `as` gets, on every session route of `sessionId`, exactly the 404 that it gets
 * for a session id that does not exist (status, content type and body byte for byte).
 */
async function expectIndistinguishableFromMissing(
  as: Caller,
  sessionId: string,
  cursor: string,
): Promise<void> {
  const missing = sessionRouteCalls(crypto.randomUUID(), cursor);
  const real = sessionRouteCalls(sessionId, cursor);
  for (const [index, { route, call }] of real.entries()) {
    const response = await call(as);
    const reference = await missing[index]!.call(as);
    const [body, referenceBody] = [await response.clone().text(), await reference.text()];
    expect({ route, status: response.status, body }).toEqual({ route, status: 404, body: referenceBody });
    expect(response.headers.get("content-type")).toBe(reference.headers.get("content-type"));
    expect(response.headers.get("etag")).toBeNull();
    const error = await expectJsonError(response, 404, "not_found");
    expect(error.error.message).not.toContain(sessionId);
  }
}

/** Malformed `Last-Event-ID` values of §6 / §8.19: every one must parse as "absent". */
const ENTRY = "1700000000000-0";
const MALFORMED_CURSORS: readonly string[] = [
  "",
  ":3",
  "E:",
  "E:-1",
  "E:x",
  "E",
  `${ENTRY}:`,
  `${ENTRY}:-1`,
  `${ENTRY}:x`,
  "1700000000000",
  "١٧٠٠٠٠٠٠٠٠٠٠٠-٠:٠", // Arabic-Indic digits
  "۱۷۰۰-۰:۰", // Extended Arabic-Indic digits
  "１７００-０:０", // fullwidth digits
  `${ENTRY}\u0000:0`,
  "\u0000",
  `${ENTRY}:0\r\nid: 1-0:0`,
  `${ENTRY}:0\n`,
  "1".repeat(1024),
  `${"1".repeat(1024)}-0:0`,
  `1-${"0".repeat(1024)}:0`,
  `${"0".repeat(60)}1-0:0`, // right shape, longer than 64 characters
  "-1",
  "-1-0:0",
  "1--1:0",
  "1-0:1:2",
  "1-0-0",
  "1-0:0:",
  '{"entryId":"1-0","frame":0}',
  "[1,0]",
  "null",
  "1-0:0' OR '1'='1",
  "'; DROP TABLE sessions; --",
  "1-0:0; SELECT * FROM runs",
  "1.5-0:0",
  "1e3-0:0",
  "0x1F-0:0",
  "+1-0:0",
  "1-0:+1",
  "1-0:1e2",
  "1-0:0.5",
  "Infinity-0:0",
  "NaN",
  "__proto__",
  "constructor",
  " 1-0:0",
  "1-0:0 ",
  "1 -0:0",
  "1-0:0\t",
  "%31-0:0",
];

type CursorChannel = "header" | "query";

/** fetch rejects NUL/CR/LF and non-Latin-1 in headers and trims whitespace: such values go by query only. */
function channelsFor(raw: string): CursorChannel[] {
  const headerSafe = raw === "" || /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(raw);
  return headerSafe ? ["header", "query"] : ["query"];
}

function streamWithCursor(
  client: TestClient,
  sessionId: string,
  raw: string,
  channel: CursorChannel,
): Promise<Response> {
  return channel === "header"
    ? client.stream(sessionId, raw)
    : client.request(`${sessionPath("stream", sessionId)}?last_event_id=${encodeURIComponent(raw)}`);
}

/** Sends every malformed cursor on every channel; returns one line per response that broke `expectation`. */
async function malformedCursorViolations(
  client: TestClient,
  sessionId: string,
  expectation: (response: Response) => Promise<string | null>,
): Promise<string[]> {
  const violations: string[] = [];
  for (const raw of MALFORMED_CURSORS) {
    for (const channel of channelsFor(raw)) {
      const response = await streamWithCursor(client, sessionId, raw, channel);
      const label = `${channel} ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)}`;
      const cursorHeader = response.headers.get(HEADERS.cursor);
      if (response.status >= 500) violations.push(`${label}: ${response.status}`);
      else if (cursorHeader !== "ignored") violations.push(`${label}: ${HEADERS.cursor}=${cursorHeader}`);
      else {
        const problem = await expectation(response);
        if (problem) violations.push(`${label}: ${problem}`);
      }
      await response.body?.cancel().catch(() => {});
    }
  }
  return violations;
}

async function expectNoContent(response: Response): Promise<string | null> {
  if (response.status !== 204) return `status ${response.status}, expected 204`;
  const body = await response.text();
  return body === "" ? null : `204 with a body: ${body.slice(0, 80)}`;
}

/** Asserts a finish-only stream (§6): exactly `finish` then `[DONE]`, no `start`, no ids. */
async function expectFinishOnly(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const { events } = await readEvents(response);
  expect(events).toEqual([
    { id: undefined, data: '{"type":"finish"}' },
    { id: undefined, data: "[DONE]" },
  ]);
}

/** Asserts a full replay of a running turn: header `full`, first frame `start` with the bubble id. */
async function expectFullReplay(response: Response, bubble: string): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get(HEADERS.replayMode)).toBe("full");
  const events = await firstEvents(response, 1);
  expect(events[0]).toEqual({ id: undefined, data: JSON.stringify({ type: "start", messageId: bubble }) });
}

function nested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

const textPart = (text: string) => ({ type: "text", text });
const validMessage = (overrides: Record<string, unknown> = {}) => ({
  id: `msg-${crypto.randomUUID()}`,
  role: "user",
  parts: [textPart("hello [[words=3]]")],
  ...overrides,
});

interface ShapeCase {
  readonly name: string;
  readonly body: unknown;
  /** The field the 400 message must name. */
  readonly field: RegExp;
  /** Set when the server currently fails to name the field (see the BUG comments below). */
  readonly misnamed?: true;
}

/** Wrong request shapes for `POST /messages`: each must be a 400 naming the field. */
const SHAPE_CASES: readonly ShapeCase[] = [
  { name: "missing message", body: {}, field: /\bmessage\b/, misnamed: true },
  {
    name: 'role "assistant"',
    body: { message: validMessage({ role: "assistant" }) },
    field: /message\.role/,
    misnamed: true,
  },
  { name: "empty parts", body: { message: validMessage({ parts: [] }) }, field: /message\.parts/ },
  {
    name: "parts not an array",
    body: { message: validMessage({ parts: textPart("hi") }) },
    field: /message\.parts/,
    misnamed: true,
  },
  {
    name: "100,000 parts",
    body: `{"message":{"id":"m1","role":"user","parts":[${Array(100_000).fill("{}").join(",")}]}}`,
    field: /message\.parts/,
    misnamed: true,
  },
  {
    name: "message nested 10,000 levels",
    body: `{"message":${nested(10_000)}}`,
    field: /\bmessage\b/,
    misnamed: true,
  },
  {
    name: "parts nested 10,000 levels",
    body: `{"message":{"id":"m1","role":"user","parts":${nested(10_000)}}}`,
    field: /message\.parts/,
    misnamed: true,
  },
  { name: "body nested 10,000 levels", body: nested(10_000), field: /\bbody\b/ },
  { name: "message is a string", body: { message: "hello" }, field: /\bmessage\b/, misnamed: true },
  {
    name: "numeric message id",
    body: { message: validMessage({ id: 42 }) },
    field: /message\.id/,
    misnamed: true,
  },
  {
    name: "numeric part type",
    body: { message: validMessage({ parts: [{ type: 7, text: "hi" }] }) },
    field: /message\.parts\.0\.type/,
    misnamed: true,
  },
  {
    name: "numeric part text",
    body: { message: validMessage({ parts: [{ type: "text", text: 42 }] }) },
    field: /message\.parts\.0\.text/,
    misnamed: true,
  },
  {
    name: "stock body, messages not an array",
    body: { id: "chat", messages: "hi" },
    field: /\bmessages\b/,
    misnamed: true,
  },
  { name: "stock body, empty messages", body: { id: "chat", messages: [] }, field: /\bmessages\b/ },
  {
    name: "stock body, last message from the assistant",
    body: {
      id: "chat",
      messages: [validMessage(), validMessage({ role: "assistant" })],
      trigger: "submit-message",
    },
    field: /messages\.1\.role/,
  },
];

// ---------------------------------------------------------------------------------------
// Owner isolation and identity
// ---------------------------------------------------------------------------------------

describe("owner isolation", () => {
  it("a client without a cookie and a client with another owner's cookie get the nonexistent-session 404 on every session route", {
    timeout: 30_000,
  }, async () => {
    const server = await startServer();
    const owner = server.client;
    const sessionId = await owner.createSession();
    const { runId, eventId } = await startSlowTurn(owner, sessionId);
    const before = await owner.status(sessionId);

    const anonymous = server.newClient();
    const otherOwner = server.newClient();
    await otherOwner.createSession();
    expect(otherOwner.cookie).not.toBe(owner.cookie);

    await expectIndistinguishableFromMissing(callerOf(anonymous), sessionId, eventId);
    await expectIndistinguishableFromMissing(callerOf(otherOwner), sessionId, eventId);
    expect(anonymous.cookie).toBeNull();

    // Nothing the intruders sent reached the session: same run, still running, no new rows.
    const after = await owner.status(sessionId);
    expect(after).toEqual(before);
    expect(after.curr_run_id).toBe(runId);
    expect(await owner.history(sessionId)).toEqual([]);
    await cancelTurn(owner, sessionId);
    expect((await owner.history(sessionId)).map((row) => row.role)).toEqual(["user", "assistant"]);
  });

  it("a bearer token equal to the cookie value authenticates exactly like the cookie", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const token = ownerToken(server.client);
    const bearer = callerOf(server.newClient(), { authorization: `Bearer ${token}` });

    expect((await bearer(sessionPath("session", sessionId))).status).toBe(200);
    expect((await bearer(sessionPath("status", sessionId))).status).toBe(200);
    expect((await bearer(sessionPath("stream", sessionId))).status).toBe(204);
    const sent = await bearer(
      sessionPath("messages", sessionId),
      postJson({ message: userMessage(SLOW_PROMPT) }),
    );
    expect(sent.status).toBe(200);
    await firstEvents(sent, 2);
    const attached = await bearer(sessionPath("stream", sessionId));
    await expectFullReplay(attached, `${sessionId}:${(await server.client.status(sessionId)).curr_run_id}`);
    const cancelled = await bearer(sessionPath("cancel", sessionId), postJson({}));
    expect(cancelled.status).toBe(200);

    // Creating a session with the bearer token mints nothing: the session belongs to the token's owner.
    const created = await bearer("/api/sessions", postJson({}));
    expect(created.status).toBe(201);
    expect(created.headers.get("set-cookie")).toBeNull();
    const { id: bearerSession } = (await created.json()) as { id: string };
    expect((await server.client.request(sessionPath("session", bearerSession))).status).toBe(200);

    // Another well-formed, validly signed token is someone else: 404.
    const stranger = callerOf(server.newClient(), {
      authorization: `Bearer ${await server.server.mintOwnerToken()}`,
    });
    await expectJsonError(await stranger(sessionPath("status", sessionId)), 404, "not_found");
    // A token of the right shape but not signed by us, or a malformed one, is refused: 401,
    // never a silent fallback to another identity.
    const unsigned = `${"A".repeat(43)}.${"B".repeat(43)}`;
    for (const other of [unsigned, "A".repeat(43), `${token}!`, "", token.slice(0, 31)]) {
      const as = callerOf(server.newClient(), { authorization: `Bearer ${other}` });
      await expectJsonError(await as(sessionPath("status", sessionId)), 401, "unauthorized");
    }
  });

  it("forged owner cookies (wrong shape, 10 kB, control characters) are anonymous: 404 on every session route", {
    timeout: 30_000,
  }, async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const token = ownerToken(server.client);
    const forgedCookies = [
      "chat_replay_owner=short",
      "chat_replay_owner=",
      "chat_replay_owner=<script>alert(1)</script>",
      `chat_replay_owner=${"A".repeat(10 * 1024)}`,
      `chat_replay_owner=${token}${"A".repeat(10 * 1024)}`,
      `chat_replay_owner=${token}%00`,
      `chat_replay_owner=${token}%01`,
      `chat_replay_owner=${token}%0A`,
      `chat_replay_owner=${token}%7F`,
      `chat_replay_owner=${token}\tx`,
      `chat_replay_owner=../${token}`,
      `chat_replay_owner=${token.slice(0, -1)}`, // well-formed, but another (unknown) owner
    ];
    for (const cookie of forgedCookies) {
      await expectIndistinguishableFromMissing(callerWithCookie(server, cookie), sessionId, "1-0:0");
    }

    // Raw control bytes never reach the app: Node's HTTP parser refuses the request outright.
    for (const control of ["\x01", "\x7f", "\x00"]) {
      const response = await rawHttp(
        server,
        `GET ${sessionPath("session", sessionId)} HTTP/1.1\r\nHost: x\r\nCookie: chat_replay_owner=${token}${control}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(400);
      expect(response.body).not.toContain(sessionId);
    }
    // The genuine cookie still works.
    expect((await server.client.request(sessionPath("session", sessionId))).status).toBe(200);
  });

  it("POST /api/sessions with a forged cookie mints a new owner with an HttpOnly SameSite=Lax cookie", async () => {
    const server = await startServer();
    const victimSession = await server.client.createSession();
    for (const forged of [
      "chat_replay_owner=short",
      `chat_replay_owner=${"A".repeat(10 * 1024)}`,
      "chat_replay_owner=a%00b",
    ]) {
      const as = callerWithCookie(server, forged);
      const response = await as("/api/sessions", postJson({}));
      expect(response.status).toBe(201);
      const setCookie = response.headers.get("set-cookie") ?? "";
      const attributes = setCookie.split(";").map((part) => part.trim());
      expect(attributes[0]).toMatch(OWNER_COOKIE_PATTERN);
      expect(attributes[0]).not.toBe(forged);
      expect(attributes).toContain("HttpOnly");
      expect(attributes).toContain("SameSite=Lax");
      expect(attributes).toContain("Path=/");
      const { id } = (await response.json()) as { id: string };

      // The minted cookie owns the new session; the forged cookie still owns nothing.
      const minted = callerWithCookie(server, attributes[0]!);
      expect((await minted(sessionPath("session", id))).status).toBe(200);
      await expectJsonError(await as(sessionPath("session", id)), 404, "not_found");
      await expectJsonError(await minted(sessionPath("session", victimSession)), 404, "not_found");
    }
  });
});

// ---------------------------------------------------------------------------------------
// Request limits and validation
// ---------------------------------------------------------------------------------------

describe("request limits", () => {
  it("a body over 1 MiB sent with content-length gets 413 payload_too_large and starts nothing", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const before = await server.client.status(sessionId);
    const body = Buffer.from(JSON.stringify({ message: validMessage(), pad: "x".repeat(MIB) }));
    const response = await postOnOwnConnection(
      server,
      sessionPath("messages", sessionId),
      { cookie: server.client.cookie! },
      body,
      { chunked: false },
    );
    expectRawJsonError(response, 413, "payload_too_large");
    expect(await server.client.status(sessionId)).toEqual(before);
    await expectNormalTurnWorks(server);
  });

  it("a chunked body over 1 MiB (no content-length) gets 413 payload_too_large and starts nothing", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const before = await server.client.status(sessionId);
    const body = Buffer.from(JSON.stringify({ message: validMessage(), pad: "x".repeat(MIB) }));
    const response = await postOnOwnConnection(
      server,
      sessionPath("messages", sessionId),
      { cookie: server.client.cookie! },
      body,
      { chunked: true },
    );
    expectRawJsonError(response, 413, "payload_too_large");
    expect(await server.client.status(sessionId)).toEqual(before);
    // Also on the session-creation route, which any anonymous caller can reach.
    const create = await postOnOwnConnection(server, "/api/sessions", {}, Buffer.alloc(MIB + 1, 0x20), {
      chunked: true,
    });
    expectRawJsonError(create, 413, "payload_too_large");
    await expectNormalTurnWorks(server);
  });

  it("a body of exactly 1 MiB is not rejected as too large", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const prefix = JSON.stringify({ message: validMessage() }).slice(0, -1);
    const body = `${prefix},"pad":"${"x".repeat(MIB - prefix.length - 10)}"}`;
    expect(Buffer.byteLength(body)).toBe(MIB);
    const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
    expect(response.status).toBe(200);
    await readEvents(response);
  });

  it("invalid JSON gets 400 bad_request", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    for (const body of ["{nope", '{"message":', "\u0000", "undefined", '{"message":{"id":"a",}}', "[1,2"]) {
      const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
      const error = await expectJsonError(response, 400, "bad_request");
      expect(error.error.message).toMatch(/body/);
    }
    for (const path of [
      "/api/sessions",
      sessionPath("continue", sessionId),
      sessionPath("cancel", sessionId),
    ]) {
      await expectJsonError(await server.client.request(path, postJson("{nope")), 400, "bad_request");
    }
  });

  it.each(SHAPE_CASES)(
    "a malformed prompt body ($name) gets 400 bad_request, never 5xx, and starts nothing",
    async ({ body }) => {
      const server = await startServer();
      const sessionId = await server.client.createSession();
      const before = await server.client.status(sessionId);
      const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
      await expectJsonError(response, 400, "bad_request");
      expect(await server.client.status(sessionId)).toEqual(before);
    },
  );

  it.each(SHAPE_CASES.filter((shape) => !shape.misnamed))(
    "the 400 for a malformed prompt body ($name) names the field",
    async ({ body, field }) => {
      const server = await startServer();
      const sessionId = await server.client.createSession();
      const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
      const error = await expectJsonError(response, 400, "bad_request");
      expect(error.error.message).toMatch(field);
    },
  );

  // BUG: request-schemas.ts `sendMessageBodySchema` is a z.union of `{ message }` and `{ messages }`;
  // when both branches fail, zod reports one `invalid_union` issue with an empty path, and
  // `describeIssue` turns it into "body: Invalid input", which names no field. For "numeric part
  // text" the message comes from routes/prompt-body.ts `parsePrompt`, which keeps only the first line of
  // the AI SDK's TypeValidationError ("Type validation failed: Value: <the whole message>") and drops
  // the line that says which field is wrong.
  it.each(SHAPE_CASES.filter((shape) => shape.misnamed))(
    "the 400 for a malformed prompt body ($name) names the field",
    async ({ body, field }) => {
      const server = await startServer();
      const sessionId = await server.client.createSession();
      const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
      const error = await expectJsonError(response, 400, "bad_request");
      expect(error.error.message).toMatch(field);
    },
  );

  // BUG: routes/prompt-body.ts `parsePrompt` answers a message the AI SDK rejects with
  // `message: ${error.message.split("\n")[0]}`; that first line is "Type validation failed: Value:
  // <JSON of the whole message>", so the 400 reflects up to ~1 MiB of the caller's input.
  // Repro: POST /messages {message:{id:"a",role:"user",parts:[{type:"text",text:5}],metadata:{pad:"y".repeat(200000)}}}
  // → 400 whose error.message is > 200 kB and contains the pad.
  it("a 400 for a rejected message does not echo the request body back", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const marker = `canary-${"y".repeat(2_000)}`;
    const body = { message: validMessage({ parts: [{ type: "text", text: 5 }], metadata: { marker } }) };
    const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
    const error = await expectJsonError(response, 400, "bad_request");
    expect(error.error.message).not.toContain("canary-");
    expect(error.error.message.length).toBeLessThan(500);
  });

  // BUG: request-schemas.ts `uiMessage.metadata` is `z.unknown()` with no depth limit, so a prompt
  // whose metadata nests 10,000 levels (60 kB, far under the body limit) is accepted (200) and
  // stored; afterwards every GET /api/sessions/:id of that session answers 500 "internal"
  // (routes/session-read-routes.ts getSessionRoute → c.json → JSON.stringify: "Maximum call stack size exceeded").
  // Repro: POST /messages {"message":{"id":"a","role":"user","parts":[{"type":"text","text":"x"}],
  // "metadata":{"a":{"a":…10,000 levels…1}}}} → 200; then GET /api/sessions/:id → 500.
  it("a prompt whose metadata nests 10,000 levels gets 400 and the session history stays readable", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const metadata = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const body = `{"message":{"id":"deep","role":"user","parts":[{"type":"text","text":"hi [[words=3]]"}],"metadata":${metadata}}}`;
    const response = await server.client.request(sessionPath("messages", sessionId), postJson(body));
    if (response.status === 200) {
      await readEvents(response);
      await server.client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    }
    const history = await server.client.request(sessionPath("session", sessionId));
    expect(history.status).toBe(200);
    await expectJsonError(response, 400, "bad_request");
  });

  it.each([
    { name: "empty text", parts: [textPart("")] },
    { name: "blank text", parts: [textPart("   \n\t  ")] },
    { name: "several blank text parts", parts: [textPart(" "), textPart("\n")] },
    { name: "no text part at all", parts: [{ type: "step-start" }] },
  ])("an empty or blank prompt ($name) gets 400 bad_request naming message.parts", async ({ parts }) => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const before = await server.client.status(sessionId);
    const response = await server.client.request(
      sessionPath("messages", sessionId),
      postJson({ message: validMessage({ parts }) }),
    );
    const error = await expectJsonError(response, 400, "bad_request");
    expect(error.error.message).toMatch(/message\.parts/);
    expect(await server.client.status(sessionId)).toEqual(before);
    expect(await server.client.history(sessionId)).toEqual([]);
  });

  it("the stock AI SDK body { id, messages, trigger } is accepted (200 SSE) and its last message is the prompt", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const earlier = userMessage("an earlier question");
    const answer: UIMessage = {
      id: "assistant-1",
      role: "assistant",
      parts: [{ type: "text", text: "an answer" }],
    };
    const prompt = userMessage("the new question [[words=6]]");
    const response = await server.client.request(
      sessionPath("messages", sessionId),
      postJson({
        id: sessionId,
        messages: [earlier, answer, prompt],
        trigger: "submit-message",
        messageId: undefined,
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const { events } = await readEvents(response);
    const message = await assemble(chunksOf(events));
    expect(message?.parts.some((part) => part.type === "text" && part.text.length > 0)).toBe(true);
    await server.client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const history = await server.client.history(sessionId);
    expect(history.filter((row) => row.role === "user")).toEqual([prompt]);
  });

  it("more than maxStreamsPerSession concurrent streams get 429 too_many_streams until one closes", {
    timeout: 30_000,
  }, async () => {
    const server = await startServer({ limits: { maxStreamsPerSession: 2 } });
    const { client } = server;
    const sessionId = await client.createSession();
    const { runId } = await startSlowTurn(client, sessionId); // drops its POST stream
    const bubble = `${sessionId}:${runId}`;

    // The POST stream's slot is released asynchronously; retry until both slots are ours.
    const first = await openStreamWhenAccepted(client, sessionId);
    const second = await openStreamWhenAccepted(client, sessionId);
    expect([first.status, second.status]).toEqual([200, 200]);

    const refused = await client.stream(sessionId);
    await expectJsonError(refused, 429, "too_many_streams");
    const refusedWithCursor = await client.stream(sessionId, "1-0:0");
    await expectJsonError(refusedWithCursor, 429, "too_many_streams");
    // The limit is per session: another session of the same owner can still stream.
    const otherSession = await client.createSession();
    const otherTurn = await client.send(otherSession, SLOW_PROMPT);
    expect(otherTurn.status).toBe(200);
    await otherTurn.body?.cancel();

    // The open streams still work: each starts with the bubble's `start`.
    await expectFullReplay(first, bubble); // reads one frame, then closes the stream
    await second.body?.cancel();
    const again = await openStreamWhenAccepted(client, sessionId);
    await expectFullReplay(again, bubble);
    await cancelTurn(client, sessionId);
    await expectNormalTurnWorks(server);
  });

  // BUG: Hono answers HEAD by running the GET handler and discarding the Response body without
  // cancelling it (hono-base.js: `new Response(null, await dispatch(..., "GET"))`). For
  // GET /:id/stream that body is a reader from routes/open-reader.ts `openReader()`: it took a slot in
  // the stream limits, and its `onClose` never runs, so every HEAD /stream during a turn leaks a slot
  // forever. Repro: maxStreamsPerSession 2; start a slow turn and drop its POST stream; send
  // HEAD /stream twice (200 each); cancel the turn; POST /messages → 429 too_many_streams, for good.
  it("HEAD /stream does not use up the session's stream slots", { timeout: 30_000 }, async () => {
    const server = await startServer({ limits: { maxStreamsPerSession: 2 } });
    const { client } = server;
    const sessionId = await client.createSession();
    await startSlowTurn(client, sessionId);
    let accepted = 0;
    await eventually(async () => {
      const head = await client.request(sessionPath("stream", sessionId), { method: "HEAD" });
      if (head.status === 200 || head.status === 405) accepted++;
      return accepted >= 2 ? true : undefined;
    }, "two HEAD requests to be answered");
    await cancelTurn(client, sessionId);
    const next = await client.send(sessionId, "next turn [[words=3]]");
    expect(next.status).toBe(200);
    await readEvents(next);
  });
});

// ---------------------------------------------------------------------------------------
// Hostile paths and methods
// ---------------------------------------------------------------------------------------

describe("hostile paths and methods", () => {
  it("traversal, huge, unicode and badly encoded session ids get a 404 not_found JSON on every route", async () => {
    const server = await startServer();
    await server.client.createSession();
    const ids = [
      "..%2F..%2Fetc",
      "..%2F..%2Fetc%2Fpasswd",
      "%2e%2e%2f%2e%2e%2fetc",
      "..%5C..%5Cwindows",
      "a".repeat(10 * 1024),
      "a".repeat(65),
      encodeURIComponent("セッション😀"),
      encodeURIComponent("١٢٣"),
      "%ZZ",
      "%C0%AF",
      "%00",
      "%0D%0AX-Injected:%201",
      "__proto__",
      "constructor",
      encodeURIComponent("<script>"),
    ];
    const routes: Array<[string, string, RequestInit?]> = [
      ["GET", ""],
      ["GET", "/status"],
      ["GET", "/stream"],
      ["POST", "/messages", postJson({ message: validMessage() })],
      ["POST", "/continue", postJson({ decisions: [{ approvalId: "x", approved: true }] })],
      ["POST", "/cancel", postJson({})],
    ];
    for (const id of ids) {
      for (const [method, suffix, init] of routes) {
        const response = await server.client.request(`/api/sessions/${id}${suffix}`, { method, ...init });
        expect(response.headers.get("x-injected")).toBeNull();
        await expectJsonError(response, 404, "not_found");
      }
    }
    // Unnormalized dot segments, which fetch would resolve before sending.
    for (const path of [
      "/api/sessions/../../etc/passwd",
      "/api/sessions/./../sessions/x/status",
      "/api/sessions/%2e%2e/%2e%2e/etc",
    ]) {
      const response = await rawHttp(server, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expectRawJsonError(response, 404, "not_found");
    }
    await expectNormalTurnWorks(server);
  });

  it("unknown routes get a 404 not_found JSON", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    for (const path of [
      "/",
      "/api",
      "/api/nope",
      "/api/sessions/",
      "/.env",
      "/favicon.ico",
      `/api/sessions/${sessionId}/unknown`,
      `/api/sessions/${sessionId}/stream/extra`,
      `/api/sessions/${sessionId}/status.json`,
      "/api/sessions/x/y/z",
    ]) {
      await expectJsonError(await server.client.request(path), 404, "not_found");
      await expectJsonError(await server.client.request(path, postJson({})), 404, "not_found");
    }
  });

  it("wrong methods get a 404 or 405 JSON error, never 500, and change nothing", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    const calls: Array<[string, string]> = [
      ["PUT", sessionPath("session", sessionId)],
      ["PATCH", sessionPath("session", sessionId)],
      ["POST", sessionPath("session", sessionId)],
      ["GET", sessionPath("messages", sessionId)],
      ["PUT", sessionPath("messages", sessionId)],
      ["GET", sessionPath("continue", sessionId)],
      ["GET", sessionPath("cancel", sessionId)],
      ["DELETE", sessionPath("cancel", sessionId)],
      ["POST", sessionPath("status", sessionId)],
      ["POST", sessionPath("stream", sessionId)],
      ["OPTIONS", sessionPath("session", sessionId)],
      ["GET", "/api/sessions"],
      ["DELETE", "/api/sessions"],
      ["PUT", "/api/sessions"],
    ];
    for (const [method, path] of calls) {
      const init: RequestInit =
        method === "GET" || method === "OPTIONS" ? { method } : { method, body: "{}" };
      await expectJsonError(await server.client.request(path, init), [404, 405]);
    }
    const session = await server.client.request(sessionPath("session", sessionId));
    expect(session.status).toBe(200);
    expect(await server.client.status(sessionId)).toMatchObject({
      turn_status: "idle",
      version: expect.any(Number),
    });
  });
});

// ---------------------------------------------------------------------------------------
// Cursors (§6, §8.19, §8.25, §8.28)
// ---------------------------------------------------------------------------------------

describe("malformed cursors (§8.19)", () => {
  it("on a session that never ran, every malformed cursor gets 204 with x-chat-replay-cursor: ignored", async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    expect(await malformedCursorViolations(server.client, sessionId, expectNoContent)).toEqual([]);
    await expectNormalTurnWorks(server);
  });

  it("during a running turn, every malformed cursor gets a full replay starting with start, cursor ignored", {
    timeout: 60_000,
  }, async () => {
    const server = await startServer({ limits: { maxStreamsPerSession: 1_000 } });
    const sessionId = await server.client.createSession();
    const { runId } = await startSlowTurn(server.client, sessionId);
    const start = JSON.stringify({ type: "start", messageId: `${sessionId}:${runId}` });
    const violations = await malformedCursorViolations(server.client, sessionId, async (response) => {
      if (response.status !== 200) return `status ${response.status}, expected 200`;
      const mode = response.headers.get(HEADERS.replayMode);
      if (mode !== "full") return `${HEADERS.replayMode}=${mode}`;
      const [first] = await firstEvents(response, 1);
      return first?.data === start && first.id === undefined ? null : `first event ${JSON.stringify(first)}`;
    });
    expect(violations).toEqual([]);
    expect((await server.client.status(sessionId)).turn_status).toBe("running");
    await cancelTurn(server.client, sessionId);
    await expectNormalTurnWorks(server);
  });

  it("after a finished turn, every malformed cursor gets 204 with x-chat-replay-cursor: ignored", {
    timeout: 30_000,
  }, async () => {
    const server = await startServer();
    const sessionId = await server.client.createSession();
    await runShortTurn(server.client, sessionId);
    expect(await malformedCursorViolations(server.client, sessionId, expectNoContent)).toEqual([]);
    await expectNormalTurnWorks(server);
  });
});

describe("stale cursors (§8.25, §8.28)", () => {
  it("future ids and other turns' ids are stale: a full replay while running, finish-only after the turn", {
    timeout: 30_000,
  }, async () => {
    const server = await startServer();
    const { client } = server;
    const otherSession = await client.createSession();
    const [otherSessionEventId] = await runShortTurn(client, otherSession);
    const sessionId = await client.createSession();
    const previousTurn = await runShortTurn(client, sessionId);
    const staleCursors = [
      "99999999999999-0:0",
      "99999999999999-0",
      "99999999999999-99999:99999",
      previousTurn[0]!,
      previousTurn[Math.floor(previousTurn.length / 2)]!,
      otherSessionEventId!,
    ];

    // Running: a turn long enough to outlast the checks, which then finishes on its own.
    const post = await client.send(sessionId, "Medium answer [[words=150]] [[delay=10]]");
    expect(post.status).toBe(200);
    const currentId = (await firstEvents(post, 2)).findLast((event) => event.id)!.id!;
    const { curr_run_id: runId } = await client.status(sessionId);
    for (const cursor of staleCursors) {
      const response = await client.stream(sessionId, cursor);
      expect({ cursor, header: response.headers.get(HEADERS.cursor) }).toEqual({ cursor, header: "stale" });
      await expectFullReplay(response, `${sessionId}:${runId}`);
    }
    // Control: an id of the running turn is valid, so the same request resumes instead.
    const valid = await client.stream(sessionId, currentId);
    expect(valid.headers.get(HEADERS.replayMode)).toBe("resume");
    expect(valid.headers.get(HEADERS.cursor)).toBeNull();
    await valid.body?.cancel();

    // After the turn: finish-only, no start, still marked stale.
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    for (const cursor of staleCursors) {
      const response = await client.stream(sessionId, cursor);
      expect({ cursor, header: response.headers.get(HEADERS.cursor) }).toEqual({ cursor, header: "stale" });
      await expectFinishOnly(response);
    }
    await expectNormalTurnWorks(server);
  });
});

// ---------------------------------------------------------------------------------------
// Resilience
// ---------------------------------------------------------------------------------------

describe("resilience", () => {
  it("after a barrage of hostile requests, the same server still runs a normal turn", {
    timeout: 60_000,
  }, async () => {
    const server = await startServer({ limits: { maxStreamsPerSession: 3 } });
    const owner = server.client;
    const sessionId = await owner.createSession();
    const token = ownerToken(owner);
    const responses: Response[] = [];
    const record = async (response: Promise<Response>) => responses.push(await response);

    // Identity attacks.
    for (const cookie of [
      "chat_replay_owner=x",
      `chat_replay_owner=${"B".repeat(10 * 1024)}`,
      `chat_replay_owner=${token}%00`,
    ]) {
      for (const { call } of sessionRouteCalls(sessionId, "1-0:0"))
        await record(call(callerWithCookie(server, cookie)));
    }
    for (const { call } of sessionRouteCalls(sessionId, "1-0:0"))
      await record(call(callerOf(server.newClient())));
    // Oversized bodies (own connections) and raw protocol abuse.
    for (const chunked of [false, true]) {
      const big = Buffer.alloc(MIB + 10, 0x61);
      const response = await postOnOwnConnection(
        server,
        sessionPath("messages", sessionId),
        { cookie: owner.cookie! },
        big,
        {
          chunked,
        },
      );
      expect(response.status).toBe(413);
    }
    await rawHttp(
      server,
      "GET /api/sessions/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    await rawHttp(
      server,
      `GET / HTTP/1.1\r\nHost: x\r\nCookie: chat_replay_owner=\x01\r\nConnection: close\r\n\r\n`,
    );
    // Malformed bodies and paths.
    for (const { body } of SHAPE_CASES)
      await record(owner.request(sessionPath("messages", sessionId), postJson(body)));
    await record(owner.request(sessionPath("messages", sessionId), postJson("{nope")));
    for (const id of ["..%2F..%2Fetc", "a".repeat(10 * 1024), encodeURIComponent("😀")]) {
      await record(owner.request(`/api/sessions/${id}/stream`));
    }
    await record(owner.request(sessionPath("session", sessionId), { method: "PUT", body: "{}" }));
    await record(owner.request(sessionPath("messages", sessionId)));
    // Cursor abuse on an idle session, then a running one, plus stream exhaustion.
    for (const raw of MALFORMED_CURSORS) await record(streamWithCursor(owner, sessionId, raw, "query"));
    const { eventId } = await startSlowTurn(owner, sessionId);
    const held: Response[] = [];
    for (let i = 0; i < 6; i++)
      held.push(await owner.stream(sessionId, i % 2 === 0 ? "99999999999999-0:0" : eventId));
    for (const response of held) await response.body?.cancel();
    await record(owner.send(sessionId, "a second prompt while running"));
    await cancelTurn(owner, sessionId);

    expect(responses.length).toBeGreaterThan(100);
    for (const response of responses) {
      expect(response.status).toBeLessThan(500);
      if (response.status >= 400) await expectJsonError(response, response.status);
      else await response.body?.cancel();
    }
    expect(held.some((response) => response.status === 429)).toBe(true);
    expect(held.every((response) => response.status === 200 || response.status === 429)).toBe(true);

    await expectNormalTurnWorks(server);
    // The attacked session itself is still usable by its owner.
    const next = await openStreamWhenAccepted(owner, sessionId);
    expect(next.status).toBe(204);
    const turn = await owner.send(sessionId, "back to normal [[words=4]]");
    expect(turn.status).toBe(200);
    const message = await assemble(chunksOf((await readEvents(turn)).events));
    expect(message?.parts.some((part) => part.type === "text" && part.text.length > 0)).toBe(true);
  });
});
