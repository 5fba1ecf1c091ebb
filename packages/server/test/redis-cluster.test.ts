import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { RedisSessionStore } from "../src/redis-session-store";
import { createRedisStores, type RedisStores } from "../src/redis-stores";
import { RedisStreamStore } from "../src/redis-stream-store";
import { createScriptedModel } from "../src/scripted-model";
import {
  assemble,
  chunksOf,
  gatedModel,
  readEvents,
  type SseEvent,
  startServer,
  type TestClient,
} from "./harness";
import { countConnections, describeWithRedisCluster, uniquePrefix, withHashTaggedKeys } from "./redis-env";
import { describeSessionStoreConformance } from "./session-store-conformance";
import { describeStreamStoreConformance } from "./stream-store-conformance";

// The Redis stores on a real 3-master Redis Cluster that this file starts itself: the same
// conformance suites as on one Redis, fixed connections however many readers, and a master
// shut down mid-turn taking down only the sessions in its slots.

/** Polls `check` every 20 ms until it holds, or throws after `timeoutMs`. */
async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: never happened within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Connections named `name*` on every node of the cluster (`CLIENT LIST` per node). */
async function clusterConnections(ports: readonly number[], name: string): Promise<number> {
  let total = 0;
  for (const port of ports) total += await countConnections(`redis://127.0.0.1:${port}`, name);
  return total;
}

