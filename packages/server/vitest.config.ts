import { defineProject } from "vitest/config";

const sourceConditions = ["@chat-replay/source", "module", "node", "import", "default"];

export default defineProject({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@chat-replay/source"] } },
  test: {
    name: "server",
    environment: "node",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
