import { ChatReplayError } from "@chat-replay/protocol";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { createJsonLogger } from "../src/observability/replay-logger";
import { SPAN_ATTRIBUTES } from "../src/observability/replay-tracing";
import { PostgresSessionStore } from "../src/postgres/postgres-session-store";
import { createPrometheusMetrics } from "../src/prometheus";
import { createRedisStores } from "../src/redis-stores";
import type { Checkpoint } from "../src/stream-store";
import { readEvents, startServer, type TestClient } from "./harness";
import { describeWithPostgres } from "./postgres-env";
import { describeWithRedis, hasRedisServerBinary, OwnRedis, uniquePrefix } from "./redis-env";

/** Waits for a condition (never for a time): polls until it holds or `what` is reported as not reached. */
async function until<T>(what: string, read: () => Promise<T> | T, holds: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One whole turn: its SSE events (read to the end). */
async function turn(client: TestClient, sessionId: string, text: string) {
  const response = await client.send(sessionId, text);
  expect(response.status).toBe(200);
  return (await readEvents(response)).events;
}

/** The value of one sample of a Prometheus exposition, or undefined. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("health endpoints", () => {
  it("GET /healthz and /readyz answer without credentials, at the root and under the base path, before any auth", async () => {
    const { baseUrl } = await startServer({ basePath: "/chat", identify: () => null });
    for (const path of ["/healthz", "/chat/healthz"]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    }
    for (const path of ["/readyz", "/chat/readyz"]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ready",
        checks: [
          { store: "memory", role: "stream", ok: true },
          { store: "memory", role: "session", ok: true },
        ],
      });
    }
    // Without metrics there is no /metrics.
    expect((await fetch(`${baseUrl}/chat/metrics`)).status).toBe(404);
  });

  if (hasRedisServerBinary) {
    it("GET /readyz answers 503 naming Redis (no URL, no port) once the Redis it uses is gone, and /healthz stays 200", async () => {
      const redis = await OwnRedis.start();
      const stores = createRedisStores({ url: redis.url, keyPrefix: uniquePrefix("ready"), log: () => {} });
      const { baseUrl } = await startServer(stores.serverOptions);
      const guarded = stores.guard((request) => fetch(new URL(new URL(request.url).pathname, baseUrl)));
      expect((await guarded(new Request("http://probe/readyz"))).status).toBe(200);
      await redis.stop();
      const refused = await until(
        "readyz 503",
        () => guarded(new Request("http://probe/readyz")),
        (response) => response.status === 503,
      );
      const text = await refused.text();
      const body = JSON.parse(text) as {
        status: string;
        error: { code: string; message: string };
        checks: { store: string; role: string; ok: boolean }[];
      };
      expect(body.status).toBe("unavailable");
      expect(body.error.code).toBe("not_ready");
      expect(body.error.message).toMatch(/redis \(stream store\)/);
      expect(body.checks.filter((check) => !check.ok).map((check) => check.store)).toContain("redis");
      expect(text).not.toContain(String(redis.port));
      expect(text).not.toContain("redis://");
      expect(refused.headers.get("retry-after")).toBe("1");
      // Liveness is not readiness: the process still serves.
      expect((await guarded(new Request("http://probe/healthz"))).status).toBe(200);
      await stores.sessionStore.close();
      await stores.streamStore.close();
    });
  }
});

describeWithPostgres("readiness with Postgres history", (db) => {
  it("GET /readyz checks Postgres and answers 503 naming it once its connection is gone", async () => {
    const sql = db.connect();
    const sessions = new PostgresSessionStore({ sql, live: new MemorySessionStore() });
    const { baseUrl } = await startServer({ sessionStore: sessions });
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual({
      store: "postgres",
      role: "session",
      ok: true,
    });
    await sql.end({ timeout: 1 });
    const refused = await until(
      "readyz 503",
      () => fetch(`${baseUrl}/readyz`),
      (response) => response.status === 503,
    );
    const text = await refused.text();
    expect(text).toMatch(/postgres \(session store\)/);
    expect(text).not.toContain("postgres://");
    expect(text).not.toContain(db.url);
  });
});

describeWithRedis("readiness with Redis", (url) => {
  it("GET /readyz answers 200 with both Redis stores checked", async () => {
    const stores = createRedisStores({ url, keyPrefix: uniquePrefix("ready-ok"), log: () => {} });
    const { baseUrl } = await startServer(stores.serverOptions);
    const response = await fetch(`${baseUrl}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      checks: [
        { store: "redis", role: "stream", ok: true },
        { store: "redis", role: "session", ok: true },
      ],
    });
  });
});

/** A stream store whose checkpoint lookups fail while `failing` is set (a store outage). */
class FlakyStreamStore extends MemoryStreamStore {
  failing = false;
  override checkpoint(key: string, entryId: string): Promise<Checkpoint | null> {
    if (this.failing) return Promise.reject(new ChatReplayError("store_unavailable", "down"));
    return super.checkpoint(key, entryId);
  }
}

describe("metrics", () => {
  it("GET /metrics counts attaches by mode and cursor, resume latency, reader lag, turns by outcome, 429s and store errors", async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    const streamStore = new FlakyStreamStore();
    const { baseUrl, client } = await startServer({
      metrics,
      streamStore,
      limits: { maxTurnsPerMinute: 2 },
      logLevel: "silent",
    });
    const id = await client.createSession();
    const events = await turn(client, id, "hello [[words=30]] [[delay=2]]");
    const cursor = events.map((event) => event.id).filter((eventId) => eventId && eventId !== "0-0")[3]!;

    // §6: valid cursor → resume; a cursor of no turn → stale (finish-only); garbage → ignored (204).
    const resumed = await client.stream(id, cursor);
    expect(resumed.headers.get("x-chat-replay-mode")).toBe("resume");
    await readEvents(resumed);
    const stale = await client.stream(id, "1-0:0");
    expect(stale.headers.get("x-chat-replay-mode")).toBe("finish-only");
    await stale.text();
    expect((await client.stream(id, "garbage")).status).toBe(204);

    // A failed turn, then a refused one (two turns per minute).
    await turn(client, id, "fail please [[fail_after=2]]");
    expect((await client.send(id, "one too many")).status).toBe(429);

    // A store outage during a resume: 503, one store error.
    streamStore.failing = true;
    expect((await client.stream(id, cursor)).status).toBe(503);
    streamStore.failing = false;

    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'chat_replay_attaches_total{mode="resume",cursor="valid"}')).toBe(1);
    expect(sample(text, 'chat_replay_attaches_total{mode="finish_only",cursor="stale"}')).toBe(1);
    expect(sample(text, 'chat_replay_attaches_total{mode="no_content",cursor="ignored"}')).toBe(1);
    expect(sample(text, 'chat_replay_attaches_total{mode="full",cursor="none"}')).toBe(0);
    expect(sample(text, 'chat_replay_resume_latency_seconds_count{mode="resume"}')).toBe(1);
    expect(sample(text, "chat_replay_reader_lag_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, 'chat_replay_turns_ended_total{outcome="finished"}')).toBe(1);
    expect(sample(text, 'chat_replay_turns_ended_total{outcome="failed"}')).toBe(1);
    expect(sample(text, 'chat_replay_turns_ended_total{outcome="stopped"}')).toBe(0);
    expect(sample(text, 'chat_replay_rate_limited_total{code="rate_limited"}')).toBe(1);
    expect(sample(text, 'chat_replay_store_errors_total{store="custom"}')).toBe(1);
    expect(sample(text, 'chat_replay_active_turns{state="running"}')).toBe(0);
    expect(sample(text, "chat_replay_open_readers")).toBe(0);
  });

  it("counts open readers and running turns while a turn streams", async () => {
    const metrics = createPrometheusMetrics({ processMetrics: false });
    const { baseUrl, client } = await startServer({ metrics });
    const id = await client.createSession();
    const abort = new AbortController();
    const response = await client.send(id, "long [[words=100000]] [[delay=5]]", { signal: abort.signal });
    const read = readEvents(response, { stopAfter: 3, abort });
    const text = await until(
      "a running turn and its reader",
      async () => (await fetch(`${baseUrl}/metrics`)).text(),
      (body) =>
        sample(body, 'chat_replay_active_turns{state="running"}') === 1 &&
        sample(body, "chat_replay_open_readers") === 1,
    );
    expect(sample(text, 'chat_replay_active_turns{state="waiting_for_approval"}')).toBe(0);
    await read;
    await client.request(`/api/sessions/${id}/cancel`, { method: "POST", body: "{}" });
    await until(
      "the stopped turn counted",
      async () => (await fetch(`${baseUrl}/metrics`)).text(),
      (body) => sample(body, 'chat_replay_turns_ended_total{outcome="stopped"}') === 1,
    );
  });
});

