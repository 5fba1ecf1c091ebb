import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { UIMessage } from "ai";
import { afterEach, expect, it } from "vitest";
import { chunksOf, readEvents, TestClient, until } from "./harness";
import { describeWithPostgres } from "./postgres-env";
import { deleteKeys, describeWithRedis, killOnExit, uniquePrefix } from "./redis-env";

// Real `chat-replay-server --store redis --history-store postgres` processes, killed with
// SIGKILL (no graceful shutdown ends a turn for them) and restarted, and the Redis keys of
// the deployment deleted: what Postgres alone must still answer.
// The bin runs the built dist: `pnpm install` builds it; after source changes run `pnpm build`.
const bin = fileURLToPath(new URL("../bin/chat-replay-server.mjs", import.meta.url));
const LEASE_MS = 1_000;
const running = new Set<ChildProcess>();

/** One server process on an ephemeral port. */
async function startInstance(args: readonly string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = killOnExit(
    spawn(process.execPath, [bin, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] }),
  );
  running.add(child);
  let log = "";
  child.stderr!.on("data", (data: Buffer) => {
    log += data.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (data: Buffer) => {
      log += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`instance exited early (${code}): ${log}`)));
  });
  return { url, child };
}

/** SIGKILL by pid, then wait for the exit. */
async function killHard(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

afterEach(async () => {
  await Promise.all([...running].map(killHard));
});

/** A client of `url` carrying `owner`'s cookie (instances share the secret). */
function clientOf(url: string, owner: TestClient): TestClient {
  const client = new TestClient(url);
  client.cookie = owner.cookie;
  return client;
}

const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("");

describeWithPostgres("restart with Postgres history and Redis live state", (db) =>
  describeWithRedis("on the Redis of the suites", (redis) => {
    it("every finished turn survives killing all instances and deleting every Redis key; the turn running when they died ends failed with its partial answer", async () => {
      const prefix = uniquePrefix("pg-restart");
      const args = [
        ...["--store", "redis", "--redis-url", redis, "--key-prefix", prefix],
        ...["--history-store", "postgres", "--database-url", db.url],
        ...["--lease-ms", String(LEASE_MS), "--secret", "postgres-restart-secret-0123456789"],
      ];
      try {
        const [a, b] = await Promise.all([startInstance(args), startInstance(args)]);
        const owner = new TestClient(a.url);
        const sessionId = await owner.createSession();
        // Three finished turns, alternating instances.
        for (const [index, instance] of [a, b, a].entries()) {
          const client = clientOf(instance.url, owner);
          await readEvents(await client.send(sessionId, `turn ${index} [[words=5]]`));
          await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
        }
        const finished = await clientOf(b.url, owner).history(sessionId);
        expect(finished).toHaveLength(6);

        // A long turn on B; its client has read part of the answer when every instance dies.
        const response = await clientOf(b.url, owner).send(sessionId, "long [[words=5000]] [[delay=5]]");
        const { events } = await readEvents(response, { stopAfter: 12 });
        const partial = chunksOf(events)
          .map((chunk) => (chunk.type === "text-delta" ? chunk.delta : ""))
          .join("");
        expect(partial.length).toBeGreaterThan(0);
        await Promise.all([killHard(a.child), killHard(b.child)]);

        // Restarted instances: the next request after the lease noticed the orphan (§2) and
        // failed it, keeping what was streamed (from the Redis buffer) in Postgres history.
        const [a2, b2] = await Promise.all([startInstance(args), startInstance(args)]);
        await clientOf(a2.url, owner).waitForStatus(sessionId, (status) => status.turn_status === "failed");
        const afterRestart = await clientOf(b2.url, owner).history(sessionId);
        expect(afterRestart.slice(0, 6)).toEqual(finished);
        expect(afterRestart).toHaveLength(8);
        const failedAnswer = textOf(afterRestart[7]);
        expect(failedAnswer.startsWith(partial)).toBe(true);
        expect(failedAnswer).toContain("its runner was lost");

        // Every Redis key of the deployment gone, every instance restarted once more.
        await Promise.all([killHard(a2.child), killHard(b2.child)]);
        expect(await deleteKeys(redis, prefix)).toBeGreaterThan(0);
        const a3 = await startInstance(args);
        const reader = clientOf(a3.url, owner);
        expect(await reader.history(sessionId)).toEqual(afterRestart);
        expect(await reader.status(sessionId)).toMatchObject({ turn_status: "failed", curr_run_id: null });
        // The session goes on: a new turn after the loss of Redis.
        await readEvents(await reader.send(sessionId, "after the flush [[words=3]]"));
        await reader.waitForStatus(sessionId, (status) => status.turn_status === "idle");
        const last = await reader.history(sessionId);
        expect(last.slice(0, 8)).toEqual(afterRestart);
        expect(last).toHaveLength(10);
      } finally {
        await deleteKeys(redis, prefix);
      }
    }, 60_000);

    it("a turn running when every instance and every Redis key died ends failed with the answer stored while it ran", async () => {
      const prefix = uniquePrefix("pg-restart-lost");
      const args = [
        ...["--store", "redis", "--redis-url", redis, "--key-prefix", prefix],
        ...["--history-store", "postgres", "--database-url", db.url],
        ...["--lease-ms", String(LEASE_MS), "--secret", "postgres-restart-secret-0123456789"],
      ];
      try {
        const a = await startInstance(args);
        const owner = new TestClient(a.url);
        const sessionId = await owner.createSession();
        const response = await owner.send(sessionId, "long [[words=5000]] [[delay=5]]");
        const reading = readEvents(response).catch(() => null); // cut by the kill
        // The runner stores the answer so far every 2 s (hidden while the turn runs, §3).
        const stored = await until(
          async () => {
            const [row] = await db.sql<{ message: UIMessage }[]>`
            SELECT message FROM chat_replay_history WHERE session_id = ${sessionId} AND message_id LIKE '%:%'`;
            return row && textOf(row.message).length > 0 ? textOf(row.message) : undefined;
          },
          15_000,
          "the answer so far stored while the turn runs",
        );
        expect(await owner.history(sessionId)).toEqual([]); // the active run's rows stay hidden
        await killHard(a.child);
        await reading;
        expect(await deleteKeys(redis, prefix)).toBeGreaterThan(0);

        const b = await startInstance(args);
        const reader = clientOf(b.url, owner);
        await reader.waitForStatus(sessionId, (status) => status.turn_status === "failed");
        const history = await reader.history(sessionId);
        expect(history.map((message) => message.role)).toEqual(["user", "assistant"]);
        const answer = textOf(history[1]);
        expect(answer.startsWith(stored)).toBe(true);
        expect(answer).toContain("its runner was lost");
        expect(history[1]?.parts.some((part) => "state" in part && part.state === "streaming")).toBe(false);
      } finally {
        await deleteKeys(redis, prefix);
      }
    }, 60_000);
  }),
);
