import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { createRedisStores } from "../src/redis-stores";
import { createScriptedModel } from "../src/scripted-model";
import { gatedModel, readEvents, type SseEvent, startServer, type TestClient } from "./harness";
import { countConnections, deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";

/** Polls `check` every 20 ms until it holds, or throws after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: never happened within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `blocked_clients` of the whole Redis server (other users included), from `INFO clients`. */
async function blockedClients(url: string): Promise<string> {
  const client = new Redis(url, { protocol: 2 });
  try {
    return /blocked_clients:(\d+)/.exec(await client.info("clients"))?.[1] ?? "?";
  } finally {
    client.disconnect();
  }
}

/** Attaches `count` observers to a session's active turn; each records what it received. */
function attach(client: TestClient, sessionId: string, count: number) {
  const received: SseEvent[][] = Array.from({ length: count }, () => []);
  const done = Promise.all(
    received.map(async (events) => {
      const response = await client.stream(sessionId);
      if (response.status !== 200) throw new Error(`observer got ${response.status}, not the live turn`);
      return readEvents(response, { onEvent: (event) => events.push(event) });
    }),
  );
  return { received, done };
}

/** Attached: the `start` frame arrived, so the reader waits at the head of the buffer. */
const isAttached = (events: readonly SseEvent[]) => events.length > 0;
const isStreaming = (events: readonly SseEvent[]) => events.some((event) => event.id !== undefined);
const ended = (events: readonly SseEvent[]) => events.at(-1)?.data === "[DONE]";

describeWithRedis("Redis connections of one server process", (url) => {
  const prefix = uniquePrefix("connections");
  afterAll(async () => {
    await deleteKeys(url, prefix);
  });

  /**
   * An in-process server on Redis whose connections are named uniquely, so they can be
   * counted, with a gated model: turns stay running (no entries) until `open()`, however
   * slowly a loaded machine attaches the observers.
   */
  async function server() {
    const name = `count-${crypto.randomUUID()}`;
    const redis = createRedisStores({ url, keyPrefix: prefix, connectionName: name });
    const gate = gatedModel(createScriptedModel({ defaults: { delayMs: 20 } }));
    const started = await startServer({
      ...redis.serverOptions,
      model: gate.model,
      limits: { maxStreamsPerSession: 2_000, maxStreamsPerOwner: 2_000, maxTurnsPerMinute: 1_000 },
    });
    return { ...started, name, open: gate.open };
  }

  it("§4 1,000 observers of one live turn share three Redis connections", async () => {
    const { client, name, open } = await server();
    const sessionId = await client.createSession();
    const sending = readEvents(await client.send(sessionId, "Watch me [[words=40]]"));
    const observers = attach(client, sessionId, 1_000);
    await until(() => observers.received.every(isAttached), 30_000, "1,000 observers attached");
    const blocked = await countConnections(url, name);
    const blockedInRedis = await blockedClients(url);
    open();
    await until(() => observers.received.every(isStreaming), 30_000, "1,000 observers streaming");
    const streaming = await countConnections(url, name);
    console.info(
      `measured: 1,000 observers of one turn → ${blocked} Redis connections while they wait, ${streaming} while the answer streams (CLIENT LIST name=${name}:*); Redis blocked_clients while they wait=${blockedInRedis} (server-wide)`,
    );
    expect([blocked, streaming]).toEqual([3, 3]);
    await Promise.all([observers.done, sending]);
    expect(observers.received.every(ended)).toBe(true);
  }, 90_000);

  it("§4 100 sessions with a live turn and an observer each share the same three connections", async () => {
    const { client, name, open } = await server();
    const first = await client.createSession(); // mints the owner cookie the others share
    const sessions = [
      first,
      ...(await Promise.all(Array.from({ length: 99 }, () => client.createSession()))),
    ];
    // Each POST answers once its turn is pinned, so the observers below find a running turn.
    const responses = await Promise.all(sessions.map((id) => client.send(id, "Many [[words=15]]")));
    const sending = Promise.all(responses.map((response) => readEvents(response)));
    const observers = sessions.map((id) => attach(client, id, 1));
    const all = () => observers.map((observer) => observer.received[0]!);
    await until(() => all().every(isAttached), 30_000, "observers attached");
    open();
    await until(() => all().every(isStreaming), 30_000, "observers streaming");
    const connections = await countConnections(url, name);
    console.info(
      `measured: 100 live sessions → ${connections} Redis connections (CLIENT LIST name=${name}:*)`,
    );
    expect(connections).toBe(3);
    await Promise.all([sending, ...observers.map((observer) => observer.done)]);
    expect(all().every(ended)).toBe(true);
  }, 90_000);
});
