// `pnpm dev`: Vite with HMR on 5173 (or the next free port), the replay backend on an
// ephemeral port behind Vite's proxy (`/api`). Runs with Node's TypeScript type stripping.
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { startDemoServer } from "./demo-server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const backend = await startDemoServer({ port: 0, staticDir: null });
const vite = await createServer({
  root,
  configFile: `${root}/vite.config.ts`,
  server: {
    port: Number(process.env.PORT ?? 5173),
    // SSE streams through the proxy unbuffered; the owner cookie stays on Vite's origin.
    proxy: { "/api": { target: backend.url } },
  },
});
await vite.listen();
vite.printUrls();
console.log(`  ➜  backend: ${backend.url} (proxied at /api)`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`received ${signal}, shutting down`);
  await vite.close();
  await backend.close();
};
process.once("SIGINT", () => void stop("SIGINT"));
process.once("SIGTERM", () => void stop("SIGTERM"));