describe("traces", () => {
  it("one span per turn and one per connection linked to it, with the resume's mode, cursor verdict, snapshot use, entries replayed and lag", async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const { client } = await startServer({ tracerProvider });
    const id = await client.createSession();
    const events = await turn(client, id, "trace me [[words=40]] [[delay=1]]");
    const cursor = events.map((event) => event.id).filter((eventId) => eventId && eventId !== "0-0")[5]!;
    await readEvents(await client.stream(id, cursor));

    const spans = await until(
      "turn, send and stream spans",
      () => exporter.getFinishedSpans(),
      (finished) =>
        ["chat_replay.turn", "chat_replay.send", "chat_replay.stream"].every((name) =>
          finished.some((span) => span.name === name),
        ),
    );
    const turnSpan = spans.find((span) => span.name === "chat_replay.turn")!;
    const send = spans.find((span) => span.name === "chat_replay.send")!;
    const stream = spans.find((span) => span.name === "chat_replay.stream")!;
    const runId = turnSpan.attributes[SPAN_ATTRIBUTES.runId];
    expect(typeof runId).toBe("string");
    expect(turnSpan.attributes[SPAN_ATTRIBUTES.sessionId]).toBe(id);
    expect(turnSpan.attributes[SPAN_ATTRIBUTES.outcome]).toBe("finished");
    expect(turnSpan.parentSpanContext).toBeUndefined();
    // The turn links to the connection that started it; every connection links to the turn.
    expect(turnSpan.links.map((link) => link.context.spanId)).toContain(send.spanContext().spanId);
    for (const connection of [send, stream]) {
      expect(connection.attributes[SPAN_ATTRIBUTES.runId]).toBe(runId);
      expect(connection.links.map((link) => link.context.spanId)).toContain(turnSpan.spanContext().spanId);
    }
    expect(send.attributes[SPAN_ATTRIBUTES.route]).toBe("send");
    expect(send.attributes[SPAN_ATTRIBUTES.end]).toBe("finish");
    expect(send.attributes[SPAN_ATTRIBUTES.entriesLive]).toBeGreaterThan(0);
    expect(typeof send.attributes[SPAN_ATTRIBUTES.lagMaxMs]).toBe("number");
    expect(stream.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.route]: "stream",
      [SPAN_ATTRIBUTES.mode]: "resume",
      [SPAN_ATTRIBUTES.cursor]: "valid",
      [SPAN_ATTRIBUTES.snapshotUsed]: false,
      [SPAN_ATTRIBUTES.end]: "finish",
      [SPAN_ATTRIBUTES.entriesLive]: 0,
    });
    // The turn had ended: every entry the resume sent was replayed, none was live.
    expect(stream.attributes[SPAN_ATTRIBUTES.entriesReplayed]).toBeGreaterThan(0);
    expect(typeof stream.attributes[SPAN_ATTRIBUTES.firstFrameMs]).toBe("number");
    await tracerProvider.shutdown();
  });
});

