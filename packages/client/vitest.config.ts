import { defineProject } from "vitest/config";

const sourceConditions = ["@chat-replay/source", "module", "browser", "import", "default"];

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: {
    resolve: {
      conditions: ["@chat-replay/source", "module", "node", "import", "default"],
      externalConditions: ["@chat-replay/source"],
    },
  },
  test: {
    name: "client",
    environment: "node",
    include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.{ts,tsx}"],
  },
});
