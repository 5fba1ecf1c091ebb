import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { LanguageModelV4, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { afterAll, expect, it } from "vitest";
import { parseCliOptions } from "../src/cli";
import { createRedisStores, type RedisStores } from "../src/redis-stores";
import { createScriptedModel } from "../src/scripted-model";
import { assemble, chunksOf, readEvents, type SseEvent, startServer, TestClient, until } from "./harness";
import { countConnections, describeWithRedisSentinel, killOnExit, uniquePrefix } from "./redis-env";

const bin = fileURLToPath(new URL("../bin/chat-replay-server.mjs", import.meta.url));

// The Redis stores on a Sentinel-managed primary that this file starts itself (a primary, a
// replica, one sentinel): connected through the sentinel, and following a failover with
// readers attached and a turn running, without a restart.

/**
 * The scripted model, except that a prompt saying "Across" stops after `after` stream parts
 * until `release()`: a turn that is running, with part of its answer written, while the
 * test fails the primary over.
 */
function holdingModel(after: number) {
  const inner = createScriptedModel({ defaults: { delayMs: 0 } });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reachedHold!: () => void;
  const reached = new Promise<void>((resolve) => {
    reachedHold = resolve;
  });
  const model: LanguageModelV4 = {
    ...inner,
    doGenerate: (options) => inner.doGenerate(options),
    doStream: async (options) => {
      const result = await inner.doStream(options);
      if (!JSON.stringify(options.prompt).includes("Across")) return result;
      let index = 0;
      const hold = new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
        async transform(part, controller) {
          if (index++ === after) {
            reachedHold();
            await released;
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(hold) };
    },
  };
  return { model, release, reached };
}

/** Connections named `name*` on the Redis server at `port`. */
const connectionsOn = (port: number, name: string) => countConnections(`redis://127.0.0.1:${port}`, name);

describeWithRedisSentinel("Redis stores on a Sentinel-managed primary (started by the test)", (sentinel) => {
  const prefix = uniquePrefix("sentinel");
  const opened: RedisStores[] = [];
  afterAll(async () => {
    for (const redis of opened) await Promise.all([redis.streamStore.close(), redis.sessionStore.close()]);
  });

  async function server(options: { model?: LanguageModelV4; name: string }) {
    const redis = createRedisStores({
      sentinel: { sentinels: [sentinel.sentinelAddress], name: sentinel.name },
      keyPrefix: prefix,
      connectionName: options.name,
      log: () => {},
    });
    opened.push(redis);
    expect(await redis.whenAvailable(10_000)).toBe(true);
    const started = await startServer({
      ...redis.serverOptions,
      ...(options.model ? { model: options.model } : {}),
      // The runner's heartbeats may fail while the failover runs; the lease outlasts it.
      timing: { leaseMs: 30_000 },
    });
    return { ...started, redis };
  }

  it("connects to the primary the sentinel names: a turn streams, resumes at a cursor and lands in history", async () => {
    const name = uniquePrefix("sentinel-conn");
    const { client, redis } = await server({ name });
    expect(redis.label).toBe(`sentinel master "${sentinel.name}" via ${sentinel.sentinelAddress}`);
    // Every connection is on the primary, none on the replica.
    const [first, second] = sentinel.servers;
    const primary = await sentinel.primaryPort();
    const replica = primary === first.port ? second.port : first.port;
    const sessionId = await client.createSession();
    const dropped = await readEvents(await client.send(sessionId, "Through the sentinel [[words=60]]"), {
      stopAfter: 20,
    });
    const cursor = dropped.events.filter((event) => event.id).at(-1)!.id!;
    const rest = await readEvents(await client.stream(sessionId, cursor));
    expect(rest.events.at(-1)?.data).toBe("[DONE]");
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const whole = await readEvents(await client.stream(sessionId, "0-0"));
    const answer = await assemble(chunksOf(whole.events));
    expect(await assemble([...chunksOf(dropped.events), ...chunksOf(rest.events)])).toEqual(answer);
    expect((await client.history(sessionId)).at(-1)?.parts).toEqual(answer?.parts);
    expect(await connectionsOn(primary, name)).toBeGreaterThanOrEqual(3);
    expect(await connectionsOn(replica, name)).toBe(0);
  }, 60_000);

  it("a failover while a turn runs with readers attached: the same process follows the promoted replica, the turn finishes and every reader gets the whole answer", async () => {
    const name = uniquePrefix("sentinel-failover");
    const holding = holdingModel(100);
    const { client } = await server({ model: holding.model, name });
    // A session with a finished turn, and one whose turn is running (its model held back).
    const before = await client.createSession();
    const earlier = await readEvents(await client.send(before, "Before the failover [[words=20]]"));
    expect(earlier.events.at(-1)?.data).toBe("[DONE]");
    const sessionId = await client.createSession();
    const sending = client.send(sessionId, "Across the failover [[words=300]]");
    await holding.reached;
    const observed: SseEvent[] = [];
    const observer = client
      .stream(sessionId)
      .then((response) => readEvents(response, { onEvent: (event) => observed.push(event) }));
    // The observer has the part written so far before the failover.
    await until(
      async () => (observed.filter((event) => event.id).length > 20 ? true : undefined),
      10_000,
      "observer reading",
    );
    // Everything written so far is on the replica before it is promoted (replication is
    // asynchronous: a write the old primary took after that could be lost, as with any
    // Sentinel failover).
    await sentinel.replicated();
    const oldPrimary = await sentinel.primaryPort();
    const newPrimary = await sentinel.failover();
    expect(newPrimary).not.toBe(oldPrimary);

    // The turn goes on: the runner's appends reach the new primary once its connection moved.
    holding.release();
    const sender = await readEvents(await sending);
    const { events } = await observer;
    expect(sender.events.at(-1)?.data).toBe("[DONE]");
    expect(events.at(-1)?.data).toBe("[DONE]");
    const answer = await assemble(chunksOf(sender.events));
    const text = answer?.parts.find((part) => part.type === "text");
    expect(text && "text" in text ? text.text.split(" ").length : 0).toBeGreaterThanOrEqual(300);
    expect(await assemble(chunksOf(events))).toEqual(answer);
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle", 30_000);
    expect((await client.history(sessionId)).at(-1)?.parts).toEqual(answer?.parts);
    // The earlier session is served by the promoted replica, and takes new turns.
    expect((await client.history(before)).filter((message) => message.role === "assistant")).toHaveLength(1);
    const next = await readEvents(await client.send(before, "After the failover [[words=5]]"));
    expect(next.events.at(-1)?.data).toBe("[DONE]");
    // Every connection of the process moved to the new primary; none is left on the old one.
    await until(
      async () => ((await connectionsOn(oldPrimary, name)) === 0 ? true : undefined),
      10_000,
      "connections off the demoted primary",
    );
    expect(await connectionsOn(newPrimary, name)).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it("CLI: --store redis --redis-sentinel H:P --redis-sentinel-name N serves through the sentinel", async () => {
    expect(
      parseCliOptions(
        ["--store", "redis", "--redis-sentinel", "s1:26379,s2", "--redis-sentinel-name", "m1"],
        {},
      ),
    ).toMatchObject({ redisSentinels: ["s1:26379", "s2"], redisSentinelName: "m1" });
    expect(parseCliOptions(["--store", "redis"], { REDIS_SENTINELS: "s1:1" })).toMatchObject({
      redisSentinels: ["s1:1"],
      redisSentinelName: "mymaster",
    });
    expect(() => parseCliOptions(["--redis-sentinel", "s1:1"], {})).toThrow(/need --store redis/);
    expect(() => createRedisStores({ sentinel: { sentinels: ["s1:1"], name: "m" }, cluster: true })).toThrow(
      /exclude/,
    );
    expect(() =>
      parseCliOptions(["--store", "redis", "--redis-sentinel", "s1:1", "--redis-cluster"], {}),
    ).toThrow(/exclude/);
    expect(() => parseCliOptions(["--store", "redis", "--redis-sentinel", "a b"], {})).toThrow(/host:port/);
    expect(() => parseCliOptions(["--store", "redis", "--redis-sentinel-name", "m"], {})).toThrow(
      /needs --redis-sentinel/,
    );

    const child = killOnExit(
      spawn(
        process.execPath,
        [
          bin,
          ...["--port", "0", "--store", "redis", "--key-prefix", uniquePrefix("sentinel-cli")],
          ...["--redis-sentinel", sentinel.sentinelAddress, "--redis-sentinel-name", sentinel.name],
          ...["--secret", "sentinel-cli-secret-0123456789"],
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      ),
    );
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        const capture = (data: Buffer) => {
          output += data.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        };
        child.stdout!.on("data", capture);
        child.stderr!.on("data", capture);
        child.once("exit", (code) => reject(new Error(`CLI exited early (${code}): ${output}`)));
      });
      expect(output).toContain(
        `store: redis at sentinel master "${sentinel.name}" via ${sentinel.sentinelAddress}`,
      );
      const client = new TestClient(url);
      const sessionId = await client.createSession();
      const { events } = await readEvents(await client.send(sessionId, "Via the CLI [[words=10]]"));
      expect(events.at(-1)?.data).toBe("[DONE]");
    } finally {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
  }, 60_000);
});
