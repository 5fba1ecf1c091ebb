import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Issue 19's optional demo setup: `pnpm demo --redis-url URL --database-url URL` keeps live
 * state in Redis and sessions and history in Postgres (migrated by the demo at startup), so a
 * chat outlives the demo process. The real `server/serve.ts` on a database of the test's own.
 */

const ADMIN_URL = process.env.POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const demoDir = fileURLToPath(new URL("..", import.meta.url));
const children = new Set<ChildProcess>();

async function postgresAnswers(): Promise<boolean> {
  const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const inCi = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";
// CI provides Postgres and Redis (.ci/run); elsewhere the test runs where they answer.
const available = inCi || (await postgresAnswers());

/** `node server/serve.ts` on an ephemeral port; resolves with its URL once it listens. */
async function startDemo(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...["server/serve.ts", "--port", "0", "--redis-url", REDIS_URL, "--database-url", databaseUrl],
      // The owner cookie must verify after a restart: one secret for both processes.
      ...["--secret", "demo-production-setup-secret-0123456789"],
    ],
    { cwd: demoDir, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /chat-replay demo: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
  children.delete(child);
}

afterAll(async () => {
  for (const child of children) await stop(child);
});

describe.skipIf(!available)("pnpm demo on Redis + Postgres (issue 19)", () => {
  it("a chat's history outlives the demo process: stored in Postgres, read by the next one", async () => {
    const name = `chat_replay_demo_test_${crypto.randomUUID().replaceAll("-", "")}`;
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
    try {
      const first = await startDemo(databaseUrl);
      const origin = { origin: first.url };
      const created = await fetch(`${first.url}/api/sessions`, {
        method: "POST",
        headers: { ...origin, "content-type": "application/json" },
        body: "{}",
      });
      expect(created.status).toBe(201);
      const cookie = created.headers.get("set-cookie")!.split(";")[0]!;
      const { id } = (await created.json()) as { id: string };
      const turn = await fetch(`${first.url}/api/sessions/${id}/messages`, {
        method: "POST",
        headers: { ...origin, cookie, "content-type": "application/json" },
        body: JSON.stringify({
          message: {
            id: "m1",
            role: "user",
            parts: [{ type: "text", text: "hello [[words=12]] [[delay=1]]" }],
          },
        }),
      });
      expect(turn.status).toBe(200);
      expect(await turn.text()).toContain("data: [DONE]");
      await stop(first.child);

      // The turn's rows are in Postgres, tagged with its run.
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      const rows = await sql<{ message_id: string }[]>`
        SELECT message_id FROM chat_replay_history WHERE session_id = ${id}`;
      await sql.end({ timeout: 1 });
      expect(rows.map((row) => row.message_id)).toContain("m1");
      expect(rows).toHaveLength(2);

      const second = await startDemo(databaseUrl);
      const read = await fetch(`${second.url}/api/sessions/${id}`, {
        headers: { origin: second.url, cookie },
      });
      expect(read.status).toBe(200);
      const { messages } = (await read.json()) as {
        messages: { role: string; parts: { type: string; text?: string }[] }[];
      };
      expect(messages.map((message) => message.role)).toEqual(["user", "assistant"]);
      const answer = messages[1]!.parts.filter((part) => part.type === "text").map((part) => part.text);
      expect(answer.join("").split(/\s+/).filter(Boolean)).toHaveLength(12);
      await stop(second.child);
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 1 });
    }
  });
});