describe("logs", () => {
  it("a normal turn, its resume and status polls log nothing at info", async () => {
    const lines: string[] = [];
    const { client } = await startServer({ logger: createJsonLogger({ write: (line) => lines.push(line) }) });
    const id = await client.createSession();
    const events = await turn(client, id, "all is well [[words=20]]");
    await readEvents(await client.stream(id, events.at(-3)?.id ?? "0-0"));
    for (let poll = 0; poll < 5; poll++)
      expect((await client.request(`/api/sessions/${id}/status`)).status).toBe(200);
    expect(lines).toEqual([]);
  });

  it("a failed turn logs exactly one JSON line with its cause and ids, and never the owner token or the prompt", async () => {
    const lines: string[] = [];
    const { client } = await startServer({
      logger: createJsonLogger({ level: "debug", write: (line) => lines.push(line) }),
    });
    const id = await client.createSession();
    const prompt = "please keep this prompt private";
    await turn(client, id, `${prompt} [[words=50]] [[fail_after=3]]`);
    await until(
      "the failed turn's line",
      () => lines,
      (logged) => logged.some((line) => line.includes("turn failed")),
    );
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = records.filter((record) => record.msg === "turn failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: "error", session_id: id });
    expect(typeof failed[0]!.time).toBe("string");
    expect(typeof failed[0]!.run_id).toBe("string");
    expect(typeof failed[0]!.request_id).toBe("string");
    expect(String(failed[0]!.cause)).toMatch(/^model error [0-9a-f]{8}: /);
    // At info only that line; at debug nothing else leaks either.
    expect(records.filter((record) => record.level !== "debug")).toHaveLength(1);
    const token = client.cookie!.split("=")[1]!;
    for (const line of lines) {
      expect(line).not.toContain(prompt);
      expect(line).not.toContain(token);
    }
  });
});
