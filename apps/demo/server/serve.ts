// `pnpm demo`: serves the built demo (apps/demo/dist) and the replay backend on one port.
// Runs with Node's TypeScript type stripping: `node server/serve.ts [--port N] [--host HOST]
// [--redis-url URL] [--database-url URL] [--secret S]`. Without them everything is in memory.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ReplayServerOptions } from "@chat-replay/server";
import { connectPostgres, createPostgresHistory, migratePostgres } from "@chat-replay/server/postgres";
import { createRedisStores } from "@chat-replay/server/redis";
import { startDemoServer } from "./demo-server.ts";

const DEFAULT_PORT = 5173;
const PORTS_TO_TRY = 20;
const USAGE = `Usage: node server/serve.ts [--port N] [--host HOST] [--redis-url URL] [--database-url URL] [--secret S]

  --port N             port to listen on (0 = ephemeral; default 5173 or the first free one after it, or $PORT)
  --host HOST          interface to bind (default 127.0.0.1)
  --redis-url URL      live state (turn buffers, snapshots, claims) in Redis, keys under chat-replay-demo:
  --database-url URL   sessions and history in Postgres (the demo applies the migrations itself)
  --secret S           signs the owner cookie (default $CHAT_REPLAY_SECRET, else random per start:
                       give one with --database-url, or a restarted demo cannot prove you own your chats)`;

const staticDir = fileURLToPath(new URL("../dist", import.meta.url));
const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "redis-url": { type: "string" },
    "database-url": { type: "string" },
    secret: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rawPort = values.port ?? process.env.PORT;
const port = rawPort === undefined ? DEFAULT_PORT : Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0-65535, got "${rawPort}"\n\n${USAGE}`);
  process.exit(2);
}
if (!existsSync(`${staticDir}/index.html`)) {
  console.error(`No built demo in ${staticDir}: run \`pnpm demo\` (it builds first) or \`vite build\`.`);
  process.exit(1);
}

const server = await startDemoServer({
  port,
  replay: {
    ...(await storesOf(values["redis-url"], values["database-url"])),
    ...((values.secret ?? process.env.CHAT_REPLAY_SECRET)
      ? { secret: values.secret ?? process.env.CHAT_REPLAY_SECRET }
      : {}),
  },
  // Only the default port slides to the next free one; an explicit port is a promise.
  portAttempts: rawPort === undefined ? PORTS_TO_TRY : 1,
  host: values.host ?? "127.0.0.1",
  staticDir,
});
console.log(`chat-replay demo: ${server.url}  (Ctrl-C to stop)`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`received ${signal}, shutting down`);
  await server.close();
};
process.once("SIGINT", () => void stop("SIGINT"));
process.once("SIGTERM", () => void stop("SIGTERM"));

/**
 * The optional production-like setup (issue 19): Redis for what is live, Postgres for
 * sessions and history. The demo migrates the database itself (a server would run
 * `chat-replay-server migrate` once); failures exit with the reason, never the URL.
 */
async function storesOf(
  redisUrl: string | undefined,
  databaseUrl: string | undefined,
): Promise<Partial<ReplayServerOptions>> {
  const stores: { -readonly [K in keyof ReplayServerOptions]?: ReplayServerOptions[K] } = {};
  const redis =
    redisUrl === undefined ? null : createRedisStores({ url: redisUrl, keyPrefix: "chat-replay-demo" });
  if (redis) {
    if (!(await redis.whenAvailable(5_000))) {
      console.error(`Redis at ${redis.label} did not answer within 5 s.`);
      process.exit(1);
    }
    stores.streamStore = redis.streamStore;
    stores.sessionStore = redis.sessionStore;
    stores.keyPrefix = redis.keyPrefix;
    console.log(`live state in Redis at ${redis.label}`);
  }
  if (databaseUrl !== undefined) {
    try {
      const sql = connectPostgres(databaseUrl, 1);
      await migratePostgres(sql).finally(() => sql.end({ timeout: 1 }));
      stores.sessionStore = await createPostgresHistory({
        url: databaseUrl,
        ...(redis ? { live: redis.sessionStore } : {}),
      });
      console.log("sessions and history in Postgres");
    } catch (error) {
      console.error(`Postgres: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
  return stores;
}
