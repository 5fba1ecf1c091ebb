import { defineConfig } from "vitest/config";

/** The recipe's browser test: `next start` on the build and Debian's Chromium (`pnpm test` builds first). */
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