describeWithRedisCluster("Redis stores on a Redis Cluster (3 masters, started by the test)", (cluster) => {
  const prefix = uniquePrefix("cluster");

  describeStreamStoreConformance(
    "RedisStreamStore (cluster)",
    (options) =>
      withHashTaggedKeys(
        new RedisStreamStore({ redis: cluster.url, cluster: true, ...options }),
        `${prefix}:`,
      ),
    undefined,
    { appendLinked: true },
  );
  describeSessionStoreConformance(
    "RedisSessionStore (cluster)",
    (options) => new RedisSessionStore({ redis: cluster.url, cluster: true, keyPrefix: prefix, ...options }),
    { expiryClock: "real" },
  );

  const opened: RedisStores[] = [];
  afterEach(async () => {
    await Promise.all(
      opened.splice(0).flatMap((stores) => [stores.streamStore.close(), stores.sessionStore.close()]),
    );
  });

  async function server(options: { delayMs?: number; gated?: boolean } = {}) {
    const name = `cluster-${crypto.randomUUID()}`;
    const redis = createRedisStores({
      url: cluster.url,
      cluster: true,
      keyPrefix: prefix,
      connectionName: name,
      log: () => {},
    });
    opened.push(redis);
    expect(await redis.whenAvailable(10_000)).toBe(true);
    const scripted = createScriptedModel({ defaults: { delayMs: options.delayMs ?? 0 } });
    const gate = gatedModel(scripted);
    const started = await startServer({
      ...redis.serverOptions,
      model: options.gated ? gate.model : scripted,
      limits: { maxStreamsPerSession: 2_000, maxStreamsPerOwner: 2_000, maxTurnsPerMinute: 1_000 },
    });
    return { ...started, name, redis, open: gate.open };
  }

  /** Attaches `count` observers to a session's active turn; each records what it received. */
  function attach(client: TestClient, sessionId: string, count: number) {
    const received: SseEvent[][] = Array.from({ length: count }, () => []);
    const done = Promise.all(
      received.map(async (events) => {
        const response = await client.stream(sessionId);
        if (response.status !== 200) {
          throw new Error(
            `observer got ${response.status}, not the live turn: ${JSON.stringify(await client.status(sessionId))}`,
          );
        }
        return readEvents(response, { onEvent: (event) => events.push(event) });
      }),
    );
    return { received, done };
  }
  const isStreaming = (events: readonly SseEvent[]) => events.some((event) => event.id !== undefined);
  const ended = (events: readonly SseEvent[]) => events.at(-1)?.data === "[DONE]";

  it("a turn streams, resumes and lands in history with every key of its session in one hash slot", async () => {
    const { client } = await server();
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "Hello cluster [[words=30]]"));
    const message = await assemble(chunksOf(events));
    expect(events.at(-1)?.data).toBe("[DONE]");
    const history = await client.history(sessionId);
    expect(history.at(-1)?.parts).toEqual(message?.parts);
    // Every key the session produced (hash, history, claims, buffer, snapshot) lives in one slot.
    const node = new Redis(await cluster.portOfKey(`${prefix}:{${sessionId}}:session`), "127.0.0.1");
    try {
      const keys = await node.keys(`${prefix}:{${sessionId}}*`);
      expect(keys.length).toBeGreaterThan(3);
      const slots = new Set(await Promise.all(keys.map((key) => node.call("CLUSTER", "KEYSLOT", key))));
      expect(slots.size).toBe(1);
    } finally {
      node.disconnect();
    }
  }, 60_000);

  it("§4 connections per process stay fixed: at most 3 per master with 991 observers over 100 live turns", async () => {
    const { client, name, open } = await server({ gated: true, delayMs: 5 });
    const first = await client.createSession();
    const sending1 = readEvents(await client.send(first, "One [[words=10]]"));
    const single = attach(client, first, 1);
    await until(() => single.received.every((events) => events.length > 0), 30_000, "one observer attached");
    const few = await clusterConnections(cluster.ports, name);
    const sessions = await Promise.all(Array.from({ length: 99 }, () => client.createSession()));
    const responses = await Promise.all(sessions.map((id) => client.send(id, "Many [[words=10]]")));
    const sending = Promise.all(responses.map((response) => readEvents(response)));
    const observers = sessions.map((id) => attach(client, id, 10));
    const all = () => observers.flatMap((observer) => observer.received).concat(single.received);
    await until(() => all().every((events) => events.length > 0), 60_000, "991 observers attached");
    open();
    await until(() => all().every(isStreaming), 60_000, "991 observers streaming");
    const many = await clusterConnections(cluster.ports, name);
    console.info(
      `measured (cluster, 3 masters): ${few} connections with 1 observer, ${many} with 991 observers over 100 live turns (CLIENT LIST name=${name}*)`,
    );
    // Per master at most: a command connection of each store and one sharded subscriber,
    // opened as slots are first used; never one per reader or per turn.
    expect(many).toBeLessThanOrEqual(3 * 3);
    expect(few).toBeLessThanOrEqual(many);
    await Promise.all([sending1, sending, single.done, ...observers.map((observer) => observer.done)]);
    expect(all().every(ended)).toBe(true);
  }, 120_000);

  it("a master shut down mid-turn fails only the sessions in its slots; the process and every other session keep working", async () => {
    const { client } = await server({ delayMs: 15 });
    // Two sessions whose slots live on different masters.
    const portOf = async (id: string) => cluster.portOfKey(`${prefix}:{${id}}:session`);
    const doomed = await client.createSession();
    const doomedPort = await portOf(doomed);
    let survivor = await client.createSession();
    while ((await portOf(survivor)) === doomedPort) survivor = await client.createSession();

    const doomedEvents: SseEvent[] = [];
    const survivorEvents: SseEvent[] = [];
    const controller = new AbortController();
    const doomedTurn = client
      .send(doomed, "Going down [[words=400]]", { signal: controller.signal })
      .then((response) => readEvents(response, { onEvent: (event) => doomedEvents.push(event) }))
      .catch(() => null);
    const survivorTurn = client
      .send(survivor, "Staying up [[words=150]]")
      .then((response) => readEvents(response, { onEvent: (event) => survivorEvents.push(event) }));
    await until(
      () =>
        doomedEvents.filter((event) => event.id).length > 5 &&
        survivorEvents.filter((event) => event.id).length > 5,
      30_000,
      "both turns streaming",
    );
    await cluster.killNode(doomedPort);

    // The survivor's turn completes exactly; its session takes new turns and reads history.
    const { events } = await survivorTurn;
    expect(events.at(-1)?.data).toBe("[DONE]");
    const answer = await assemble(chunksOf(events));
    expect(answer?.parts.some((part) => part.type === "text")).toBe(true);
    const next = await readEvents(await client.send(survivor, "Still here [[words=5]]"));
    expect(next.events.at(-1)?.data).toBe("[DONE]");
    expect((await client.history(survivor)).filter((message) => message.role === "assistant")).toHaveLength(
      2,
    );
    // New sessions work too: one whose id falls in a dead slot gets a 503 (retry-after), the
    // client's retry gets another id.
    let fresh: string | null = null;
    while (fresh === null) {
      const response = await client.request("/api/sessions", { method: "POST", body: "{}" });
      if (response.status === 503) {
        expect(await response.json()).toMatchObject({ error: { code: "store_unavailable" } });
        continue;
      }
      expect(response.status).toBe(201);
      fresh = ((await response.json()) as { id: string }).id;
    }
    expect((await readEvents(await client.send(fresh, "New [[words=3]]"))).events.at(-1)?.data).toBe(
      "[DONE]",
    );

    // The doomed session answers a typed 503, not a hang or a crash.
    await until(
      async () => (await client.request(`/api/sessions/${doomed}/status`)).status === 503,
      30_000,
      "the doomed session reports store_unavailable",
    );
    const refused = await client.request(`/api/sessions/${doomed}/status`);
    expect(await refused.json()).toMatchObject({ error: { code: "store_unavailable" } });
    controller.abort();
    await doomedTurn;
  }, 120_000);
});
