import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ChatReplayError } from "@chat-replay/protocol";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { parseCliOptions } from "../src/cli";
import { toNodeHandler } from "../src/node";
import type { ReplayServerOptions } from "../src/replay-options";
import { createReplayServer } from "../src/replay-server";
import { createScriptedModel } from "../src/scripted-model";
import { readText, startServer, TEST_SECRET, TestClient } from "./harness";

/**
 * Issue 15, mounting: a `basePath`, a Hono sub-app (`route` and `mount`), Node handlers
 * behind frameworks that already parsed the body, and a main entry that loads on any
 * runtime with Web Request/Response (no `node:` modules, no Redis client).
 */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const options = (extra: Partial<ReplayServerOptions> = {}): ReplayServerOptions => ({
  model: createScriptedModel({ defaults: { delayMs: 0 } }),
  secret: TEST_SECRET,
  ...extra,
});

/** Listens with a fetch handler on loopback; closed after the test. */
async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<string> {
  const http = await new Promise<ReturnType<typeof serve>>((done) => {
    const instance = serve({ fetch, port: 0, hostname: "127.0.0.1" }, () => done(instance));
  });
  closers.push(
    () =>
      new Promise<void>((done) => {
        (http as unknown as Server).closeAllConnections();
        http.close(() => done());
      }),
  );
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** One whole turn through `client`: create, send, read to `finish`, history stored. */
async function driveTurn(client: TestClient): Promise<void> {
  const sessionId = await client.createSession();
  const response = await client.send(sessionId, "mounted [[words=5]]");
  expect(response.status).toBe(200);
  expect(await readText(response)).toContain('"type":"finish"');
  await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
  const history = await client.history(sessionId);
  expect(history.map((message) => message.role)).toEqual(["user", "assistant"]);
}

describe("mounting (issue 15)", () => {
  it("basePath serves every route under the prefix and nothing at /api/sessions", async () => {
    const server = await startServer({ basePath: "/chat/" });
    await driveTurn(new TestClient(`${server.baseUrl}/chat`));
    const bare = await new TestClient(server.baseUrl).request("/api/sessions", {
      method: "POST",
      body: "{}",
    });
    expect(bare.status).toBe(404);
    expect(await bare.json()).toEqual({ error: { code: "not_found", message: "No such route." } });
  });

  it("a bad basePath or a missing model is a typed error at creation, not a broken server", () => {
    expect(() => createReplayServer(options({ basePath: "chat" }))).toThrow(ChatReplayError);
    expect(() => createReplayServer({} as ReplayServerOptions)).toThrow(/`model` is required/);
    try {
      createReplayServer({} as ReplayServerOptions);
    } catch (error) {
      expect(ChatReplayError.isInstance(error) && error.code).toBe("invalid_options");
    }
  });

  it("works as a Hono sub-app: parent.route(prefix, server.app), errors keep their JSON shape", async () => {
    const replay = createReplayServer(options());
    closers.push(() => replay.close());
    const parent = new Hono();
    parent.get("/", (c) => c.text("the app's own page"));
    parent.route("/chat", replay.app);
    const baseUrl = await listen(parent.fetch);
    const client = new TestClient(`${baseUrl}/chat`);
    await driveTurn(client);
    const sessionId = await client.createSession();
    const bad = await client.request(`/api/sessions/${sessionId}/messages`, {
      method: "POST",
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: "bad_request", message: "body: not valid JSON" } });
    expect(await (await fetch(`${baseUrl}/`)).text()).toBe("the app's own page");
  });

  it("works behind a router that strips the prefix: parent.mount(prefix, server.fetch)", async () => {
    const replay = createReplayServer(options());
    closers.push(() => replay.close());
    const parent = new Hono();
    parent.mount("/chat", replay.fetch);
    const baseUrl = await listen(parent.fetch);
    await driveTurn(new TestClient(`${baseUrl}/chat`));
  });

  it("toNodeHandler takes a body a framework already parsed (express.json()), and refuses a body read without one", async () => {
    const replay = createReplayServer(options());
    closers.push(() => replay.close());
    const handler = toNodeHandler(replay);
    /** What express.json() does: read the stream, set req.body; a raw reader sets nothing. */
    const parseFirst = (parse: boolean) => async (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === "POST") {
        let text = "";
        for await (const chunk of req) text += chunk;
        if (parse) (req as IncomingMessage & { body?: unknown }).body = text === "" ? {} : JSON.parse(text);
      }
      await handler(req, res);
    };
    for (const parse of [true, false]) {
      const http = createServer((req, res) => void parseFirst(parse)(req, res));
      await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
      closers.push(
        () =>
          new Promise<void>((done) => {
            http.closeAllConnections();
            http.close(() => done());
          }),
      );
      const client = new TestClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
      if (parse) {
        await driveTurn(client);
        continue;
      }
      const refused = await client.request("/api/sessions", { method: "POST", body: JSON.stringify({}) });
      expect(refused.status).toBe(400);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("body_consumed");
      expect(body.error.message).toMatch(/before body parsers/);
    }
  });

  it("the CLI takes --base-path", () => {
    expect(parseCliOptions(["--base-path", "/chat"], {})).toMatchObject({ basePath: "/chat" });
  });

  it("the main entry imports no node: module, no Redis or Postgres client, no Prometheus client or OpenTelemetry SDK and no Node server adapter (runs on Workers, Deno, Bun)", () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
        const specifier = match[1]!;
        if (specifier.startsWith(".")) {
          const base = join(dirname(file), specifier);
          const candidates = [`${base}.ts`, join(base, "index.ts")];
          const next = candidates.find((candidate) => {
            try {
              return readFileSync(candidate) !== undefined;
            } catch {
              return false;
            }
          });
          if (next) visit(next);
        } else external.add(specifier);
      }
    };
    visit(join(src, "index.ts"));
    const forbidden = [...external].filter(
      (specifier) =>
        specifier.startsWith("node:") ||
        specifier === "ioredis" ||
        specifier === "postgres" ||
        specifier === "prom-client" ||
        specifier.startsWith("@opentelemetry/sdk") ||
        specifier.startsWith("@opentelemetry/exporter") ||
        specifier.startsWith("@hono/node-server"),
    );
    expect(forbidden).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
    // The split entries exist and carry what left the main one.
    expect(readdirSync(src)).toEqual(
      expect.arrayContaining(["redis.ts", "postgres.ts", "node.ts", "testing.ts", "prometheus.ts"]),
    );
  });
});
