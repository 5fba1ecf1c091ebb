import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { compareEntryIds, HEADERS } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { OwnRedisCluster } from "../../test-fixture/src/redis-cluster";
import { parseCliOptions } from "../src/cli";
import {
  assemble,
  chunksOf,
  normalize,
  readEvents,
  type SseEvent,
  TestClient,
  until,
  userMessage,
} from "./harness";
import {
  deleteKeys,
  describeWithRedis,
  describeWithRedisCluster,
  hasRedisServerBinary,
  killOnExit,
  OwnRedis,
  uniquePrefix,
} from "./redis-env";

// Two (or more) real server processes on one Redis, started through the CLI like a deployment.
// The bin runs the built dist: `pnpm install` builds it; after source changes run `pnpm build`.

const bin = fileURLToPath(new URL("../bin/chat-replay-server.mjs", import.meta.url));
/** Short enough to detect a dead instance quickly, long enough for heartbeats on a loaded CI box. */
const LEASE_MS = 2_000;
const MAX_LEN = 100;
/** Flags of every instance: a short lease so orphan detection is quick, a small MAXLEN to trim. */
/** Instances that serve the same sessions share the token secret (§3 Identity). */
const TUNING = [
  "--lease-ms",
  String(LEASE_MS),
  "--keepalive-ms",
  "1000",
  "--max-len",
  String(MAX_LEN),
  "--secret",
  "multi-instance-secret-0123456789",
];

/** One `chat-replay-server` process. */
class Instance {
  private log = "";
  private address = "";

  private constructor(readonly child: ChildProcess) {
    const capture = (data: Buffer) => {
      this.log += data.toString();
    };
    child.stdout!.on("data", capture);
    child.stderr!.on("data", capture);
    running.add(killOnExit(child));
    child.once("exit", () => running.delete(child));
  }

  /** Spawns the CLI on an ephemeral port and waits for its "listening on" line. */
  static async start(redisUrl: string, prefix: string, cluster = false): Promise<Instance> {
    const args = [bin, "--port", "0", "--store", "redis", "--redis-url", redisUrl, "--key-prefix", prefix];
    if (cluster) args.push("--redis-cluster");
    const instance = new Instance(
      spawn(process.execPath, [...args, ...TUNING], { stdio: ["ignore", "pipe", "pipe"] }),
    );
    instance.address = await new Promise<string>((resolve, reject) => {
      instance.child.stdout!.on("data", () => {
        const match = /listening on (http:\/\/\S+)/.exec(instance.log);
        if (match) resolve(match[1]!);
      });
      instance.child.once("exit", (code) =>
        reject(new Error(`instance exited early (${code}): ${instance.log}`)),
      );
    });
    return instance;
  }

  get url(): string {
    return this.address;
  }

  /** Everything the process printed so far. */
  get output(): string {
    return this.log;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills this process by pid and waits for its exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    await exited;
  }

  /** A client of this instance that carries `owner`'s cookie: the same owner on another instance. */
  client(owner?: TestClient): TestClient {
    const client = new TestClient(this.url);
    client.cookie = owner?.cookie ?? null;
    return client;
  }
}

const running = new Set<ChildProcess>();

/** Rejects if `promise` has not settled within `ms` (a hang is a failure, not a timeout of the suite). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** POSTs a prompt with a known client message id. */
function sendPrompt(client: TestClient, sessionId: string, message: UIMessage): Promise<Response> {
  return client.request(`/api/sessions/${sessionId}/messages`, {
    method: "POST",
    body: JSON.stringify({ message }),
  });
}

const typeOf = (event: SseEvent) =>
  event.data === "[DONE]" ? "[DONE]" : (JSON.parse(event.data).type as string);
/** Every event except the leading `start` (it carries no id and each response has its own). */
const afterStart = (events: readonly SseEvent[]) =>
  events[0] && typeOf(events[0]) === "start" ? events.slice(1) : [...events];

describeWithRedis("multi-instance serving on one Redis", (redisUrl) => multiInstanceSuite(redisUrl, null));
describeWithRedisCluster("multi-instance serving on a Redis Cluster (3 masters)", (cluster) =>
  multiInstanceSuite(cluster.url, cluster),
);

