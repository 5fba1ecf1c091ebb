import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources, as in the root config.
const sourceConditions = ["@chat-replay/source", "module", "node", "import", "default"];

/**
 * The demo's own tests, run by `pnpm e2e` (not by the root `vitest run`, whose projects are
 * `packages/*`): unit tests of the demo's plain modules, and browser end-to-end tests that
 * drive Debian's Chromium through playwright-core against the one-port demo server.
 */
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@chat-replay/source"] } },
  test: {
    name: "demo",
    environment: "node",
    include: ["src/**/*.test.ts", "e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    // One browser at a time: the machines have two cores and the turns are timed streams.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A condition waited for in a browser (an answer growing, a re-attach) can take seconds on
    // a loaded two-core machine; 1 s (the default) is a clock, not a condition.
    expect: { poll: { timeout: 10_000 } },
  },
});
