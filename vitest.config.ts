import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources in tests (the
// "@chat-replay/source" export condition), so no build is needed before `pnpm test`.
const sourceConditions = ["@chat-replay/source", "module", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@chat-replay/source"] } },
  test: {
    projects: ["packages/*/vitest.config.ts"],
  },
});
