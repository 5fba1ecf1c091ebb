import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** `pnpm test:soak`: long mixed traffic, not part of `pnpm test`. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { conditions: ["@chat-replay/source", "module", "node", "import", "default"] },
  ssr: {
    resolve: {
      conditions: ["@chat-replay/source", "module", "node", "import", "default"],
      externalConditions: ["@chat-replay/source"],
    },
  },
  test: {
    include: ["test/soak/*.soak.ts"],
    environment: "node",
    testTimeout: 0,
    execArgv: ["--expose-gc"],
  },
});
