// `pnpm demo`: serves the built demo (apps/demo/dist) and the replay backend on one port.
// Runs with Node's TypeScript type stripping: `node server/serve.ts [--port N] [--host HOST]`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDemoServer } from "./demo-server.ts";

const DEFAULT_PORT = 5173;
const PORTS_TO_TRY = 20;
const USAGE = `Usage: node server/serve.ts [--port N] [--host HOST]

  --port N      port to listen on (0 = ephemeral; default 5173 or the first free one after it, or $PORT)
  --host HOST   interface to bind (default 127.0.0.1)`;

const staticDir = fileURLToPath(new URL("../dist", import.meta.url));
const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
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
