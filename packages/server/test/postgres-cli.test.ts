import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { ChatReplayError } from "@chat-replay/protocol";
import postgres from "postgres";
import { afterEach, expect, it } from "vitest";
import { parseCliOptions } from "../src/cli";
import {
  checkPostgresSchema,
  migratePostgres,
  SCHEMA_VERSION,
  schemaVersion,
} from "../src/postgres/migrations";
import { createTestDatabase, describeWithPostgres, postgresAdminUrl } from "./postgres-env";

// The bin runs the built dist: `pnpm install` builds it; after source changes run `pnpm build`.
const bin = fileURLToPath(new URL("../bin/chat-replay-server.mjs", import.meta.url));

/** Runs the bin to its exit; its exit code and everything it printed. */
async function run(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (data: Buffer) => {
    output += data.toString();
  });
  child.stderr.on("data", (data: Buffer) => {
    output += data.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, output };
}

describeWithPostgres("Postgres history: CLI and migrations", () => {
  const drops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(drops.splice(0).map((drop) => drop()));
  });
  /** A database of the test's own, not migrated. */
  async function emptyDatabase(): Promise<string> {
    const db = await createTestDatabase(postgresAdminUrl!, { migrate: false });
    drops.push(db.drop);
    return db.url;
  }

  it("parses --history-store postgres with --database-url or $DATABASE_URL; never echoes a URL", () => {
    const url = "postgres://app:s3cret@db:5432/chat";
    expect(parseCliOptions(["--history-store", "postgres", "--database-url", url], {})).toMatchObject({
      historyStore: "postgres",
      databaseUrl: url,
    });
    expect(
      parseCliOptions(["--store", "redis", "--history-store", "postgres"], { DATABASE_URL: url }),
    ).toMatchObject({ store: "redis", historyStore: "postgres", databaseUrl: url });
    expect(parseCliOptions(["--history-store", "memory"], {})).not.toHaveProperty("historyStore");
    expect(() => parseCliOptions(["--history-store", "postgres"], {})).toThrow(/--database-url/);
    expect(() => parseCliOptions(["--database-url", url], {})).toThrow(/needs --history-store postgres/);
    expect(() => parseCliOptions(["--history-store", "mysql"], {})).toThrow(/--history-store/);
    expect(() =>
      parseCliOptions(["--history-store", "postgres", "--database-url", "mysql://u:hunter2@x/db"], {}),
    ).toThrow(/^(?!.*hunter2).*postgres:\/\/ URL/);
  });

  it("a server on a database that was never migrated exits 1 and says to run migrate (no password shown)", async () => {
    const url = new URL(await emptyDatabase());
    url.password = "pw-never-printed"; // trust auth ignores it
    const { code, output } = await run([
      "--port",
      "0",
      "--history-store",
      "postgres",
      "--database-url",
      `${url}`,
    ]);
    expect(code).toBe(1);
    expect(output).toContain("schema version 0, this server needs");
    expect(output).toContain("chat-replay-server migrate");
    expect(output).not.toContain("pw-never-printed");
  });

  it("migrate applies the schema once, even from two processes at once", async () => {
    const url = await emptyDatabase();
    const runs = await Promise.all([
      run(["migrate", "--database-url", url]),
      run(["migrate", "--database-url", url]),
    ]);
    expect(runs.map((each) => each.code)).toEqual([0, 0]);
    expect(runs.map((each) => each.output).join("")).toMatch(/applied #1/);
    expect((await run(["migrate", "--database-url", url])).output).toContain(
      `schema already at version ${SCHEMA_VERSION}`,
    );
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect(await schemaVersion(sql)).toBe(SCHEMA_VERSION);
      await checkPostgresSchema(sql);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("migrate --print writes the SQL without touching a database; bad flags exit 2", async () => {
    const printed = await run(["migrate", "--print"]);
    expect(printed.code).toBe(0);
    expect(printed.output).toContain("CREATE TABLE chat_replay_history");
    expect((await run(["migrate", "--bogus"])).code).toBe(2);
    expect((await run(["migrate"])).code).toBe(2); // no URL
  });

  it("the startup check refuses a schema behind (migrate) and one ahead (upgrade) with schema_mismatch", async () => {
    const sql = postgres(await emptyDatabase(), { max: 1, onnotice: () => {} });
    try {
      const refusal = await checkPostgresSchema(sql).catch((error: unknown) => error);
      expect(ChatReplayError.isInstance(refusal) && refusal.code).toBe("schema_mismatch");
      expect(await migratePostgres(sql)).toEqual([SCHEMA_VERSION]);
      expect(await migratePostgres(sql)).toEqual([]);
      await sql`INSERT INTO chat_replay_schema_migrations (version, name) VALUES (${SCHEMA_VERSION + 1}, 'future')`;
      await expect(checkPostgresSchema(sql)).rejects.toThrow(/upgrade the server/);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
