import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { startDemoServer } from "../server/demo-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of the one-port demo server the browser tests open. */
    demoUrl: string;
  }
}

/** Starts the built demo and its backend on an ephemeral port for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const staticDir = fileURLToPath(new URL("../dist", import.meta.url));
  if (!existsSync(`${staticDir}/index.html`)) {
    throw new Error(`No built demo in ${staticDir}: \`pnpm e2e\` runs \`vite build\` first.`);
  }
  const server = await startDemoServer({ port: 0, staticDir });
  project.provide("demoUrl", server.url);
  return () => server.close();
}