/** The suite, on one Redis (`cluster` null) or on a Redis Cluster the suite started. */
function multiInstanceSuite(redisUrl: string, cluster: OwnRedisCluster | null): void {
  const prefix = uniquePrefix("multi");
  let a: Instance;
  let b: Instance;
  let raw: Redis;
  const nodes = new Map<number, Redis>();
  /** A plain connection to the Redis (or cluster master) that holds `sessionId`'s keys. */
  const rawFor = async (sessionId: string): Promise<Redis> => {
    if (!cluster) return raw;
    const port = await cluster.portOfKey(`${prefix}:{${sessionId}}:session`);
    let node = nodes.get(port);
    if (!node) {
      node = new Redis(port, "127.0.0.1", { protocol: 2 });
      nodes.set(port, node);
    }
    return node;
  };
  const start = () => Instance.start(redisUrl, prefix, cluster !== null);

  beforeAll(async () => {
    if (!cluster) raw = new Redis(redisUrl, { protocol: 2 });
    [a, b] = await Promise.all([start(), start()]);
  }, 20_000);

  afterEach(() => {
    for (const instance of [a, b]) {
      if (instance && !instance.alive) throw new Error(`an instance died:\n${instance.output}`);
    }
  });

  afterAll(async () => {
    await Promise.all(
      [...running].map(async (child) => {
        const exited = once(child, "exit");
        child.kill("SIGKILL");
        await exited;
      }),
    );
    raw?.disconnect();
    for (const node of nodes.values()) node.disconnect();
    if (!cluster) await deleteKeys(redisUrl, prefix);
  }, 20_000);

  it("§6 a turn started on A resumes on B from a mid-part cursor, exactly", async () => {
    const onA = a.client();
    const sessionId = await onA.createSession();
    const onB = b.client(onA);
    const response = await sendPrompt(
      onA,
      sessionId,
      userMessage("Resume me [[words=40]] [[delay=15]] [[reasoning=4]]"),
    );
    // The reference: an observer on B from the first entry (full replay, then live).
    const observing = readEvents(await onB.stream(sessionId));
    const head = await readEvents(response, { stopAfter: 12 });
    const cursor = head.events.at(-1)!;
    expect(typeOf(cursor)).toBe("text-delta"); // the drop happens inside an open text part
    const resumed = await onB.stream(sessionId, cursor.id);
    expect(resumed.headers.get(HEADERS.replayMode)).toBe("resume");
    const tail = await within(readEvents(resumed), 10_000, "resumed stream");
    const reference = await within(observing, 10_000, "observer");
    const joined = [...afterStart(head.events), ...afterStart(tail.events)];
    expect(joined).toEqual(afterStart(reference.events));
    expect(tail.events.at(-1)?.data).toBe("[DONE]");
    // The text part continues: no second text-start, one bubble, equal to the stored history.
    expect(afterStart(tail.events).some((event) => typeOf(event) === "text-start")).toBe(false);
    const bubble = await assemble(chunksOf([...head.events, ...afterStart(tail.events)]));
    await onB.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const history = await onB.history(sessionId);
    expect(normalize(history.at(-1))).toEqual(normalize(bubble));
  }, 20_000);

  it("§3 an observer on B sees A's prompt in status and the live answer; other owners get 404", async () => {
    const onA = a.client();
    const sessionId = await onA.createSession();
    const onB = b.client(onA);
    const prompt = userMessage("Observe me [[words=40]] [[delay=50]]");
    const sending = readEvents(await sendPrompt(onA, sessionId, prompt));
    const status = await onB.waitForStatus(sessionId, (s) => s.turn_status === "running");
    expect(status).toMatchObject({
      prompt: prompt.parts[0]?.type === "text" && prompt.parts[0].text,
      prompt_message_id: prompt.id,
    });
    const observer = await onB.stream(sessionId);
    expect(observer.status).toBe(200);
    expect(observer.headers.get(HEADERS.replayMode)).toBe("full");
    const seen = await within(readEvents(observer), 10_000, "observer");
    const sent = await sending;
    expect(seen.events).toEqual(sent.events); // byte-identical frames on both instances (§8.12)
    expect(typeOf(seen.events.at(-2)!)).toBe("finish");
    expect((await b.client().stream(sessionId)).status).toBe(404);
    const stranger = b.client();
    await stranger.createSession();
    expect((await stranger.request(`/api/sessions/${sessionId}/status`)).status).toBe(404);
    await onB.waitForStatus(sessionId, (s) => s.turn_status === "idle");
    const history = await onB.history(sessionId);
    expect(history.map((message) => message.id)).toEqual([
      prompt.id,
      expect.stringMatching(`^${sessionId}:`),
    ]);
  }, 20_000);

  it("§2 A killed mid-turn → B reports failed within the lease; attached and reconnecting clients end", async () => {
    const doomed = await start();
    const onDoomed = doomed.client();
    const sessionId = await onDoomed.createSession();
    const onB = b.client(onDoomed);
    const response = await sendPrompt(onDoomed, sessionId, userMessage("Doomed [[words=90]] [[delay=40]]"));
    const head = await readEvents(response, { stopAfter: 6 });
    const attached: SseEvent[] = [];
    const attachedDone = readEvents(await onB.stream(sessionId), {
      onEvent: (event) => attached.push(event),
    });
    await until(async () => (attached.length >= 8 ? true : undefined), 5_000, "observer on B live");
    const killedAt = Date.now();
    await doomed.kill("SIGKILL");
    await onB.waitForStatus(sessionId, (status) => status.turn_status === "failed", 10_000);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 2_000);
    // The observer attached on B gets the failure text, `error`, `finish`: nothing hangs.
    const ended = await within(attachedDone, 5_000, "attached observer");
    const types = ended.events.map(typeOf);
    expect(types.slice(-2)).toEqual(["finish", "[DONE]"]);
    expect(types).toContain("error");
    // A client of A reconnects to B with its cursor: resume to the terminal frames.
    const reconnect = await onB.stream(sessionId, head.events.at(-1)!.id);
    expect(reconnect.headers.get(HEADERS.replayMode)).toBe("resume");
    const rest = await within(readEvents(reconnect), 5_000, "reconnecting client");
    const restTypes = rest.events.map(typeOf);
    expect(restTypes.slice(-2)).toEqual(["finish", "[DONE]"]);
    expect(chunksOf(rest.events).find((chunk) => chunk.type === "error")).toMatchObject({
      errorText: expect.stringMatching(/runner was lost/),
    });
    // Without a cursor there is nothing to attach to any more (§6: ended → 204).
    expect((await onB.stream(sessionId)).status).toBe(204);
  }, 20_000);

  it("§4 A restarted → its finished turns' history and buffers are still served", async () => {
    const first = await start();
    const owner = first.client();
    const sessionId = await owner.createSession();
    const prompt = userMessage("Keep me [[words=20]] [[reasoning=3]]");
    const whole = await readEvents(await sendPrompt(owner, sessionId, prompt));
    await owner.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const before = await owner.history(sessionId);
    await first.kill("SIGKILL");
    const again = await start();
    const onAgain = again.client(owner);
    expect(await onAgain.history(sessionId)).toEqual(before);
    expect(normalize(before.at(-1))).toEqual(normalize(await assemble(chunksOf(whole.events))));
    const cursor = whole.events[5]!.id!;
    const resumed = await onAgain.stream(sessionId, cursor);
    expect(resumed.headers.get(HEADERS.replayMode)).toBe("resume");
    const tail = await readEvents(resumed);
    expect(afterStart(tail.events)).toEqual(whole.events.slice(6));
    expect((await onAgain.stream(sessionId)).status).toBe(204);
    await again.kill("SIGTERM");
  }, 20_000);

  it("§6 MAXLEN trimming below a client's cursor → stale: full replay while running, finish-only after", async () => {
    const onA = a.client();
    const sessionId = await onA.createSession();
    const onB = b.client(onA);
    const response = await sendPrompt(onA, sessionId, userMessage("Trim me [[words=400]] [[delay=10]]"));
    const head = await readEvents(response, { stopAfter: 4 });
    const cursor = head.events.at(-1)!.id!;
    const cursorEntry = cursor.split(":")[0]!;
    const [bufferKey] = await until(
      async () => {
        // The turn buffer: `<prefix>:{<session>}:<stream>` (not the session's own keys).
        const keys = (await (await rawFor(sessionId)).keys(`${prefix}:{${sessionId}}:*`)).filter((key) =>
          /^[^:]+(:[^:]+)*:\{[^}]+\}:[0-9a-f-]{36}$/.test(key),
        );
        return keys.length > 0 ? keys : undefined;
      },
      5_000,
      "buffer key",
    );
    await until(
      async () => {
        const [oldest] = await (await rawFor(sessionId)).xrange(bufferKey!, "-", "+", "COUNT", 1);
        return oldest && compareEntryIds(oldest[0], cursorEntry) > 0 ? true : undefined;
      },
      10_000,
      "trim past the cursor",
    );
    expect((await onB.status(sessionId)).turn_status).toBe("running");
    const replay = await onB.stream(sessionId, cursor);
    expect(replay.headers.get(HEADERS.cursor)).toBe("stale");
    expect(replay.headers.get(HEADERS.replayMode)).toBe("full");
    const replayed = await within(readEvents(replay), 15_000, "full replay of a trimmed turn");
    expect(replayed.events.map(typeOf).slice(-2)).toEqual(["finish", "[DONE]"]);
    expect(replayed.events.some((event) => event.id === cursor)).toBe(false);
    await onB.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    expect(await (await rawFor(sessionId)).xlen(bufferKey!)).toBeLessThanOrEqual(MAX_LEN + 16);
    const after = await onB.stream(sessionId, cursor);
    expect(after.headers.get(HEADERS.cursor)).toBe("stale");
    expect((await readEvents(after)).events.map(typeOf)).toEqual(["finish", "[DONE]"]);
  }, 30_000);

  it.skipIf(!hasRedisServerBinary || cluster !== null)(
    "Redis restarted mid-turn → 503 store_unavailable, clear logs, no crash; service resumes",
    async () => {
      const own = await OwnRedis.start();
      try {
        const ownPrefix = uniquePrefix("restart");
        const [r1, r2] = await Promise.all([
          Instance.start(own.url, ownPrefix),
          Instance.start(own.url, ownPrefix),
        ]);
        const onR1 = r1.client();
        const sessionId = await onR1.createSession();
        const onR2 = r2.client(onR1);
        const response = await sendPrompt(onR1, sessionId, userMessage("Outage [[words=200]] [[delay=20]]"));
        const sending = readEvents(response).catch(() => null);
        const attached: SseEvent[] = [];
        const observing = readEvents(await onR2.stream(sessionId), { onEvent: (e) => attached.push(e) }).then(
          (result) => ({ ended: "cleanly" as const, result }),
          () => ({ ended: "aborted" as const, result: null }),
        );
        await until(async () => (attached.length >= 5 ? true : undefined), 5_000, "observer live");
        await own.stop();
        for (const client of [onR1, onR2]) {
          const down = await until(
            async () => {
              const answer = await client.request(`/api/sessions/${sessionId}/status`);
              return answer.status === 503 ? answer : undefined;
            },
            5_000,
            "503 while Redis is down",
          );
          expect(await down.json()).toMatchObject({ error: { code: "store_unavailable" } });
        }
        // The attached reader retries, then aborts the connection (no `finish`, §6): no hang.
        expect((await within(observing, 10_000, "observer during outage")).ended).toBe("aborted");
        await within(sending, 10_000, "sender during outage");
        expect(r1.output).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is unavailable/);
        await own.restart();
        const fresh = await until(
          async () => {
            const answer = await onR1.request("/api/sessions", { method: "POST", body: "{}" });
            return answer.status === 201 ? ((await answer.json()) as { id: string }).id : undefined;
          },
          10_000,
          "service back",
        );
        const after = await readEvents(await onR1.send(fresh, "Back [[words=10]] [[delay=0]]"));
        expect(after.events.map(typeOf).slice(-2)).toEqual(["finish", "[DONE]"]);
        await onR2.waitForStatus(fresh, (status) => status.turn_status === "idle");
        expect(await onR2.history(fresh)).toHaveLength(2);
        // This Redis keeps no data across restarts, so the interrupted session is simply gone.
        expect((await onR2.request(`/api/sessions/${sessionId}/status`)).status).toBe(404);
        expect(r1.output).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is back/);
        expect([r1.alive, r2.alive]).toEqual([true, true]);
        await Promise.all([r1.kill("SIGTERM"), r2.kill("SIGTERM")]);
      } finally {
        await own.stop();
      }
    },
    40_000,
  );

  it.skipIf(cluster !== null)(
    "CLI: --store redis takes --redis-url (default $REDIS_URL), --key-prefix and the tuning flags",
    () => {
      expect(parseCliOptions(["--store", "redis", "--key-prefix", "p:1", "--lease-ms", "1500"], {})).toEqual({
        port: 8787,
        host: "127.0.0.1",
        store: "redis",
        redisUrl: "redis://127.0.0.1:6379",
        keyPrefix: "p:1",
        leaseMs: 1500,
      });
      expect(parseCliOptions(["--store", "redis"], { REDIS_URL: "redis://r:7000" })).toMatchObject({
        redisUrl: "redis://r:7000",
      });
      expect(parseCliOptions(["--max-len", "50", "--keepalive-ms", "20"], {})).toMatchObject({
        maxLength: 50,
        keepaliveMs: 20,
      });
      expect(() => parseCliOptions(["--store", "postgres"], {})).toThrow(/--store/);
      expect(() => parseCliOptions(["--redis-url", "redis://x"], {})).toThrow(/need --store redis/);
      expect(() => parseCliOptions(["--redis-cluster"], {})).toThrow(/need --store redis/);
      expect(
        parseCliOptions(["--store", "redis", "--redis-cluster", "--redis-url", "redis://n1:7000"], {}),
      ).toMatchObject({
        redisUrl: "redis://n1:7000",
        redisCluster: true,
      });
      expect(() => parseCliOptions(["--store", "redis", "--redis-url", "http://x"], {})).toThrow(
        /redis:\/\//,
      );
      expect(() => parseCliOptions(["--lease-ms", "0"], {})).toThrow(/--lease-ms/);
    },
  );
}
